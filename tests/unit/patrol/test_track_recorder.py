"""The patrol track recorder: thinning, distance, and the gap mark written to the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.db.models import Base, Patrol, Plan, Vehicle
from groundstation.db.session import make_sessionmaker
from groundstation.db.track import load_track
from groundstation.link.vehicle import Position, VehicleState
from groundstation.patrol.track_recorder import TrackRecorder

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def state(k: int) -> VehicleState:
    return VehicleState(1, 1, position=Position(29.05 + k * 1e-4, 119.18, 70.0, 30.0))


async def test_gap_marked_mid_buffer_splits_the_track(tmp_path):
    """A gap marked with points pending splits the stored track into two segments there."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([Vehicle(id=1, sysid=1, name="d1"), Plan(id=1, name="p", kind="coverage")])
        s.add(Patrol(id=1, plan_id=1, vehicle_id=1))
        await s.commit()
        rec = TrackRecorder(1, 1, min_interval_s=0.0)
        for k in range(3):
            rec.add(state(k), T0 + timedelta(seconds=k))
        rec.mark_gap()
        for k in range(3, 5):
            rec.add(state(k), T0 + timedelta(seconds=k))
        assert await rec.flush(s) == 5
        rec.mark_gap()  # nothing pending: the next flush starts a new segment
        rec.add(state(9), T0 + timedelta(seconds=9))
        await rec.flush(s)
        await s.commit()
        track = await load_track(s, patrol_id=1)
    await engine.dispose()
    assert len(track.points) == 6
    assert track.segment_starts == (0, 3, 5)
    assert 80 < rec.distance_m < 110  # 9 steps of 1e-4 degree latitude, about 11 m each


def test_points_without_position_or_too_soon_are_skipped():
    """States without a position, and states closer than the interval, are not kept."""
    rec = TrackRecorder(1, 1, min_interval_s=3600.0)
    assert not rec.add(VehicleState(1, 1), T0)
    assert rec.add(state(0), T0)
    assert not rec.add(state(1), T0 + timedelta(seconds=1))
    assert len(rec.pending) == 1
