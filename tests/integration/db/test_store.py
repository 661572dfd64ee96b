"""The store on SQLite and PostgreSQL: pragmas, constraints, UTC times, users, audit, tracks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.audit import audit
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.models import (
    Attachment,
    AuditEntry,
    Incident,
    IncidentType,
    Role,
    TrackChunk,
    Vehicle,
)
from groundstation.db.session import make_async_engine
from groundstation.db.track import CHUNK_POINTS, TrackPoint, append_points, load_track
from groundstation.db.users import (
    authenticate,
    count_admins,
    create_user,
    ensure_first_admin,
    get_by_username,
)
from groundstation.errors import Conflict, InvalidRequest, NotAuthenticated
from groundstation.security import Passwords, make_hasher

T0 = datetime(2026, 5, 1, 0, 30, tzinfo=UTC)
PASSWORDS = Passwords(make_hasher("cheapest"))


async def _vehicle(session: AsyncSession, sysid: int = 1) -> Vehicle:
    v = Vehicle(sysid=sysid, name=f"drone-{sysid}")
    session.add(v)
    await session.commit()
    return v


def _hour_at_5hz(start: datetime = T0, n: int = 5 * 3600) -> list[TrackPoint]:
    i = np.arange(n)
    lat = 29.03 + 0.01 * np.sin(i / 500.0)
    lon = 119.17 + 0.01 * np.cos(i / 500.0)
    return [
        TrackPoint(
            start + timedelta(milliseconds=200 * k), float(a), float(o), 60.0 + k % 7, 8.5, 90.0
        )
        for k, a, o in zip(i.tolist(), lat, lon, strict=True)
    ]


async def test_sqlite_pragmas_are_set(tmp_path):
    """SQLite connections run in WAL mode with foreign keys enforced."""
    from groundstation.config import DbSettings

    db = DbSettings(url=f"sqlite:///{tmp_path / 'p.db'}")
    upgrade_to_head(db)
    engine = make_async_engine(db)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(session):
    """An attachment pointing at a missing incident is refused by the database."""
    session.add(
        Attachment(
            incident_id=999, filename="a.jpg", content_type="image/jpeg", size_bytes=1,
            sha256="0" * 64, data=b"x",
        )
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        await session.commit()


async def test_times_come_back_aware_utc(session):
    """A timestamp stored from another zone is read back as the same instant in UTC."""
    local = datetime(2026, 5, 1, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    incident = Incident(type=IncidentType.POACHING, lat_deg=29.0, lon_deg=119.1, created_at=local)
    session.add(incident)
    await session.commit()
    session.expunge_all()
    again = await session.get(Incident, incident.id)
    assert again is not None
    assert again.created_at.tzinfo is not None
    assert again.created_at == local
    assert again.created_at.hour == 8
    assert again.created_at.utcoffset() == timedelta(0)


async def test_naive_time_is_refused(session):
    """Storing a naive datetime fails loudly instead of guessing its zone."""
    session.add(
        Incident(type=IncidentType.OTHER, lat_deg=0, lon_deg=0, created_at=datetime(2026, 1, 1))
    )
    with pytest.raises(Exception, match="naive datetime"):
        await session.commit()


async def test_users_create_authenticate_and_conflict(session):
    """A user logs in with the right password only; a duplicate name is a Conflict."""
    await create_user(
        session, PASSWORDS, username="li", password="heron-dusk-patrol", role=Role.PILOT
    )
    await session.commit()
    user = await authenticate(session, PASSWORDS, "li", "heron-dusk-patrol")
    assert user.role == Role.PILOT
    with pytest.raises(NotAuthenticated):
        await authenticate(session, PASSWORDS, "li", "wrong-pass")
    with pytest.raises(Conflict):
        await create_user(
            session, PASSWORDS, username="li", password="egret-dawn-patrol", role=Role.OFFICER
        )
    with pytest.raises(InvalidRequest, match="at least 8"):
        await create_user(session, PASSWORDS, username="wu", password="short", role=Role.OFFICER)


async def test_first_admin_only_when_none_exists(session):
    """ensure_first_admin creates an admin on an empty store and does nothing afterwards."""
    assert await ensure_first_admin(session, PASSWORDS, "root", "admin-password") is not None
    assert await ensure_first_admin(session, PASSWORDS, "root2", "admin-password") is None
    assert await count_admins(session) == 1
    assert await get_by_username(session, "root2") is None


async def test_audit_keeps_names_of_user_and_vehicle(session):
    """An audit entry records user, vehicle id and sysid, command, params and result."""
    vehicle = await _vehicle(session, sysid=4)
    user = await create_user(
        session, PASSWORDS, username="zhao", password="heron-dusk-patrol", role=Role.PILOT
    )
    entry = await audit(session, user, vehicle, "takeoff", "accepted", {"alt_m": 30})
    unknown = await audit(session, None, 17, "rtl", "timeout")
    session.expunge_all()
    stored = await session.get(AuditEntry, entry.id)
    assert stored is not None
    assert (stored.username, stored.vehicle_sysid, stored.command, stored.params) == (
        "zhao", 4, "takeoff", {"alt_m": 30},
    )  # fmt: skip
    other = await session.get(AuditEntry, unknown.id)
    assert other is not None
    assert (other.username, other.vehicle_id, other.vehicle_sysid) == ("station", None, 17)


async def test_hour_of_track_is_compact_and_exact(session):
    """An hour at 5 Hz becomes 60 rows of a few hundred kB and reads back within 1 cm and 1 ms."""
    vehicle = await _vehicle(session)
    points = _hour_at_5hz()
    chunks = await append_points(session, vehicle.id, points)
    await session.commit()
    assert len(chunks) == len(points) // CHUNK_POINTS
    stored_bytes = await session.scalar(select(func.sum(func.length(TrackChunk.data))))
    assert stored_bytes is not None
    assert stored_bytes / len(points) <= 24  # never worse than the raw packed size
    track = await load_track(session, vehicle_id=vehicle.id)
    assert len(track.points) == len(points)
    assert track.segment_starts == (0,)
    lat = np.array([p.lat_deg for p in points])
    lon = np.array([p.lon_deg for p in points])
    assert np.abs(track.points["lat_deg"] - lat).max() < 1e-7
    assert np.abs(track.points["lon_deg"] - lon).max() < 1e-7
    times = np.array([p.time.timestamp() for p in points])
    assert np.abs(track.points["time_s"] - times).max() < 1e-3
    assert track.points["alt_m"][:7].tolist() == [60.0, 61.0, 62.0, 63.0, 64.0, 65.0, 66.0]


async def test_track_gap_and_time_window(session):
    """A chunk stored after a gap starts a new segment; a time window trims points, not gaps."""
    vehicle = await _vehicle(session)
    first = _hour_at_5hz(T0, 50)
    second = _hour_at_5hz(T0 + timedelta(minutes=10), 50)
    await append_points(session, vehicle.id, first)
    await append_points(session, vehicle.id, second, gap_before=True)
    await session.commit()
    track = await load_track(session, vehicle_id=vehicle.id)
    assert track.segment_starts == (0, 50)
    assert [len(s) for s in track.segments()] == [50, 50]
    window = await load_track(
        session, vehicle_id=vehicle.id, since=T0 + timedelta(seconds=5), until=second[9].time
    )
    assert len(window.points) == 25 + 10
    assert window.segment_starts == (0, 25)


async def test_track_points_must_be_in_time_order(session):
    """Out-of-order points are refused with a clear error before anything is stored."""
    vehicle = await _vehicle(session)
    points = _hour_at_5hz(T0, 3)
    with pytest.raises(ValueError, match="older than the one before"):
        await append_points(session, vehicle.id, [points[1], points[0]])
