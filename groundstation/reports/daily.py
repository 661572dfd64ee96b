"""The daily summary of a site: patrols flown and skipped, distance and time, incidents, freshness.

One local day (Asia/Shanghai by default) is gathered from the store into a JSON-ready dict by
:func:`daily_summary` and rendered as HTML in Chinese or English by :func:`render_daily_html`.
Skipped scheduled runs come from the caller (the scheduler's run log), so this module does not
depend on the scheduler.

>>> day_bounds(date(2026, 6, 2), "Asia/Shanghai")[0].isoformat()
'2026-06-01T16:00:00+00:00'
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Incident, Patrol, Report
from groundstation.errors import InvalidRequest
from groundstation.freshness.geojson import class_masks
from groundstation.freshness.grid import FreshnessGrid
from groundstation.reports.codes import label
from groundstation.reports.facts import gather, summary
from groundstation.reports.html import _template
from groundstation.reports.labels import kind_figure

Lang = Literal["zh", "en"]
DAILY_PATROL_KEYS = (
    "patrol_id", "plan", "drone", "state", "start", "distance_m", "covered_frac", "incidents",
)  # fmt: skip

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Daily patrol summary",
        "site": "Site",
        "day": "Day",
        "flown": "Patrols flown",
        "failed": "Patrols failed or aborted",
        "skipped": "Scheduled runs skipped",
        "distance": "Total distance",
        "time": "Total flight time",
        "incidents": "Incidents reported",
        "by_type": "Incidents by type",
        "by_status": "Incidents by status",
        "freshness": "Coverage freshness",
        "fresh": "of the patrol zone seen in the last 24 h",
        "patrols": "Patrols",
        "reason": "Reason",
        "none": "none",
    },
    "zh": {
        "title": "每日巡逻汇总",
        "site": "站点",
        "day": "日期",
        "flown": "完成巡逻",
        "failed": "失败或中止的巡逻",
        "skipped": "跳过的定时任务",
        "distance": "总飞行距离",
        "time": "总飞行时间",
        "incidents": "发现事件",
        "by_type": "事件类型",
        "by_status": "事件状态",
        "freshness": "近24小时巡查覆盖",
        "fresh": "巡逻区在过去24小时内被拍摄到的比例",
        "patrols": "巡逻",
        "reason": "原因",
        "none": "无",
    },
}


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a local day."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


async def daily_summary(
    session: AsyncSession,
    day: date,
    *,
    site: str,
    tz: str = "Asia/Shanghai",
    skipped: Sequence[dict[str, Any]] = (),
    freshness: FreshnessGrid | None = None,
    hfov_deg: float = 73.7,
) -> dict[str, Any]:
    """The day's numbers, JSON-ready."""
    start, end = day_bounds(day, tz)
    patrols = list(
        await session.scalars(
            select(Patrol)
            .where(Patrol.started_at >= start, Patrol.started_at < end)
            .order_by(Patrol.started_at)
        )
    )
    rows: list[dict[str, Any]] = []
    distance = flight = 0.0
    for p in patrols:
        report = await session.scalar(select(Report).where(Report.patrol_id == p.id))
        s = (report.facts or {}).get("summary") if report is not None else None
        if not s:
            s = summary(await gather(session, p.id), hfov_deg=hfov_deg)
        distance += float(s.get("distance_m") or 0.0)
        flight += float(s.get("flight_time_s") or 0.0)
        rows.append({**{k: s.get(k) for k in DAILY_PATROL_KEYS}, "figure": kind_figure(s)})
    incidents = list(
        await session.scalars(
            select(Incident).where(Incident.created_at >= start, Incident.created_at < end)
        )
    )
    out: dict[str, Any] = {
        "site": site,
        "day": day.isoformat(),
        "tz": tz,
        "patrols": rows,
        "flown": sum(1 for r in rows if r["state"] in ("landed", "reported")),
        "failed": sum(1 for r in rows if r["state"] in ("failed", "aborted")),
        "skipped": list(skipped),
        "distance_m": round(distance, 1),
        "flight_time_s": round(flight, 1),
        "incidents": len(incidents),
        "incidents_by_type": dict(Counter(i.type.value for i in incidents)),
        "incidents_by_status": dict(Counter(i.status.value for i in incidents)),
        "fresh_frac": None,
    }
    if freshness is not None and freshness.cells_in_area:
        masks = class_masks(freshness, end.timestamp(), 24 * 3600.0)
        out["fresh_frac"] = round(int(masks["fresh"].sum()) / freshness.cells_in_area, 4)
    return out


def freshness_png(grid: FreshnessGrid, now_s: float, max_age_s: float = 24 * 3600.0) -> bytes:
    """A small picture of the grid: green seen recently, red not seen for longer (or never)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    masks = class_masks(grid, now_s, max_age_s)
    img = np.full(grid.shape, np.nan)
    img[masks["fresh"]] = 1.0
    img[masks["stale"] | masks["never"]] = 0.0
    ny, nx = grid.shape
    fig, ax = plt.subplots(figsize=(8, max(2.0, 8 * ny / nx)))
    try:
        extent = (grid.x0, grid.x0 + nx * grid.cell_m, grid.y0, grid.y0 + ny * grid.cell_m)
        cmap = ListedColormap(["#d62728", "#2e9e44"])
        ax.imshow(img, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=1,
                  interpolation="nearest")  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("green: seen in the last 24 h / red: not seen for > 24 h", fontsize=9)
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=90)
        return buf.getvalue()
    finally:
        plt.close(fig)


#: Why a scheduled run was skipped, in Chinese, by its reason code (groundstation.reasons).
RUN_REASONS_ZH = {
    "station_down": "地面站停机期间到期",
    "plan_gone": "巡逻方案已删除",
    "no_drone": "没有可用的无人机",
    "no_go": "起飞条件不满足",
    "replan_failed": "重新规划航线失败",
    "start_failed": "无人机未能起飞",
}


def run_reason(run: dict[str, Any], lang: str) -> str:
    """A skipped run's reason in `lang`: Chinese from its code (the English text otherwise, or
    a generic word for a run stored before reasons had codes).

    >>> run = {"reason": "no drone available: d1: not connected", "reason_code": "no_drone"}
    >>> run_reason(run, "zh"), run_reason(run, "en")
    ('没有可用的无人机', 'no drone available: d1: not connected')
    """
    if lang != "zh":
        return str(run.get("reason") or "")
    return RUN_REASONS_ZH.get(str(run.get("reason_code") or ""), "未执行")


def check_lang(lang: str) -> Lang:
    if lang not in TEXT:
        raise InvalidRequest(f"unknown language {lang!r}; expected zh or en", field="lang")
    return lang  # type: ignore[return-value]  # checked against TEXT's keys


def render_daily_html(data: dict[str, Any], lang: str, picture: bytes | None = None) -> str:
    """The day's summary as an HTML page in Chinese (``zh``) or English (``en``)."""
    from groundstation.reports.labels import fmt

    t = TEXT[check_lang(lang)]
    return _template("daily.html.j2").render(
        d=data,
        t=t,
        lang="zh-CN" if lang == "zh" else "en",
        fmt=fmt,
        label=label,
        run_reason=lambda run: run_reason(run, lang),
        picture=base64.b64encode(picture).decode() if picture else None,
    )
