"""Reading the audit log (written by :func:`groundstation.db.audit.audit`): a filtered page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import AuditEntry


async def audit_page(
    session: AsyncSession,
    *,
    vehicle_sysid: int | None,
    username: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[AuditEntry], int]:
    """One page of entries, newest first, and how many match the filters in all."""
    query = select(AuditEntry)
    if vehicle_sysid is not None:
        query = query.where(AuditEntry.vehicle_sysid == vehicle_sysid)
    if username is not None:
        query = query.where(AuditEntry.username == username)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at <= until)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return rows.all(), int(total or 0)
