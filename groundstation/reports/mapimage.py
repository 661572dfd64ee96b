"""The report's map picture: site layers, planned route against flown track, photos, incidents.

Drawn with matplotlib (Agg, no display) in the site's metric frame, with a scale bar and no
coordinate axes. A coverage (or corridor) map is zoomed to the planned area and the track; a
tour's or shore loop's to its route, stops and track (its "area" is the whole zone, where a
3 km route would be a speck). Returns PNG bytes (the HTML embeds them, the PDF
draws them, the CLI and API can write them out).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.crs import LocalFrame
from groundstation.reports.codes import english
from groundstation.reports.facts import AREA_KINDS, PatrolFacts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from geodata.site import Site

TRACK_COLOUR = "#e6550d"
ROUTE_COLOUR = "#3182bd"
INCIDENT_COLOUR = "#a50f15"


def _xy(frame: LocalFrame, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = frame._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def _scale_bar(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    span = xlim[1] - xlim[0]
    raw = span / 5
    exp = 10 ** np.floor(np.log10(raw))
    length = float(max(m * exp for m in (1, 2, 5) if m * exp <= raw))
    x0 = xlim[0] + span * 0.04
    y0 = ylim[0] + (ylim[1] - ylim[0]) * 0.05
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3, zorder=10)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0, label, ha="center", va="bottom", fontsize=8, zorder=10)


def render_map(facts: PatrolFacts, site: Site | None = None, *, dpi: int = 110) -> bytes:
    """The patrol's map as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    frame = site.frame if site is not None else _frame_for(facts)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    try:
        handles: list[Any] = []
        if facts.planned_area is not None:
            area_label = "Planned area" if facts.plan_kind in AREA_KINDS else "Patrol zone"
            area = frame.to_local(facts.planned_area)
            for poly in getattr(area, "geoms", [area]):
                px, py = poly.exterior.xy
                ax.fill(px, py, facecolor="#deebf7", edgecolor="#6baed6", linewidth=1, zorder=1)
            handles.append(
                Line2D([], [], color="#6baed6", linewidth=6, alpha=0.5, label=area_label)
            )
        for line in facts.planned_lines:
            lx, ly = _xy(frame, [p[0] for p in line], [p[1] for p in line])
            ax.plot(lx, ly, color=ROUTE_COLOUR, linewidth=1.2, linestyle="--", zorder=5)
        if facts.planned_lines:
            handles.append(
                Line2D([], [], color=ROUTE_COLOUR, linestyle="--", label="Planned route")
            )
        if facts.planned_stops:
            sx, sy = _xy(
                frame,
                [p.lon_deg for p in facts.planned_stops],
                [p.lat_deg for p in facts.planned_stops],
            )
            ax.scatter(sx, sy, marker="D", s=40, c="#756bb1", edgecolors="white", zorder=6)
            handles.append(
                Line2D([], [], marker="D", color="#756bb1", linestyle="", label="Hotspot")
            )
        for seg in facts.track.segments():
            tx, ty = _xy(frame, seg["lon_deg"], seg["lat_deg"])
            ax.plot(tx, ty, color=TRACK_COLOUR, linewidth=2, zorder=4)
        if len(facts.track.points):
            handles.append(Line2D([], [], color=TRACK_COLOUR, linewidth=2, label="Flown track"))
        if facts.photos:
            fx, fy = _xy(
                frame, [p.lon_deg for p in facts.photos], [p.lat_deg for p in facts.photos]
            )
            ax.scatter(fx, fy, s=10, c="#31a354", zorder=5)
            handles.append(Line2D([], [], marker="o", color="#31a354", linestyle="", label="Photo"))
        if facts.incidents:
            ix, iy = _xy(
                frame,
                [i["lon_deg"] for i in facts.incidents],
                [i["lat_deg"] for i in facts.incidents],
            )
            ax.scatter(ix, iy, marker="X", s=90, c=INCIDENT_COLOUR, edgecolors="white", zorder=6)
            for x, y, inc in zip(ix, iy, facts.incidents, strict=True):
                ax.annotate(
                    f"#{inc['id']}", (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8
                )
            handles.append(
                Line2D([], [], marker="X", color=INCIDENT_COLOUR, linestyle="", label="Incident")
            )
        xlim, ylim = map_extent(facts, frame)
        if site is not None:
            _site_layers(ax, site)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        _scale_bar(ax, xlim, ylim)
        ax.set_xticks([])
        ax.set_yticks([])
        kind = english("kind", facts.plan_kind)
        title = f"Patrol {facts.patrol_id}: {kind} '{_latin(facts.plan_name)}'"
        ax.set_title(f"{title}, drone {_latin(facts.vehicle)}", fontsize=10)
        if handles:
            ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.9)
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    finally:
        plt.close(fig)


def _latin(text: str) -> str:
    """Drop characters the default font lacks (Chinese), keeping the Latin part."""
    kept = "".join(c for c in text if ord(c) < 0x2E80).strip(" /()")
    return kept or "-"


def _frame_for(facts: PatrolFacts) -> LocalFrame:
    if facts.planned_area is not None:
        return LocalFrame.for_geometry(facts.planned_area)
    if len(facts.track.points):
        p = facts.track.points[0]
        return LocalFrame.for_lonlat(float(p["lon_deg"]), float(p["lat_deg"]))
    return LocalFrame.from_epsg(32650)


def map_extent(
    facts: PatrolFacts, frame: LocalFrame
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The map's (x, y) limits in `frame` metres: what the patrol was about, with a margin.

    The planned area counts for area kinds (coverage, corridor) or when there is no route;
    a tour or shore loop is framed by its route, stops and flown track.
    """
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    if facts.planned_area is not None and (
        facts.plan_kind in AREA_KINDS or not facts.planned_lines
    ):
        area = frame.to_local(facts.planned_area)
        for poly in getattr(area, "geoms", [area]):
            px, py = poly.exterior.xy
            xs.append(np.asarray(px))
            ys.append(np.asarray(py))
    parts: list[tuple[Any, Any]] = [
        ([c[0] for c in line], [c[1] for c in line]) for line in facts.planned_lines
    ]
    stops = facts.planned_stops
    parts.append(([p.lon_deg for p in stops], [p.lat_deg for p in stops]))
    parts += [(seg["lon_deg"], seg["lat_deg"]) for seg in facts.track.segments()]
    for lon, lat in parts:
        if len(lon):
            x, y = _xy(frame, lon, lat)
            xs.append(x)
            ys.append(y)
    return _limits(xs, ys)


def _limits(
    xs: list[np.ndarray], ys: list[np.ndarray]
) -> tuple[tuple[float, float], tuple[float, float]]:
    if not xs:
        return (0.0, 1000.0), (0.0, 1000.0)
    x, y = np.concatenate(xs), np.concatenate(ys)
    x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    pad = max(x1 - x0, y1 - y0, 200.0) * 0.12
    return (x0 - pad, x1 + pad), (y0 - pad, y1 + pad)


def _site_layers(ax: Axes, site: Site) -> None:
    """Patrol areas, no-fly zones and the station, under everything else."""
    areas = site.layer("patrol_areas", local=True)
    water = areas[areas["kind"] == "water"]
    if len(water):
        water.plot(ax=ax, facecolor="#c6dbef", edgecolor="#9ecae1", linewidth=0.5, zorder=0)
    zones = site.layer("no_fly_zones", local=True)
    if len(zones):
        zones.plot(ax=ax, facecolor="#de2d26", alpha=0.2, edgecolor="#a50f15", hatch="xx", zorder=2)
    stations = site.layer("stations", local=True)
    if len(stations):
        ax.scatter(
            stations.geometry.x, stations.geometry.y, marker="*", s=220, c="gold",
            edgecolors="black", zorder=7,
        )  # fmt: skip
