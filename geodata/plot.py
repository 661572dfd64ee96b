"""A map of a site a pilot can read: areas, no-fly zones by restriction, points, the station.

Drawn in the site's metric frame so distances are true, with a scale bar, a north arrow pointing
to true north (UTM grid north differs by the meridian convergence) and a legend. Labels use the
Latin part of feature names, since the fonts a station has may not cover Chinese.

>>> ascii_label("詹家镇 Zhanjia town")
'Zhanjia town'
>>> ascii_label("石岩背村 Shiyanbei village (小南海镇)")
'Shiyanbei village'
>>> ascii_label("龙游县人民政府 (county government, 龙洲街道)")
'county government'
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from geodata.site import Site

AREA_STYLE: dict[str, dict[str, Any]] = {
    "water": {"facecolor": "#9ecae1", "edgecolor": "#3182bd", "linewidth": 0.8},
    "shore": {"facecolor": "#e5f5e0", "edgecolor": "none", "linewidth": 0.0},
    "forest": {"facecolor": "#c7e9c0", "edgecolor": "#31a354", "linewidth": 0.8},
    "other": {"facecolor": "#f0f0f0", "edgecolor": "#969696", "linewidth": 0.8},
}
NO_FLY_STYLE: dict[str, dict[str, Any]] = {
    "no_fly": {"facecolor": "#de2d26", "alpha": 0.25, "edgecolor": "#a50f15", "hatch": "xx"},
    "restricted": {"facecolor": "#fd8d3c", "alpha": 0.25, "edgecolor": "#d94701", "hatch": "//"},
    "keep_out": {"facecolor": "#756bb1", "alpha": 0.45, "edgecolor": "#54278f", "hatch": ""},
}
NO_FLY_LABEL = {
    "no_fly": "No-fly (hard)",
    "restricted": "Restricted (approval)",
    "keep_out": "Keep-out buffer",
}
POI_STYLE: dict[str, tuple[str, str]] = {  # category -> (marker, colour)
    "swimming_drowning_risk": ("v", "#e31a1c"),
    "fishing_spot": ("D", "#1f78b4"),
    "river_outfall": ("s", "#6a3d9a"),
    "forest_fire_risk": ("^", "#ff7f00"),
    "settlement": ("o", "#525252"),
    "landmark": ("*", "#b15928"),
    "admin_seat": ("P", "#252525"),
    "river_confluence": ("h", "#2171b5"),
    "airport": ("X", "#a50f15"),
}
LABELLED = {"settlement", "landmark", "admin_seat"}


def ascii_label(name: str) -> str:
    """The Latin-script part of a bilingual name, without SYNTHETIC/APPROXIMATE tags."""
    text = re.sub(r"[^\x00-\x7f]+", " ", name)
    text = re.sub(r"\s+-\s+(SYNTHETIC|APPROXIMATE|APPROXIMATION).*$", "", text)
    text = text.replace("/", " ")
    text = re.sub(r"[\s,]*\)", ")", re.sub(r"\([\s,]*", "(", text))
    text = re.sub(r"\(\)", "", text)
    text = re.sub(r"\s+", " ", text).strip(" ,-")
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    return text


def _nice_length(span_m: float) -> float:
    """A round scale-bar length about a fifth of the map width."""
    target = span_m / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target:
            return step * power
    return power


def _scale_bar(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    length = _nice_length(xlim[1] - xlim[0])
    x0 = xlim[1] - 0.04 * (xlim[1] - xlim[0]) - length
    y0 = ylim[0] + 0.05 * (ylim[1] - ylim[0])
    h = 0.012 * (ylim[1] - ylim[0])
    half = length / 2.0
    ax.add_patch(_rect(x0, y0, half, h, "black"))
    ax.add_patch(_rect(x0 + half, y0, half, h, "white"))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    for x, text in ((x0, "0"), (x0 + length, label)):
        ax.text(x, y0 + 2.2 * h, text, ha="center", va="bottom", fontsize=9)


def _rect(x: float, y: float, w: float, h: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="black", linewidth=0.8, zorder=9)


def _north_arrow(
    ax: Axes, site: Site, xlim: tuple[float, float], ylim: tuple[float, float]
) -> None:
    """An arrow to true north, tilted from grid north by the meridian convergence."""
    cx, cy = (xlim[0] + xlim[1]) / 2.0, (ylim[0] + ylim[1]) / 2.0
    lon, lat = site.frame.xy_to_wgs84(cx, cy)
    nx, ny = site.frame.xy_to_local(lon, lat + 0.01)
    angle = math.atan2(nx - cx, ny - cy)  # clockwise from grid north
    size = 0.08 * (ylim[1] - ylim[0])
    x0 = xlim[1] - 0.06 * (xlim[1] - xlim[0])
    y0 = ylim[1] - 0.2 * (ylim[1] - ylim[0])
    dx, dy = size * math.sin(angle), size * math.cos(angle)
    ax.annotate(
        "",
        xy=(x0 + dx, y0 + dy),
        xytext=(x0, y0),
        arrowprops={"arrowstyle": "-|>", "linewidth": 2.0, "color": "black", "mutation_scale": 20},
        zorder=9,
    )
    ax.text(x0 + 1.25 * dx, y0 + 1.25 * dy, "N", ha="center", va="bottom", fontsize=13, zorder=9)


def _extent(site: Site) -> tuple[tuple[float, float], tuple[float, float]]:
    import numpy as np

    boxes = [
        site.layer(name, local=True).total_bounds
        for name in ("patrol_areas", "hotspot_zones", "stations")
        if len(site.layers[name])
    ]
    if not boxes:
        boxes = [site.layer(n, local=True).total_bounds for n in site.layers if len(site.layers[n])]
    b = np.array(boxes)
    minx, miny, maxx, maxy = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.06 * max(maxx - minx, maxy - miny, 1000.0)
    return (float(minx - pad), float(maxx + pad)), (float(miny - pad), float(maxy + 2 * pad))


def render_site(site: Site, out: Path | str, *, dpi: int = 130) -> Path:
    """Draw the site to a PNG file and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import patheffects
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    out = Path(out)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    fig, ax = plt.subplots(figsize=(13, 8.5))
    handles: list[Any] = []
    areas = site.layer("patrol_areas", local=True)
    for kind in ("shore", "forest", "other", "water"):
        part = areas[areas["kind"] == kind]
        if len(part):
            part.plot(ax=ax, zorder=1, **AREA_STYLE[kind])
            handles.append(Patch(**AREA_STYLE[kind], label=f"Patrol area: {kind}"))
    zone = areas[areas["kind"] == "patrol_zone"]
    if len(zone):
        zone.boundary.plot(ax=ax, color="#08306b", linewidth=1.4, linestyle="--", zorder=2)
        handles.append(
            Line2D([], [], color="#08306b", linestyle="--", label="Patrol zone boundary")
        )
    hot = site.layer("hotspot_zones", local=True)
    if len(hot):
        hot.boundary.plot(ax=ax, color="#e6550d", linewidth=1.0, linestyle=":", zorder=3)
        handles.append(Line2D([], [], color="#e6550d", linestyle=":", label="Hotspot zone"))
    zones = site.layer("no_fly_zones", local=True)
    for restriction, style in NO_FLY_STYLE.items():
        part = zones[zones["restriction"] == restriction]
        if len(part):
            part.plot(ax=ax, zorder=4, linewidth=1.0, **style)
            handles.append(Patch(**style, label=NO_FLY_LABEL[restriction]))
    pois = site.layer("points_of_interest", local=True)
    for category in sorted(set(pois["category"])):
        if category == "patrol_station":
            continue
        marker, colour = POI_STYLE.get(category, ("o", "#969696"))
        part = pois[pois["category"] == category]
        xs, ys = part.geometry.x, part.geometry.y
        ax.scatter(xs, ys, marker=marker, c=colour, s=46, edgecolors="white", zorder=6)
        handles.append(
            Line2D(
                [], [], marker=marker, color=colour, linestyle="", label=category.replace("_", " ")
            )
        )
        for x, y, name, hid in zip(xs, ys, part["name"], part["hotspot_id"], strict=True):
            text = (
                hid if isinstance(hid, str) else ascii_label(name) if category in LABELLED else ""
            )
            if text:
                ax.annotate(
                    text,
                    (x, y),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7.5,
                    path_effects=halo,
                    zorder=7,
                )
    stations = site.layer("stations", local=True)
    if len(stations):
        sx, sy = stations.geometry.x, stations.geometry.y
        ax.scatter(sx, sy, marker="*", s=380, c="gold", edgecolors="black", zorder=8)
        for x, y in zip(sx, sy, strict=True):
            ax.annotate(
                "STATION",
                (x, y),
                xytext=(9, -12),
                textcoords="offset points",
                fontsize=9,
                fontweight="bold",
                path_effects=halo,
                zorder=8,
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                color="gold",
                markeredgecolor="black",
                markersize=15,
                linestyle="",
                label="Launch station",
            )
        )
    xlim, ylim = _extent(site)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, xlim, ylim)
    _north_arrow(ax, site, xlim, ylim)
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False
    )
    ax.set_title(
        f"{site.name.capitalize()} patrol site (metric frame EPSG:{site.frame.epsg})", fontsize=13
    )
    synthetic = sum(int(g["synthetic"].sum()) for g in site.layers.values())
    total = sum(len(g) for g in site.layers.values())
    note = f"{synthetic} of {total} features are approximate or synthetic. " if synthetic else ""
    fig.text(0.01, 0.01, f"{note}Not for navigation.", fontsize=8, color="#636363")
    fig.tight_layout(rect=(0.0, 0.03, 1.0, 1.0))
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
