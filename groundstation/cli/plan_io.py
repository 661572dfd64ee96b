"""Input and output of `ecopatrol plan`: site and area files in, mission files and a preview out.

Heavy imports stay inside the functions so `ecopatrol --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from geodata.crs import LocalFrame
    from groundstation.patrol.ground import Ground
    from groundstation.patrol.request import PlanRequest
    from routes.fence import FenceBudget
    from routes.pipeline import PatrolParams
    from routes.types import Plan


class Format(StrEnum):
    plan = "plan"
    waypoints = "waypoints"
    kml = "kml"
    geojson = "geojson"


class Pattern(StrEnum):
    """Which coverage pattern to fly."""

    auto = "auto"
    parallel = "parallel"
    channel = "channel"
    wavefront = "wavefront"


class Policy(StrEnum):
    """What to do with restricted (crowd) and keep-out (power line) zones."""

    avoid = "avoid"
    cross = "cross"
    allow = "allow"


class Vehicle(StrEnum):
    """Vehicle profiles with a known fence storage (`routes.fence.PROFILES`)."""

    arducopter = "arducopter"
    arduplane = "arduplane"
    ardurover = "ardurover"
    px4 = "px4"


class PlanFailed(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


#: how the command's messages name a planning request's fields: by the options that set them
OPTION_NAMES = {
    "kind": "the subcommand",
    "altitude_m": "--altitude",
    "area": "--area",
    "line": "--line",
    "swath_width_m": "--swath-width",
    "camera_hfov_deg": "--camera-hfov",
    "overlap_frac": "--overlap",
    "drones": "--drones",
    "speed_m_s": "--speed",
    "endurance_s": "--endurance",
    "battery_wh": "--battery-wh",
    "power_w": "--power-w",
    "reserve_frac": "--reserve",
    "accel_m_s2": "--accel",
    "wp_radius_m": "--wp-radius",
    "max_items": "--max-items",
    "use_station": "--station none",
    "restricted": "--restricted",
    "pattern": "--pattern",
    "offset_m": "--offset",
    "loops": "--loops",
    "width_m": "--width",
    "loiter_s": "--loiter",
    "min_priority": "--min-priority",
    "vehicle": "--vehicle",
    "fence_points": "--fence-points",
}


def fail(msg: str) -> PlanFailed:
    return PlanFailed(msg)


def _load_site(site_path: Path | None) -> Any:
    from geodata.site import load_site

    return load_site(site_path)


def _read(path: Path) -> Any:
    """The file as a GeoDataFrame, or a one-line failure naming it."""
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError

    if not path.exists():
        raise fail(f"{path}: no such file")
    try:
        return gpd.read_file(path)
    except (DataSourceError, DataLayerError) as exc:
        raise fail(f"{path}: cannot be read as a map layer ({str(exc).split(';')[0]})") from None


def _area_from_file(path: Path) -> BaseGeometry:
    import numpy as np
    import shapely

    gdf = _read(path)
    if len(gdf) == 0:
        raise fail(f"{path}: no features")
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    polys = [
        g for g in gdf.geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")
    ]
    if not polys:
        raise fail(f"{path}: no polygon features (found {sorted(set(gdf.geom_type))})")
    xy = shapely.get_coordinates(polys)
    lon, lat = xy[:, 0], xy[:, 1]
    bad = ~(np.isfinite(xy).all(axis=1) & (abs(lon) <= 180) & (abs(lat) <= 90))
    if bad.any():
        x, y = xy[bad][0]
        swapped = abs(y) > 90 and abs(x) <= 90
        hint = "; GeoJSON lists [longitude, latitude]: are they swapped?" if swapped else ""
        raise fail(
            f"{path}: coordinates are not longitude, latitude in degrees (found {x:g}, {y:g}){hint}"
        )
    broken = [p for p in polys if not p.is_valid]
    if broken:  # refused as the API refuses it: a crossed outline is often a drawing mistake
        raise fail(
            f"{path}: the outline is not valid ({shapely.is_valid_reason(broken[0])}); fix it "
            "in a GIS (QGIS: Vector > Geometry Tools > Fix Geometries) and plan again"
        )
    return shapely.union_all(polys)


def _ground(site_path: Path | None, area: str, station: str) -> Ground:
    """The ground of ``--site``, ``--area`` (a site area's name, or a polygon file) and
    ``--station`` ('site', 'none' or LON,LAT)."""
    from shapely.geometry import Point

    from geodata.crs import LocalFrame
    from groundstation.patrol.ground import Ground, site_zones

    site = _load_site(site_path)
    is_file = area.lower().endswith((".geojson", ".json", ".gpkg", ".shp", ".kml"))
    warnings: list[str] = []
    if is_file:
        wgs = _area_from_file(Path(area))
        frame = LocalFrame.for_geometry(wgs)
        geom = frame.to_local(wgs)
        away = _outside_site(site, frame, geom)
        if away > SITE_OUTSIDE_WARN_FRAC:
            warnings.append(
                f"{away * 100:.0f} % of the area lies outside the patrol areas of the site "
                f"{site.name!r}: its no-fly zones, station and fence were drawn for that site; "
                "give --site for the area's own"
            )
    else:
        frame = site.frame
        geom = site.area(area, local=True)
    hard, every_soft = site_zones(site, frame.to_local)
    nf = [z for z in hard if z.shape.distance(geom) < 50_000]
    soft = [z for z in every_soft if z.shape.distance(geom) < 50_000]
    st: Point | None
    if station == "none":
        st = None
    elif station == "site":
        st = frame.to_local(site.station)
        if st.distance(geom) > 30_000:
            raise fail(
                f"the site's station is {st.distance(geom) / 1000:.0f} km from the area: "
                "pass --station LON,LAT or --station none"
            )
    else:
        try:
            lon, lat = (float(v) for v in station.split(","))
        except ValueError:
            raise fail(f"--station must be 'site', 'none' or LON,LAT, got {station!r}") from None
        st = frame.to_local(Point(lon, lat))
    return Ground(frame, geom, nf, soft, st, site, warnings)


#: an area file lying more than this share outside the site's patrol areas is warned about
SITE_OUTSIDE_WARN_FRAC = 0.5


def _outside_site(site: Any, frame: LocalFrame, geom: BaseGeometry) -> float:
    """The share of ``geom`` (in ``frame``) outside the site's patrol areas (1 if it has none)."""
    import shapely

    areas = [g for g in site.layer("patrol_areas", local=False).geometry if g is not None]
    if not areas or geom.area <= 0:
        return 1.0
    inside = geom.intersection(frame.to_local(shapely.union_all(areas))).area
    return float(1.0 - inside / geom.area)


def _write(
    plan: Plan, params: PatrolParams, frame: LocalFrame, fmt: Format, out: Path,
    budget: FenceBudget,
) -> tuple[list[Path], list[str]]:  # fmt: skip
    """Write the files; also returns the notes on each sortie's fitted fence."""
    from groundstation.patrol.planning import sortie_missions
    from routes.formats import geojson, kml, qgc_plan, waypoints
    from routes.mission import Mission

    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is Format.geojson:
        out.write_text(geojson.dumps(plan, frame.to_wgs84), encoding="utf-8")
        return [out], []
    if fmt is Format.kml:
        out.write_text(kml.dumps(plan, frame.to_wgs84), encoding="utf-8")
        return [out], []
    speed = params.battery.cruise_speed_m_s
    missions = sortie_missions(plan, params, frame, budget, with_fence=fmt is Format.plan)
    written: list[Path] = []
    notes: list[str] = []
    for n, (sortie, m) in enumerate(zip(plan.sorties, missions, strict=True)):
        if m.fitted is not None:
            lead = f"sortie {n + 1}: " if len(plan.sorties) > 1 else ""
            notes += [lead + note for note in m.fitted.notes()]
        mission = Mission(m.items, m.fence, m.rally, speed)
        path = (
            out
            if len(plan.sorties) == 1
            else out.with_name(f"{out.stem}_s{n + 1:02d}_d{sortie.drone + 1}{out.suffix}")
        )
        text = (
            qgc_plan.dumps(mission, plan.comments())
            if fmt is Format.plan
            else waypoints.dumps(m.items)  # QGC WPL 110 has no place for comments
        )
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written, notes


def _summary(plan: Plan, written: list[Path], fence_notes: list[str]) -> None:
    st = plan.stats
    typer.echo(f"{plan.kind} patrol at {plan.altitude_m:g} m")
    warned = [n for n in plan.notes if n.startswith("warning:")]
    for note in warned:
        typer.echo(f"  {note}")
    if st.account is not None:
        for line in st.account.lines():
            typer.echo(f"  {line}")
    typer.echo(
        f"  length        {st.length_m / 1000:.2f} km (sweeping {st.sweep_length_m / 1000:.2f} km)"
    )
    typer.echo(
        f"  flight time   {st.flight_time_s / 60:.1f} min; done in {st.makespan_s / 60:.1f} min"
    )
    typer.echo(f"  sorties       {st.sorties} on {st.drones} drone(s)")
    if st.covered_frac is not None and st.account is None:
        typer.echo(f"  covered       {st.covered_frac * 100:.2f} % of the area")
    if st.photos:
        typer.echo(f"  photos        about {st.photos}")
    typer.echo(f"  outside       {st.outside_m:.1f} m outside the allowed region")
    for note in [*(n for n in plan.notes if n not in warned), *fence_notes]:
        typer.echo(f"  note: {note}")
    for p in written:
        typer.echo(f"wrote {p}")


def _preview(plan: Plan, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from routes.geometry import polygons

    fig, ax = plt.subplots(figsize=(10, 8), dpi=110)
    for poly in polygons(plan.area):
        ax.fill(*poly.exterior.xy, color="#cfe8ff", zorder=1)
        for ring in poly.interiors:
            ax.fill(*ring.xy, color="white", zorder=2)
    import shapely

    shown = shapely.union_all([plan.area, *(s.route.line() for s in plan.sorties)])
    minx, miny, maxx, maxy = shown.bounds
    for zone in plan.no_fly:
        for poly in polygons(zone):
            ax.fill(*poly.exterior.xy, facecolor="#ff000030", edgecolor="red", hatch="//", zorder=3)
    if plan.fence is not None:
        ax.plot(*plan.fence.exterior.xy, color="orange", lw=1, ls="--", zorder=4, label="geofence")
    cmap = plt.get_cmap("tab10")
    for n, s in enumerate(plan.sorties):
        colour = cmap(n % 10)
        for leg in s.route.legs:
            xy = leg.line.xy
            if leg.kind == "sweep":
                ax.plot(*xy, color=colour, lw=1.2, zorder=5)
            elif leg.kind == "transit":
                ax.plot(*xy, color=colour, lw=0.8, ls=":", zorder=5)
            else:
                ax.plot(*xy, marker="o", color=colour, ms=6, zorder=6)
                label = leg.name.split()[0] if leg.name else ""  # the id: fonts lack CJK
                ax.annotate(label, (xy[0][0], xy[1][0]), fontsize=7, zorder=7)
    if plan.station is not None:
        ax.plot(
            plan.station.x,
            plan.station.y,
            marker="*",
            color="black",
            ms=14,
            zorder=8,
            label="station",
        )
    pad = 0.05 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    st = plan.stats
    cov = f", {st.covered_frac * 100:.1f} % covered" if st.covered_frac is not None else ""
    ax.set_title(
        f"{plan.kind}: {st.length_m / 1000:.1f} km, {st.sorties} sortie(s), "
        f"{st.drones} drone(s){cov}"
    )
    ax.set_xlabel("metres (local UTM)")
    ax.legend(loc="upper right", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def run(
    request: Callable[[], PlanRequest],
    ground_args: tuple[Path | None, str, str],
    fmt: Format,
    out: Path,
    png: Path | None,
) -> None:
    """Plan ``request()`` over the ground of ``ground_args`` (the station's one planning path),
    write the files and print the summary; a refusal is one line and exit code 2."""
    import shapely

    from geodata.errors import GeodataError
    from groundstation.patrol.planning import fence_budget, plan_on
    from groundstation.patrol.request import naming_fields

    try:
        with naming_fields(OPTION_NAMES):
            req = request()
            budget = fence_budget(req)
            ground = _ground(*ground_args)
            plan, params = plan_on(ground, req)
            written, fence_notes = _write(plan, params, ground.frame, fmt, out, budget)
        if png is not None:
            _preview(plan, png)
            written.append(png)
        _summary(plan, written, fence_notes)
    except (PlanFailed, ValueError, GeodataError) as exc:  # PlanningError is a ValueError
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except shapely.errors.GEOSException as exc:  # a geometry the planner could not handle
        typer.echo(f"error: geometry operation failed ({exc}); simplify the area", err=True)
        raise typer.Exit(2) from None


def line_from_file(path: Path) -> dict[str, Any]:
    """The longest line of the file, as a GeoJSON geometry in longitude and latitude."""
    import shapely
    from shapely.geometry import LineString, mapping

    gdf = _read(path)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    lines = [
        g
        for g in gdf.geometry
        if g is not None and g.geom_type in ("LineString", "MultiLineString")
    ]
    if not lines:
        raise fail(f"{path}: no line features")
    merged = shapely.line_merge(shapely.union_all(lines))
    parts = [merged] if isinstance(merged, LineString) else list(merged.geoms)
    longest = max(parts, key=lambda g: g.length)
    return dict(mapping(longest))
