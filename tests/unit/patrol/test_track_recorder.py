"""The patrol track recorder: thinning, distance, and the gap mark written to the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.db.models import Base, Patrol, Plan, Vehicle
from groundstation.db.session import make_sessionmaker
from groundstation.db.track import load_track
from groundstation.link.vehicle import Position, VehicleState
from groundstation.patrol.track_recorder import TrackRecorder, haversine_m

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


def test_distance_across_a_gap_follows_the_waypoints_reached_meanwhile():
    """Across a gap the distance goes through the waypoints the vehicle passed (its target item
    before and after the gap); without mission numbers it is the straight line."""
    corner = (29.05, 119.19)  # ~970 m east of the start, then back north-west
    rec = TrackRecorder(1, 1, min_interval_s=0.0)
    rec.via = lambda a, b: [corner] if (a, b) == (3, 4) else []

    def at(lat: float, lon: float, seq: int | None) -> VehicleState:
        return VehicleState(1, 1, position=Position(lat, lon, 70.0, 30.0), mission_seq=seq)

    rec.add(at(29.05, 119.18, 3), T0)
    rec.mark_gap(3)
    rec.add(at(29.051, 119.19, 4), T0 + timedelta(seconds=120))
    east = haversine_m(29.05, 119.18, *corner)
    north = haversine_m(*corner, 29.051, 119.19)
    assert rec.distance_m == pytest.approx(east + north)

    plain = TrackRecorder(1, 1, min_interval_s=0.0)
    plain.add(at(29.05, 119.18, None), T0)
    plain.mark_gap()
    plain.add(at(29.051, 119.19, None), T0 + timedelta(seconds=120))
    assert plain.distance_m == pytest.approx(haversine_m(29.05, 119.18, 29.051, 119.19))


def test_continue_from_a_stored_flight_counts_the_restart_gap():
    """After a restart the distance goes on from the stored flight's last point and total."""
    rec = TrackRecorder(1, 1, min_interval_s=0.0, gap_first=True)
    rec.via = lambda a, b: [(29.05, 119.19)] if (a, b) == (5, 6) else []
    rec.continue_from(T0, 29.05, 119.18, 1000.0, 5)
    st = VehicleState(1, 1, position=Position(29.051, 119.19, 70.0, 30.0), mission_seq=6)
    assert rec.add(st, T0 + timedelta(seconds=60))
    expected = haversine_m(29.05, 119.18, 29.05, 119.19) + haversine_m(
        29.05, 119.19, 29.051, 119.19
    )
    assert rec.distance_m == pytest.approx(1000.0 + expected)
    assert len(rec.pending) == 1, "the stored point is not stored again"


async def test_frequent_flushes_grow_the_last_chunk_instead_of_adding_rows(tmp_path):
    """500 points flushed 5 at a time (a second at 5 Hz) make 2 rows (300 + 200), read back in
    order as one segment; after a gap a new row starts, marked."""
    from sqlalchemy import func, select

    from groundstation.db.models import TrackChunk

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([Vehicle(id=1, sysid=1, name="d1"), Plan(id=1, name="p", kind="coverage")])
        s.add(Patrol(id=1, plan_id=1, vehicle_id=1))
        await s.commit()
    rec = TrackRecorder(1, 1, min_interval_s=0.0)
    for k in range(500):
        rec.add(state(k), T0 + timedelta(seconds=k / 5))
        if k % 5 == 4:
            async with sessions() as s:
                await rec.flush(s)
                await s.commit()
    rec.mark_gap()
    rec.add(state(600), T0 + timedelta(seconds=200))
    async with sessions() as s:
        await rec.flush(s)
        await s.commit()
        sizes = list(await s.scalars(select(TrackChunk.n_points).order_by(TrackChunk.t0)))
        track = await load_track(s, patrol_id=1)
        total = await s.scalar(select(func.count()).select_from(TrackChunk))
    await engine.dispose()
    assert sizes == [300, 200, 1]
    assert total == 3
    assert len(track.points) == 501
    assert track.segment_starts == (0, 500)
    lats = track.points["lat_deg"][:500]
    assert (lats[1:] > lats[:-1]).all()
