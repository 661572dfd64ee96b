"""The audit log of drone commands (admins only). Entries are written by `db.audit.audit`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from groundstation.api.deps import AdminUser, SessionDep
from groundstation.api.inputs import Instant, Offset
from groundstation.api.schemas import AuditEntryPublic, Page
from groundstation.db.models import AuditEntry

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("")
async def list_audit(
    session: SessionDep,
    _admin: AdminUser,
    vehicle_sysid: Annotated[int | None, Query(ge=0, le=255)] = None,
    username: str | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[AuditEntryPublic]:
    """Commands sent to drones, newest first, filtered by vehicle, user and time."""
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
    return Page(data=[AuditEntryPublic.from_row(e) for e in rows], count=int(total or 0))
