"""Patrol reports and the daily summary.

- ``GET /api/reports``: the filed reports with their summary numbers (newest first);
- ``GET /api/patrols/{id}/report?format=html|pdf|geojson|kml|csv|png|json``: one report, rendered
  from the stored facts (``download=true`` asks the browser to save it);
- ``POST /api/patrols/{id}/report``: file (or refresh) a report's summary now (pilots);
- ``GET /api/reports/daily?day=YYYY-MM-DD&lang=zh|en&format=html|json``: the site's day.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from groundstation.api.deps import PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.inputs import Day, Id, Offset
from groundstation.api.site_deps import current_site, freshness_service
from groundstation.db.reports import report_page
from groundstation.reports.builder import MEDIA_TYPES, build_report, check_format, file_report
from groundstation.reports.daily import (
    check_lang,
    daily_summary,
    day_bounds,
    freshness_png,
    render_daily_html,
)

router = APIRouter(tags=["reports"], dependencies=[Depends(current_user)])

TZ = "Asia/Shanghai"


class ReportPublic(BaseModel):
    id: int
    patrol_id: int
    created_at: datetime
    summary: dict[str, Any]


class ReportsPublic(BaseModel):
    data: list[ReportPublic]
    count: int


@router.get("/api/reports")
async def list_reports(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> ReportsPublic:
    """Filed reports, newest first, with the summary numbers."""
    rows, count = await report_page(session, limit=limit, offset=offset)
    data = [
        ReportPublic(
            id=r.id,
            patrol_id=r.patrol_id,
            created_at=r.created_at,
            summary=dict((r.facts or {}).get("summary") or {}),
        )
        for r in rows
    ]
    return ReportsPublic(data=data, count=count)


async def _skipped(session: SessionDep, day: date) -> list[dict[str, Any]]:
    from groundstation.schedule.store import skipped_runs

    start, end = day_bounds(day, TZ)
    return await skipped_runs(session, start, end)


@router.get(
    "/api/reports/daily",
    response_model=None,
    responses={200: {"content": {"text/html": {}, "application/json": {}}}},
)
async def daily(
    services: ServicesDep,
    session: SessionDep,
    day: Annotated[Day | None, Query(description="local day (1970-9999); default today")] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
    format: Annotated[Literal["html", "json"], Query()] = "html",
) -> Response:
    """The site's day: patrols flown and skipped, distance and time, incidents, freshness."""
    check_lang(lang)
    day = day or datetime.now(ZoneInfo(TZ)).date()
    site, _row, _cache = await current_site(services, session)
    fresh = await freshness_service(services, session)
    data = await daily_summary(
        session,
        day,
        site=site.name,
        tz=TZ,
        skipped=await _skipped(session, day),
        freshness=fresh.grid,
        hfov_deg=services.settings.freshness.hfov_deg,
    )
    if format == "json":
        return JSONResponse(data)
    _start, end = day_bounds(day, TZ)
    now = min(time.time(), end.timestamp())
    picture = await asyncio.to_thread(freshness_png, fresh.grid, now)
    return HTMLResponse(render_daily_html(data, lang, picture))


@router.get(
    "/api/patrols/{patrol_id}/report",
    response_model=None,
    responses={200: {"content": {media: {} for media in sorted(set(MEDIA_TYPES.values()))}}},
)
async def patrol_report(
    services: ServicesDep,
    session: SessionDep,
    patrol_id: Id,
    format: Annotated[str, Query(description="html, pdf, geojson, kml, csv, png or json")] = "html",
    download: bool = False,
) -> Response:
    """One patrol's report, rendered from the stored facts."""
    fmt = check_format(format)
    site = None
    if fmt in ("html", "pdf", "png"):
        site, _row, _cache = await current_site(services, session)
    hfov_deg = services.settings.freshness.hfov_deg
    out = await build_report(session, patrol_id, fmt, site, hfov_deg=hfov_deg)
    disposition = "attachment" if download else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="{out.filename}"'}
    return Response(out.body, media_type=out.media_type, headers=headers)


@router.post("/api/patrols/{patrol_id}/report")
async def refile_report(
    services: ServicesDep, session: SessionDep, _user: PilotUser, patrol_id: Id
) -> dict[str, Any]:
    """Compute and store the report's summary now; returns it."""
    hfov_deg = services.settings.freshness.hfov_deg
    return await file_report(session, patrol_id, hfov_deg=hfov_deg)
