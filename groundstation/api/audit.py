"""The audit log of drone commands (admins only). Entries are written by `db.audit.audit`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from groundstation.api.deps import AdminUser, SessionDep
from groundstation.api.inputs import Instant, Offset
from groundstation.api.schemas import AuditEntryPublic, Page
from groundstation.db.audit_read import audit_page

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
    rows, total = await audit_page(
        session,
        vehicle_sysid=vehicle_sysid,
        username=username,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return Page(data=[AuditEntryPublic.from_row(e) for e in rows], count=total)
