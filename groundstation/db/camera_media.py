"""Camera photos and recorded video segments: their rows (the bytes are files on disk).

Photos are unique per (vehicle, image index, time): a CAMERA_IMAGE_CAPTURED heard twice (a
camera resends, two links) is stored once. Each row keeps the file's SHA-256 so evidence
packets can cite it and a verifier can check the file has not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import CameraPhoto, Incident, Patrol, Vehicle, VideoSegment


@dataclass(frozen=True, slots=True)
class NewPhoto:
    sysid: int
    image_index: int
    taken_at: datetime
    lat_deg: float | None
    lon_deg: float | None
    alt_msl_m: float | None
    exif_lat_deg: float | None
    exif_lon_deg: float | None
    exif_alt_m: float | None
    source_url: str
    sha256: str
    size_bytes: int
    path: str
    patrol_id: int | None = None


async def add_photo(session: AsyncSession, photo: NewPhoto) -> CameraPhoto:
    """Store `photo` (or return the row already stored for the same shot)."""
    existing = await session.scalar(
        select(CameraPhoto).where(
            CameraPhoto.sysid == photo.sysid,
            CameraPhoto.image_index == photo.image_index,
            CameraPhoto.taken_at == photo.taken_at,
        )
    )
    if existing is not None:
        return existing
    row = CameraPhoto(**{f: getattr(photo, f) for f in NewPhoto.__slots__})
    session.add(row)
    await session.flush()
    return row


async def list_photos(
    session: AsyncSession,
    sysid: int | None = None,
    patrol_id: int | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> Sequence[CameraPhoto]:
    """Newest first."""
    q = select(CameraPhoto).order_by(CameraPhoto.taken_at.desc(), CameraPhoto.id.desc())
    if sysid is not None:
        q = q.where(CameraPhoto.sysid == sysid)
    if patrol_id is not None:
        q = q.where(CameraPhoto.patrol_id == patrol_id)
    if since is not None:
        q = q.where(CameraPhoto.taken_at >= since)
    return (await session.scalars(q.limit(limit))).all()


async def get_photo(session: AsyncSession, photo_id: int) -> CameraPhoto | None:
    return await session.get(CameraPhoto, photo_id)


async def add_segment(
    session: AsyncSession,
    sysid: int,
    started_at: datetime,
    ended_at: datetime,
    frames: int,
    sha256: str,
    size_bytes: int,
    path: str,
    patrol_id: int | None = None,
) -> VideoSegment:
    row = VideoSegment(
        sysid=sysid,
        started_at=started_at,
        ended_at=ended_at,
        frames=frames,
        sha256=sha256,
        size_bytes=size_bytes,
        path=path,
        patrol_id=patrol_id,
    )
    session.add(row)
    await session.flush()
    return row


async def list_segments(
    session: AsyncSession, sysid: int | None = None, since: datetime | None = None
) -> Sequence[VideoSegment]:
    """Oldest first (the order to play them in)."""
    q = select(VideoSegment).order_by(VideoSegment.started_at, VideoSegment.id)
    if sysid is not None:
        q = q.where(VideoSegment.sysid == sysid)
    if since is not None:
        q = q.where(VideoSegment.ended_at >= since)
    return (await session.scalars(q)).all()


async def vehicle_of_sysid(session: AsyncSession, sysid: int) -> Vehicle | None:
    """The registered vehicle with MAVLink system id `sysid` (whose camera it is), if any."""
    return await session.scalar(select(Vehicle).where(Vehicle.sysid == sysid))


async def patrol_at(session: AsyncSession, sysid: int, at: datetime) -> int | None:
    """The patrol vehicle `sysid` was flying at `at` (started, not yet ended), if any: the
    patrol a photo or a recording belongs to."""
    query = (
        select(Patrol.id)
        .join(Vehicle, Patrol.vehicle_id == Vehicle.id)
        .where(
            Vehicle.sysid == sysid,
            Patrol.started_at.is_not(None),
            Patrol.started_at <= at,
            or_(Patrol.ended_at.is_(None), Patrol.ended_at >= at),
        )
        .order_by(Patrol.started_at.desc())
        .limit(1)
    )
    found: int | None = await session.scalar(query)
    return found


async def _protected(session: AsyncSession, protect_s: float) -> Callable[[VideoSegment], bool]:
    """Whether a segment is evidence to keep: it belongs to a patrol with an incident or lies
    within `protect_s` of an incident of its drone."""
    rows = await session.execute(
        select(Incident.created_at, Incident.patrol_id, Vehicle.sysid).outerjoin(
            Vehicle, Incident.vehicle_id == Vehicle.id
        )
    )
    incidents = rows.all()
    patrols = {p for _, p, _ in incidents if p is not None}
    margin = timedelta(seconds=protect_s)

    def protected(s: VideoSegment) -> bool:
        if s.patrol_id is not None and s.patrol_id in patrols:
            return True
        return any(
            sysid == s.sysid and s.started_at - margin <= at <= s.ended_at + margin
            for at, _, sysid in incidents
        )

    return protected


async def segments_to_drop(
    session: AsyncSession, max_bytes: int, protect_s: float
) -> list[VideoSegment]:
    """The oldest segments to remove so the recordings fit in `max_bytes`, skipping every
    segment that belongs to a patrol with an incident or lies within `protect_s` of an incident
    of its drone (evidence may need it). May free less than needed if too much is protected."""
    segments = (await session.scalars(select(VideoSegment).order_by(VideoSegment.started_at))).all()
    excess = sum(s.size_bytes for s in segments) - max_bytes
    if excess <= 0:
        return []
    protected = await _protected(session, protect_s)
    drop: list[VideoSegment] = []
    for s in segments:
        if excess <= 0:
            break
        if not protected(s):
            drop.append(s)
            excess -= s.size_bytes
    return drop


async def segments_older_than(
    session: AsyncSession, cutoff: datetime, protect_s: float
) -> list[VideoSegment]:
    """The segments that ended before `cutoff`, oldest first, except the protected ones (as
    :func:`segments_to_drop` protects them): those past the retention age."""
    q = select(VideoSegment).where(VideoSegment.ended_at < cutoff)
    old = (await session.scalars(q.order_by(VideoSegment.started_at, VideoSegment.id))).all()
    if not old:
        return []
    protected = await _protected(session, protect_s)
    return [s for s in old if not protected(s)]


async def delete_segments(session: AsyncSession, segments: Sequence[VideoSegment]) -> None:
    """Forget `segments` (their files already removed)."""
    for s in segments:
        await session.delete(s)
