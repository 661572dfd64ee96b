"""Camera photos and video segments in the store: which patrol they belong to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db import camera_media
from groundstation.db.models import Patrol, Plan, Vehicle

T0 = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)


async def test_a_shot_belongs_to_the_patrol_its_drone_was_flying(session: AsyncSession) -> None:
    """Between a patrol's start and end (or while it is still open) its drone's shots are its
    own; before, after, or from another drone they belong to no patrol."""
    heron, egret = Vehicle(sysid=2, name="heron"), Vehicle(sysid=3, name="egret")
    plan = Plan(name="shore", kind="shore")
    session.add_all([heron, egret, plan])
    await session.flush()
    done = Patrol(plan_id=plan.id, vehicle_id=heron.id, state="reported",
                  started_at=T0, ended_at=T0 + timedelta(minutes=30))  # fmt: skip
    flying = Patrol(plan_id=plan.id, vehicle_id=heron.id, state="flying",
                    started_at=T0 + timedelta(hours=1))  # fmt: skip
    session.add_all([done, flying])
    await session.flush()
    at = camera_media.patrol_at
    assert await at(session, 2, T0 + timedelta(minutes=10)) == done.id
    assert await at(session, 2, T0 + timedelta(minutes=45)) is None
    assert await at(session, 2, T0 + timedelta(hours=2)) == flying.id
    assert await at(session, 3, T0 + timedelta(minutes=10)) is None
    assert await at(session, 2, T0 - timedelta(minutes=1)) is None


async def test_over_quota_the_oldest_unprotected_segments_go(session: AsyncSession) -> None:
    """Past the quota the oldest segments are chosen, but never one of a patrol with an
    incident nor one within the protection window of an incident of its drone."""
    from groundstation.db.models import Incident, IncidentType

    heron = Vehicle(sysid=2, name="heron")
    plan = Plan(name="shore", kind="shore")
    session.add_all([heron, plan])
    await session.flush()
    patrol = Patrol(plan_id=plan.id, vehicle_id=heron.id, state="reported", started_at=T0)
    session.add(patrol)
    await session.flush()
    minute = timedelta(minutes=1)

    async def segment(start_min: int, patrol_id: int | None = None) -> int:
        row = await camera_media.add_segment(
            session, 2, T0 + start_min * minute, T0 + (start_min + 1) * minute, 900,
            "0" * 64, 1_000_000, f"/rec/{start_min}.mp4", patrol_id,
        )  # fmt: skip
        return row.id

    in_patrol = await segment(0, patrol.id)  # its patrol has an incident
    old = await segment(60)
    near = await segment(120)  # an incident of drone 2 five minutes later
    newer = await segment(180)
    await segment(240)
    session.add_all([
        Incident(type=IncidentType.OTHER, lat_deg=29.0, lon_deg=119.0, patrol_id=patrol.id),
        Incident(type=IncidentType.OTHER, lat_deg=29.0, lon_deg=119.0, vehicle_id=heron.id,
                 created_at=T0 + 126 * minute),
    ])  # fmt: skip
    await session.flush()
    drop = await camera_media.segments_to_drop(session, 3_000_000, protect_s=300)
    assert [s.id for s in drop] == [old, newer]
    assert in_patrol not in [s.id for s in drop]
    assert near not in [s.id for s in drop]
    assert await camera_media.segments_to_drop(session, 5_000_000, protect_s=300) == []


async def test_the_video_service_removes_files_and_rows_past_the_quota(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """enforce_quota deletes the chosen segments' files and rows and keeps the rest."""
    from groundstation.video.service import VideoService
    from groundstation.video.settings import VideoSettings

    paths = []
    async with sessions.begin() as session:
        for i in range(3):
            path = tmp_path / f"{i}.mp4"
            path.write_bytes(bytes(400_000))
            paths.append(path)
            await camera_media.add_segment(
                session, 4, T0 + timedelta(minutes=i), T0 + timedelta(minutes=i + 1), 900,
                "0" * 64, 400_000, str(path),
            )  # fmt: skip
    video = VideoService(VideoSettings(max_recordings_mb=1.0), tmp_path, sessions)
    assert await video.enforce_quota() == 1
    assert [p.exists() for p in paths] == [False, True, True]
    async with sessions() as session:
        left = await camera_media.list_segments(session, sysid=4)
    assert [Path(s.path) for s in left] == paths[1:]


async def test_past_the_retention_age_unprotected_segments_go_and_the_sweep_is_audited(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """With retention_days=2 and the time given, segments that ended more than two days ago
    are removed (files and rows) unless an incident of their drone protects them; the sweep
    writes one audit row naming what went, and a sweep with nothing to remove writes none."""
    from sqlalchemy import select

    from groundstation.db.models import AuditEntry, Incident, IncidentType
    from groundstation.video.service import VideoService
    from groundstation.video.settings import VideoSettings

    day = timedelta(days=1)
    starts = {"old": T0 - 5 * day, "evidence": T0 - 4 * day, "recent": T0 - day}
    paths: dict[str, Path] = {}
    async with sessions.begin() as session:
        heron = Vehicle(sysid=4, name="heron")
        session.add(heron)
        await session.flush()
        for name, start in starts.items():
            paths[name] = tmp_path / f"{name}.mp4"
            paths[name].write_bytes(b"x" * 1000)
            await camera_media.add_segment(
                session, 4, start, start + timedelta(minutes=1), 900, name[0] * 64, 1000,
                str(paths[name]),
            )  # fmt: skip
        session.add(Incident(type=IncidentType.OTHER, lat_deg=29.0, lon_deg=119.0,
                             vehicle_id=heron.id,
                             created_at=starts["evidence"] + timedelta(minutes=2)))  # fmt: skip
    video = VideoService(VideoSettings(retention_days=2, protect_s=600), tmp_path, sessions)
    assert await video.enforce_retention(now=T0) == 1
    assert {n: p.exists() for n, p in paths.items()} == {
        "old": False, "evidence": True, "recent": True,
    }  # fmt: skip
    assert await video.enforce_retention(now=T0) == 0
    async with sessions() as session:
        left = await camera_media.list_segments(session, sysid=4)
        audits = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.command == "video.retention_sweep")
            )
        ).all()
    assert sorted(s.sha256[0] for s in left) == ["e", "r"]
    (row,) = audits
    assert row.result == "removed 1 segments"
    assert row.params["sha256"] == ["o" * 64]
    assert row.params["bytes"] == 1000
    assert row.params["ended_before"] == (T0 - 2 * day).isoformat()
    assert await video.enforce_retention(now=T0 + 10 * day) == 1  # the recent one's turn
    assert paths["evidence"].exists()


async def test_no_retention_age_keeps_everything(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """retention_days unset: nothing is removed however old."""
    from groundstation.video.service import VideoService
    from groundstation.video.settings import VideoSettings

    async with sessions.begin() as session:
        await camera_media.add_segment(
            session, 4, T0, T0 + timedelta(minutes=1), 900, "0" * 64, 10, "/nowhere.mp4"
        )
    video = VideoService(VideoSettings(), tmp_path, sessions)
    assert await video.enforce_retention(now=T0 + timedelta(days=3650)) == 0
