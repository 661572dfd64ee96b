"""The audit log (admins only): a filtered page, the kinds of action, and a CSV export.

Entries are written by `db.audit.audit`; the same filters serve the page and the export.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from groundstation.api.deps import AdminUser, ServicesDep, SessionDep
from groundstation.api.inputs import Instant, Offset
from groundstation.api.schemas import AuditEntryPublic, Page
from groundstation.db.audit import audit
from groundstation.db.audit_read import AuditFilter, audit_actions, audit_in_chain_order, audit_page
from groundstation.errors import InvalidRequest
from groundstation.evidence.audit_csv import header_line, row_line

router = APIRouter(prefix="/api/audit", tags=["audit"])


def audit_filter(
    vehicle_sysid: Annotated[int | None, Query(ge=0, le=255)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    action: Annotated[
        str | None, Query(max_length=64, description="a command, or a family: user = user.*")
    ] = None,
    text: Annotated[
        str | None, Query(max_length=200, description="in user, command, result, parameters")
    ] = None,
) -> AuditFilter:
    if since is not None and until is not None and until < since:
        raise InvalidRequest("until is before since", field="until")
    return AuditFilter(
        vehicle_sysid=vehicle_sysid,
        username=username or None,
        since=since,
        until=until,
        action=action or None,
        text=text.strip() or None if text else None,
    )


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("")
async def list_audit(
    session: SessionDep,
    _admin: AdminUser,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[AuditEntryPublic]:
    """Entries, newest first, filtered by vehicle, user, time, action and text."""
    rows, total = await audit_page(session, f, limit=limit, offset=offset)
    return Page(data=[AuditEntryPublic.from_row(e) for e in rows], count=total)


@router.get("/actions")
async def list_actions(session: SessionDep, _admin: AdminUser) -> list[str]:
    """The commands the log holds (the choices of the action filter)."""
    return await audit_actions(session)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_csv(
    services: ServicesDep,
    session: SessionDep,
    admin: AdminUser,
    f: FilterDep,
    time_zone: Annotated[str, Query(max_length=64)] = "Asia/Shanghai",
) -> StreamingResponse:
    """The matching entries as CSV in chain order (UTF-8 with BOM, local ISO times, the
    hash-chain columns), streamed; the export itself is logged first."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {time_zone!r}", field="time_zone") from None
    params = {
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
        "username": f.username,
        "action": f.action,
        "text": f.text,
        "vehicle_sysid": f.vehicle_sysid,
    }
    await audit(session, admin, None, "audit.export", "ok", params)

    async def lines() -> AsyncIterator[bytes]:
        yield header_line().encode()
        async for row in audit_in_chain_order(services.sessions, f):
            yield row_line(row, zone).encode()

    stamp = datetime.now(UTC).astimezone(zone).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
