"""The store's side of evidence packets: what touches an incident, names for ids, the checkpoint.

The audit rows that touch an incident are the ones whose parameters name it, one of its
photos or its patrol, and the commands to its drone while its track slice was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import (
    AuditCheckpoint,
    AuditEntry,
    CameraPhoto,
    Incident,
    Patrol,
    Report,
    User,
    Vehicle,
    VideoSegment,
)
from groundstation.db.types import utcnow


async def audit_rows_touching(
    session: AsyncSession,
    *,
    incident_id: int,
    attachment_ids: Sequence[int] = (),
    patrol_id: int | None = None,
    vehicle_sysid: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[AuditEntry]:
    """The audit rows about the incident, its photos, its patrol and its drone's window,
    in chain order."""
    params = AuditEntry.params
    touching = [params["incident_id"].as_integer() == incident_id]
    if attachment_ids:
        touching.append(params["attachment_id"].as_integer().in_(list(attachment_ids)))
    if patrol_id is not None:
        touching.append(params["patrol_id"].as_integer() == patrol_id)
    if vehicle_sysid is not None and since is not None and until is not None:
        touching.append(
            and_(
                AuditEntry.vehicle_sysid == vehicle_sysid,
                AuditEntry.at >= since,
                AuditEntry.at <= until,
            )
        )
    query = select(AuditEntry).where(or_(*touching)).order_by(AuditEntry.seq)
    return (await session.scalars(query)).all()


async def user_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    """``{id: username}`` for the users among `ids` that still exist."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {int(i): str(name) for i, name in rows.all()}


async def vehicle_by_id(session: AsyncSession, vehicle_id: int | None) -> Vehicle | None:
    return None if vehicle_id is None else await session.get(Vehicle, vehicle_id)


async def patrol_by_id(session: AsyncSession, patrol_id: int | None) -> Patrol | None:
    return None if patrol_id is None else await session.get(Patrol, patrol_id)


async def report_row(session: AsyncSession, patrol_id: int) -> Report | None:
    return await session.scalar(select(Report).where(Report.patrol_id == patrol_id))


async def latest_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    """The newest signed checkpoint of the audit chain, or None."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
    return await session.scalar(query)


async def set_hold(
    session: AsyncSession, incident: Incident, user: User, *, held: bool, reason: str
) -> Incident:
    """Put the incident under legal hold or lift it (committed; the caller audits)."""
    incident.held = held
    incident.held_by = user.id if held else None
    incident.held_at = utcnow() if held else None
    incident.hold_reason = reason if held else ""
    await session.commit()
    return incident


async def camera_photos_between(
    session: AsyncSession, sysid: int, since: datetime, until: datetime
) -> Sequence[CameraPhoto]:
    """The photos the drone's camera took between `since` and `until`, oldest first."""
    query = (
        select(CameraPhoto)
        .where(
            CameraPhoto.sysid == sysid, CameraPhoto.taken_at >= since, CameraPhoto.taken_at <= until
        )
        .order_by(CameraPhoto.taken_at, CameraPhoto.id)
    )
    return (await session.scalars(query)).all()


async def incident_camera_photos(
    session: AsyncSession, incident: Incident, margin_s: float
) -> Sequence[CameraPhoto]:
    """The photos of the incident's drone (its own, else its patrol's) taken within
    `margin_s` of it: those its evidence packet carries. None without a drone."""
    patrol = await patrol_by_id(session, incident.patrol_id)
    vehicle = await vehicle_by_id(
        session, incident.vehicle_id or (patrol.vehicle_id if patrol else None)
    )
    if vehicle is None:
        return []
    margin = timedelta(seconds=margin_s)
    at = incident.created_at
    return await camera_photos_between(session, vehicle.sysid, at - margin, at + margin)


async def video_segments_between(
    session: AsyncSession, sysid: int, since: datetime, until: datetime
) -> Sequence[VideoSegment]:
    """The drone's recorded video segments overlapping `since`..`until`, oldest first."""
    query = (
        select(VideoSegment)
        .where(
            VideoSegment.sysid == sysid,
            VideoSegment.ended_at >= since,
            VideoSegment.started_at <= until,
        )
        .order_by(VideoSegment.started_at, VideoSegment.id)
    )
    return (await session.scalars(query)).all()
