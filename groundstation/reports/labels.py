"""Bilingual labels (English / 简体中文) and number formatting shared by every report format.

>>> fmt("distance_m", 12345.6)
'12.35 km'
>>> fmt("duration_s", 3725)
'1:02:05'
>>> fmt("covered_frac", 0.8731)
'87.3 %'
>>> fmt("battery_used_pct", None)
'n/a'
"""

from __future__ import annotations

from typing import Any

from groundstation.reports.codes import label

#: The summary rows of a patrol report, in order: key, English, Chinese.
SUMMARY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("plan", "Plan", "巡逻计划"),
    ("kind", "Kind", "类型"),
    ("sortie", "Sortie", "架次"),
    ("drone", "Drone", "无人机"),
    ("state", "State", "状态"),
    ("start", "Start (Asia/Shanghai)", "开始时间"),
    ("end", "End (Asia/Shanghai)", "结束时间"),
    ("duration_s", "Flight time", "飞行时长"),
    ("distance_m", "Distance flown", "飞行距离"),
    ("covered_frac", "Planned area covered", "计划区域覆盖率"),
    ("hotspots_visited", "Hotspots visited", "已巡查重点部位"),
    ("shoreline_m", "Shoreline patrolled (planned)", "巡查岸线长度"),
    ("photos", "Photos taken", "拍摄照片"),
    ("photos_planned", "Photos planned", "计划拍摄"),
    ("photos_missed", "Photos the station did not hear", "地面站未收到的照片"),
    ("battery_used_pct", "Battery used", "耗电"),
    ("max_alt_m", "Highest altitude", "最高高度"),
    ("anomalies", "Anomalies", "异常事件"),
    ("incidents", "Incidents", "发现事件"),
)


#: Rows shown only for the plan kinds they mean something for (their value is None otherwise).
KIND_ROWS = frozenset({"covered_frac", "hotspots_visited", "shoreline_m"})


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The summary rows a report shows: key, English, Chinese, formatted value; the per-kind
    figure (coverage, hotspots visited of N, shoreline length) only for its kind.

    >>> [r[0] for r in summary_rows({"kind": "tour", "hotspots_visited": 4,
    ...     "hotspots_planned": 5}) if r[0] in KIND_ROWS]
    ['hotspots_visited']
    >>> [r[3] for r in summary_rows({"hotspots_visited": 4, "hotspots_planned": 5})
    ...     if r[0] == "hotspots_visited"]
    ['4 / 5']
    """
    rows = []
    for key, en, zh in SUMMARY_ROWS:
        value = summary.get(key)
        if key in KIND_ROWS and value is None:
            continue
        text = fmt(key, value)
        if key == "hotspots_visited":
            text = f"{value} / {summary.get('hotspots_planned')}"
        elif key in ("kind", "state") and value:
            text = label(key, str(value))
        rows.append((key, en, zh, text))
    return rows


def kind_figure(summary: dict[str, Any]) -> str:
    """The one figure that says how a patrol did, for its kind: area covered, hotspots visited
    of N, or shoreline length ("" when the summary has none).

    >>> kind_figure({"covered_frac": 0.873})
    '87.3 % covered / 覆盖'
    >>> kind_figure({"hotspots_visited": 4, "hotspots_planned": 5})
    '4 / 5 hotspots / 重点部位'
    >>> kind_figure({"shoreline_m": 2345.0})
    '2.35 km shoreline / 岸线'
    """
    if summary.get("covered_frac") is not None:
        return f"{fmt('covered_frac', summary['covered_frac'])} covered / 覆盖"
    if summary.get("hotspots_visited") is not None:
        n = summary.get("hotspots_planned")
        return f"{summary['hotspots_visited']} / {n} hotspots / 重点部位"
    if summary.get("shoreline_m") is not None:
        return f"{fmt('shoreline_m', summary['shoreline_m'])} shoreline / 岸线"
    return ""


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def local_time(iso: str) -> str:
    """An ISO UTC time shown in Asia/Shanghai, to the second."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (
        datetime.fromisoformat(iso)
        .astimezone(ZoneInfo("Asia/Shanghai"))
        .strftime("%Y-%m-%d %H:%M:%S")
    )


def fmt(key: str, value: Any) -> str:
    """A summary value as a person reads it."""
    if value is None or value == "":
        return "n/a"
    if key in ("duration_s", "flight_time_s"):
        return _hms(float(value))
    if key in ("distance_m", "shoreline_m"):
        return f"{float(value) / 1000:.2f} km"
    if key == "covered_frac":
        return f"{float(value) * 100:.1f} %"
    if key == "battery_used_pct":
        return f"{float(value):.1f} %"
    if key == "max_alt_m":
        return f"{float(value):.0f} m"
    if key in ("start", "end"):
        return local_time(str(value))
    return str(value)
