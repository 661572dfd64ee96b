"""Shoreline and corridor patrols.

- Shoreline: loops following the shore (and island shores) at an offset, inward (positive) or
  outward (negative); the parts crossing a no-fly zone are cut out and the loop detours around.
- Corridor: passes along a line (a river centre line, a road) covering a given width, flown
  there and back; where a pass crosses a no-fly zone it detours.

>>> from shapely.geometry import LineString, Point, box
>>> params = PatrolParams(altitude_m=50, swath_width_m=80)
>>> shore = plan_shore(box(0, 0, 1000, 500), offset_m=30, station=Point(0, -50), params=params)
>>> round(shore.stats.sweep_length_m)
2760
>>> corridor = plan_corridor(LineString([(0, 0), (3000, 0)]), width_m=200, params=params)
>>> corridor.stats.sorties, round(corridor.stats.sweep_length_m)
(1, 9000)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LinearRing, LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry

from routes.connect import VisibilityConnector
from routes.constraints import Airspace, check_sweep_size, geofence
from routes.corners import fewer_corners_ring
from routes.coverage import route_from_pieces
from routes.errors import InvalidAreaError, PlanningError
from routes.flight_time import WpNav
from routes.geometry import as_area, polygons
from routes.ordering import Chunk, NearestNeighbour
from routes.pipeline import PatrolParams, Zone, check_reachable, finish, zone_sets
from routes.types import Plan


def _lines(geom: BaseGeometry) -> list[LineString]:
    if geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [geom]
    if isinstance(geom, MultiLineString):
        return list(geom.geoms)
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, LineString) and not g.is_empty]


def _clip(line: LineString, nofly: BaseGeometry | None) -> tuple[list[LineString], bool]:
    """Parts of ``line`` outside the zones (merged), and whether anything was cut."""
    if nofly is None or not line.intersects(nofly):
        return [line], False
    rest = shapely.line_merge(line.difference(nofly))
    return [p for p in _lines(rest) if p.length > 1.0], True


#: how far a shore loop may stray from its offset line to fly fewer, longer legs (m); at most
#: half the offset, so an inward loop never reaches the shore
LOOP_TOL_M = 5.0


def _loop(ring: LinearRing, nav: WpNav, offset_m: float) -> NDArray[np.float64]:
    """A shore loop's waypoints: the ring with its near-collinear vertices dropped (within 1 m)
    and its short legs merged into single corners (`routes.corners`) within `LOOP_TOL_M` (half
    the offset at most, 1 m at least) of it: the shore's outline, traced every 20 m or so, and
    a buffer's rounded corners turn every few metres, and each short leg costs seconds."""
    tol = min(LOOP_TOL_M, max(1.0, abs(offset_m) / 2))
    ring_xy = np.asarray(LineString(ring.coords).simplify(1.0).coords)
    return fewer_corners_ring(ring_xy, nav, tol_m=tol)


def plan_shore(
    area: BaseGeometry,
    *,
    offset_m: float = 20.0,
    loops: int = 1,
    no_fly: Sequence[Zone] = (),
    restricted: Sequence[Zone] = (),
    station: Point | None = None,
    params: PatrolParams,
) -> Plan:
    """Loops along the shore of ``area`` (and its islands), ``offset_m`` inward (< 0: outward)."""
    area = as_area(area)
    if loops < 1:
        raise PlanningError(f"need at least one loop, got {loops}")
    spacing = params.swath_width_m or max(abs(offset_m) * 2, 50.0)
    no_sweep, nf = zone_sets(no_fly, restricted, params.restricted)
    # the first loop is the outermost; the fence is only sure to hold half its margin
    margin = max(params.fence_margin_m, 2 * (max(-offset_m, 0.0) + 25.0))
    airspace = Airspace(geofence(polygons(area), station, margin, zones=nf), nf)
    nf_union = airspace.grown(no_sweep)
    if station is not None:
        airspace.check_station(station)
    nav = params.battery.nav
    chunks: list[Chunk] = []
    for k in range(loops):
        d = offset_m + k * spacing
        shape = area.buffer(-d, quad_segs=8)
        if shape.is_empty:
            if k == 0:
                raise InvalidAreaError(
                    f"an offset of {d:.0f} m inward leaves nothing of the area", offset_m=d
                )
            break
        for poly in polygons(shape):
            for ring in [poly.exterior, *poly.interiors]:
                line = LineString(_loop(ring, nav, d))
                parts, cut = _clip(line, nf_union)
                for p in parts:
                    chunks.append(Chunk((p,), ring=True) if not cut else Chunk((p, p.reverse())))
    if not chunks:
        raise InvalidAreaError("the shoreline lies entirely inside no-fly zones")
    check_reachable([c.variants[0] for c in chunks], airspace.allowed, station)
    route = route_from_pieces(
        NearestNeighbour().sort(chunks, station), VisibilityConnector(airspace.allowed, nav=nav)
    )
    note = f"{loops} loop(s) at {offset_m:g} m from the shore"
    return finish(
        "shore", route, area=area, station=station, airspace=airspace, params=params, notes=[note]
    )


def plan_corridor(
    line: LineString,
    *,
    width_m: float,
    no_fly: Sequence[Zone] = (),
    restricted: Sequence[Zone] = (),
    station: Point | None = None,
    params: PatrolParams,
) -> Plan:
    """Passes along ``line`` covering ``width_m``, there and back (odd pass counts end far away)."""
    if not isinstance(line, LineString) or line.length < 1.0:
        raise InvalidAreaError("a corridor needs a line at least 1 m long")
    if not width_m > 0:
        raise InvalidAreaError(f"corridor width must be positive, got {width_m}")
    swath = params.swath_width_m or width_m
    n = max(1, math.ceil(width_m / swath - 1e-9))
    check_sweep_size(n * line.length, swath, f"a {width_m:g} m corridor at a {swath:g} m swath")
    if n == 1:
        n = 2  # there and back along the centre
        offsets = [0.0, 0.0]
    else:
        step = width_m / n
        offsets = [-width_m / 2 + step / 2 + k * step for k in range(n)]
    corridor = line.buffer(width_m / 2, cap_style="flat")
    no_sweep, nf = zone_sets(no_fly, restricted, params.restricted)
    airspace = Airspace(geofence([corridor], station, params.fence_margin_m, zones=nf), nf)
    nf_union = airspace.grown(no_sweep)
    if station is not None:
        airspace.check_station(station)
    pieces: list[LineString] = []
    for k, off in enumerate(offsets):
        # A middle pass computed as -w/2 + step/2 + k*step can come out as 1e-15 instead of 0,
        # and GEOS fails on such an offset ("cannot create std::vector larger than max_size()").
        curve = line if abs(off) < 1e-6 else line.offset_curve(off, quad_segs=4)
        merged = shapely.line_merge(curve) if not isinstance(curve, LineString) else curve
        parts = [p for p in _lines(merged) if p.length > 1.0]
        parts = [q for p in parts for q in _clip(LineString(p.simplify(1.0).coords), nf_union)[0]]
        if k % 2 == 1:
            parts = [p.reverse() for p in reversed(parts)]
        pieces += parts
    if not pieces:
        raise InvalidAreaError("the corridor lies entirely inside no-fly zones")
    check_reachable(pieces, airspace.allowed, station)
    route = route_from_pieces(pieces, VisibilityConnector(airspace.allowed, nav=params.battery.nav))
    note = f"{len(offsets)} pass(es) along a {line.length / 1000:.1f} km line"
    return finish(
        "corridor",
        route,
        area=corridor,
        station=station,
        airspace=airspace,
        params=params,
        notes=[note],
    )
