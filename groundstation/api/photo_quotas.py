"""Photo quotas per incident and per user, shared by every route that stores a photo into an
incident (an upload, a still from a drone's live video)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.config import Settings
from groundstation.db.attachments import photo_bytes_of_incident, photo_bytes_of_user
from groundstation.db.models import Incident, User
from groundstation.errors import PayloadTooLarge


async def check_quotas(
    session: AsyncSession, settings: Settings, incident: Incident, user: User, size: int
) -> None:
    """:class:`PayloadTooLarge` if `size` more bytes would pass the incident's or the user's
    photo quota."""
    for scope, used_by, key, limit in (
        (f"incident {incident.id}", photo_bytes_of_incident, incident.id,
         settings.max_incident_photo_bytes),
        (f"user {user.username!r}", photo_bytes_of_user, user.id,
         settings.max_user_photo_bytes),
    ):  # fmt: skip
        used = await used_by(session, key)
        if used + size > limit:
            raise PayloadTooLarge(
                f"{scope} already holds {used} bytes of photos; this one ({size} bytes) would "
                f"pass the limit of {limit} bytes per {scope.split()[0]}",
                limit_bytes=limit,
                used_bytes=used,
            )
