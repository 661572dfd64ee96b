"""Test doubles for evidence: a store seeded with an incident, its photos, drone and track.

Shipped with the package (as ``structlog.testing`` is) so the tests and ``bench/`` build the
same incident: a drone with `track_s` seconds of track at 1 Hz centred on the incident time,
`photos` small JPEGs uploaded by a pilot, and the audit rows their uploads would write.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.audit import audit
from groundstation.db.models import Attachment, Incident, IncidentType, Role, User, Vehicle
from groundstation.db.track import TrackPoint, append_points

T_INCIDENT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def jpeg(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG, different for each `seed`."""
    from PIL import Image

    out = io.BytesIO()
    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def _camera_sized(seed: int, size: int) -> bytes:
    import random

    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(size - 4)


@dataclass(frozen=True, slots=True)
class SeededIncident:
    incident_id: int
    attachment_ids: list[int]
    vehicle_id: int
    pilot_id: int


async def seed_incident(
    session: AsyncSession,
    *,
    photos: int = 3,
    track_s: int = 600,
    photo_size: tuple[int, int] = (64, 48),
    photo_bytes: int = 0,
    track_hz: float = 1.0,
    at: datetime = T_INCIDENT,
) -> SeededIncident:
    """An incident at `at` with `photos` photos and `track_s` s of its drone's track.

    Photos are small real JPEGs of `photo_size`, or with `photo_bytes` a JPEG header followed
    by that many random bytes (the size and incompressibility of a camera's photo, quickly).
    """
    pilot = User(username="pilot-ev", role=Role.PILOT, password_hash="x", full_name="Pilot")
    vehicle = Vehicle(sysid=42, name="heron-1")
    session.add_all([pilot, vehicle])
    await session.flush()
    incident = Incident(
        type=IncidentType.ILLEGAL_FISHING, lat_deg=29.03, lon_deg=119.17,
        description="电鱼 / electrofishing near the shore", reported_by=pilot.id,
        vehicle_id=vehicle.id, created_at=at, updated_at=at,
    )  # fmt: skip
    session.add(incident)
    await session.flush()
    start = at - timedelta(seconds=track_s / 2)
    points = [
        TrackPoint(start + timedelta(seconds=k / track_hz), 29.03 + k * 1e-6, 119.17, 60.0, 8.0,
                   90.0)
        for k in range(int(track_s * track_hz))
    ]  # fmt: skip
    await append_points(session, vehicle.id, points)
    ids = []
    for k in range(photos):
        data = jpeg(k, photo_size) if not photo_bytes else _camera_sized(k, photo_bytes)
        attachment = Attachment(
            incident_id=incident.id, filename=f"IMG_{k:04d}.jpg", content_type="image/jpeg",
            size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), lat_deg=29.03,
            lon_deg=119.17, uploaded_by=pilot.id, data=data, created_at=at,
        )  # fmt: skip
        session.add(attachment)
        await session.flush()
        ids.append(attachment.id)
    await session.commit()
    await audit(session, pilot, vehicle, "incident.create", "ok", {"incident_id": incident.id})
    for attachment_id in ids:
        params = {"incident_id": incident.id, "attachment_id": attachment_id}
        await audit(session, pilot, None, "attachment.upload", "ok", params)
    return SeededIncident(incident.id, ids, vehicle.id, pilot.id)
