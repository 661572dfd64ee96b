"""Incident photos in the store: a new one, one by id, its bytes, the bytes held per incident
and per user."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Attachment, Incident
from groundstation.db.types import utcnow


async def attachment_of_incident(
    session: AsyncSession, incident_id: int, attachment_id: int
) -> Attachment | None:
    """The photo `attachment_id` if it belongs to `incident_id` (its bytes not read), or None."""
    query = select(Attachment).where(
        Attachment.id == attachment_id, Attachment.incident_id == incident_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def attachment_data(session: AsyncSession, attachment_id: int) -> bytes | None:
    """The photo's bytes (deferred on the row, so read on their own)."""
    return await session.scalar(select(Attachment.data).where(Attachment.id == attachment_id))


async def photo_bytes_of_incident(session: AsyncSession, incident_id: int) -> int:
    """Bytes of photos attached to the incident so far."""
    query = select(func.coalesce(func.sum(Attachment.size_bytes), 0)).where(
        Attachment.incident_id == incident_id
    )
    return int(await session.scalar(query) or 0)


async def photo_bytes_of_user(session: AsyncSession, user_id: int) -> int:
    """Bytes of photos the user has uploaded so far."""
    query = select(func.coalesce(func.sum(Attachment.size_bytes), 0)).where(
        Attachment.uploaded_by == user_id
    )
    return int(await session.scalar(query) or 0)


async def add_attachment(
    session: AsyncSession, incident: Incident, attachment: Attachment
) -> Attachment:
    """Store a photo of the incident, which is updated now (committed)."""
    session.add(attachment)
    incident.updated_at = utcnow()
    await session.commit()
    return attachment
