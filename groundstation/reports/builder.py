"""Building a patrol's report in a chosen format, and filing its summary in the store.

Rendering (matplotlib, ReportLab) is CPU work: the async entry points gather the facts on the
event loop and render in a worker thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Report
from groundstation.errors import InvalidRequest
from groundstation.freshness.grid import DEFAULT_HFOV_DEG
from groundstation.reports.exports import report_geojson, report_kml, track_csv
from groundstation.reports.facts import PatrolFacts, gather, summary
from groundstation.reports.html import render_html
from groundstation.reports.mapimage import render_map
from groundstation.reports.pdf import render_pdf

if TYPE_CHECKING:
    from geodata.site import Site

ReportFormat = Literal["html", "pdf", "geojson", "kml", "csv", "png", "json"]
FORMATS: tuple[str, ...] = get_args(ReportFormat)
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
    "json": "application/json",
}


@dataclass(frozen=True, slots=True)
class RenderedReport:
    body: bytes
    media_type: str
    filename: str


def check_format(fmt: str) -> ReportFormat:
    """`fmt` if it is a known report format, else :class:`InvalidRequest` listing the known ones."""
    if fmt not in FORMATS:
        raise InvalidRequest(
            f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}", field="format"
        )
    return fmt  # type: ignore[return-value]  # checked against the Literal's values above


def render(
    facts: PatrolFacts,
    fmt: ReportFormat,
    site: Site | None = None,
    *,
    hfov_deg: float = DEFAULT_HFOV_DEG,
) -> RenderedReport:
    """Render gathered facts (synchronous, CPU-bound); `hfov_deg` is the camera's field of view
    (``Settings.freshness``) the covered fraction is measured with."""
    import json

    s = summary(facts, hfov_deg=hfov_deg)
    name = f"patrol-{facts.patrol_id}-report.{fmt}"
    body: bytes
    if fmt == "html":
        body = render_html(facts, s, render_map(facts, site)).encode()
    elif fmt == "pdf":
        body = render_pdf(facts, s, render_map(facts, site, dpi=150))
    elif fmt == "png":
        body = render_map(facts, site)
    elif fmt == "geojson":
        body = report_geojson(facts, s).encode()
    elif fmt == "kml":
        body = report_kml(facts).encode()
    elif fmt == "csv":
        body, name = track_csv(facts.track).encode(), f"patrol-{facts.patrol_id}-track.csv"
    else:
        body = (json.dumps({"summary": s, "events": facts.events, "incidents": facts.incidents},
                           ensure_ascii=False, default=str) + "\n").encode()  # fmt: skip
    return RenderedReport(body, MEDIA_TYPES[fmt], name)


async def build_report(
    session: AsyncSession,
    patrol_id: int,
    fmt: str,
    site: Site | None = None,
    *,
    hfov_deg: float = DEFAULT_HFOV_DEG,
) -> RenderedReport:
    """The report of `patrol_id` in `fmt` (html, pdf, geojson, kml, csv, png, json)."""
    checked = check_format(fmt)
    facts = await gather(session, patrol_id)
    return await asyncio.to_thread(render, facts, checked, site, hfov_deg=hfov_deg)


async def file_report(
    session: AsyncSession, patrol_id: int, *, hfov_deg: float = DEFAULT_HFOV_DEG
) -> dict[str, Any]:
    """Compute the patrol's summary and store it in its report row (created if missing)."""
    facts = await gather(session, patrol_id)
    s = await asyncio.to_thread(summary, facts, hfov_deg=hfov_deg)
    report = await session.scalar(select(Report).where(Report.patrol_id == patrol_id))
    if report is None:
        report = Report(patrol_id=patrol_id, facts={})
        session.add(report)
    report.facts = {**report.facts, "summary": s}
    await session.commit()
    return s
