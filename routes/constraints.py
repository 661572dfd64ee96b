"""Constraints shared by every patrol kind: fence, no-fly zones, station, swath from the camera.

>>> round(swath_from_camera(altitude_m=80, hfov_deg=84, overlap=0.2), 1)
115.3
>>> from shapely.geometry import Point, box
>>> fence = geofence([box(0, 0, 1000, 1000)], Point(1500, 500), margin_m=50)
>>> fence.covers(Point(1500, 500)), fence.covers(box(0, 0, 1000, 1000))
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from routes.errors import PlanningError, StationError, at
from routes.geometry import polygons


def swath_from_camera(altitude_m: float, hfov_deg: float, overlap: float) -> float:
    """Ground swath between passes: the camera footprint width less the side overlap."""
    if not 0 < hfov_deg < 180:
        raise PlanningError(f"camera field of view must be in (0, 180) degrees, got {hfov_deg}")
    if not 0 <= overlap < 1:
        raise PlanningError(f"side overlap must be in [0, 1), got {overlap}")
    if altitude_m <= 0:
        raise PlanningError(f"altitude must be positive, got {altitude_m}")
    return 2 * altitude_m * math.tan(math.radians(hfov_deg) / 2) * (1 - overlap)


def geofence(
    parts: Sequence[BaseGeometry],
    station: Point | None,
    margin_m: float,
    max_vertices: int = 60,
    zones: Sequence[Polygon] = (),
) -> Polygon:
    """One inclusion polygon holding everything (and the way to the station) plus ``margin_m``.

    Simplified to at most about ``max_vertices`` corners, always outward (it still covers the
    area plus half the margin). A no-fly zone (of ``zones``, smaller than the rest) that
    blocks the way between the parts and the station is taken in with a margin round it, so the
    fence leaves room to fly round the zone.
    """
    geoms: list[BaseGeometry] = list(parts)
    union = shapely.union_all(geoms)
    if station is not None:
        near = nearest_points(union, station)[0]
        geoms += [station, LineString([near, station])] if not near.equals(station) else [station]
    if zones:
        core = shapely.union_all(geoms).buffer(margin_m, quad_segs=2)
        blocked = [z for z in zones if z.intersects(core)]
        if blocked and len(polygons(core.difference(shapely.union_all(blocked)))) > 1:
            size = core.area
            geoms += [way_round(z, core, margin_m) for z in blocked if z.area < size]
    half = margin_m / 2
    tol = max(half, 1.0)
    out: Polygon | None = None
    for _ in range(16):
        grown = shapely.union_all([g.buffer(half + tol, quad_segs=4) for g in geoms])
        polys = polygons(grown)
        hull = grown.convex_hull
        shell = Polygon(polys[0].exterior) if len(polys) == 1 else hull
        assert isinstance(shell, Polygon)
        simple = shell.simplify(tol)  # within tol of shell: still covers everything + half margin
        out = simple if isinstance(simple, Polygon) and simple.is_valid else shell
        if len(out.exterior.coords) <= max_vertices + 1:
            break
        tol *= 1.6
    assert out is not None
    return out


def way_round(zone: Polygon, core: BaseGeometry, margin_m: float) -> BaseGeometry:
    """Room to fly round ``zone``, which cuts ``core`` (what the fence must hold) in two: the
    zone with ``margin_m`` round it, and the convex hull of its shorter end beyond ``core`` with
    the parts of ``core`` as near that end as it is long.

    A band round the zone alone makes a way round a long zone (a power-line corridor across a
    river) fly out along one side of it and back along the other; the hull lets it cut from the
    zone's end straight to the water beyond: a 2.5 km corridor's band alone cost 4.4 km.

    >>> from shapely.geometry import box
    >>> river = box(0, 0, 10_000, 400)
    >>> corridor = box(4900, -2000, 5100, 3000)      # sticks out 2 km south, 2.6 km north
    >>> room = way_round(corridor, river, 100)
    >>> room.covers(corridor), room.covers(LineString([(5000, -2050), (7000, 0)]))
    (True, True)
    >>> room.covers(LineString([(5000, 3050), (7000, 400)]))     # not the longer way
    False
    """
    band = zone.buffer(margin_m, quad_segs=2)
    ends = polygons(band.difference(core))
    if not ends:
        return band

    def sticks_out_m(end: Polygon) -> float:
        corners = shapely.points(shapely.get_coordinates(end.exterior))
        return float(shapely.distance(corners, core).max())

    reach = {i: sticks_out_m(e) for i, e in enumerate(ends)}
    k = min(reach, key=lambda i: reach[i])
    end = ends[k]
    near = core.intersection(end.buffer(reach[k], quad_segs=4))
    return shapely.union_all([band, shapely.union_all([end, near]).convex_hull])


#: how far inside the geofence a route stays (see `Airspace.fence_clearance_m`)
FENCE_CLEARANCE_M = 10.0


@dataclass(frozen=True)
class Airspace:
    """Where a drone may fly: inside ``fence`` and outside every zone in ``no_fly``."""

    fence: Polygon
    no_fly: tuple[Polygon, ...]
    clearance_m: float = 5.0
    #: how far inside the fence every route stays: a vehicle's fence fitted to its storage
    #: (`routes.fence`) keeps the route this far inside it, clear of a breach
    fence_clearance_m: float = FENCE_CLEARANCE_M

    @cached_property
    def allowed(self) -> BaseGeometry:
        """The fence shrunk by ``fence_clearance_m``, less every zone grown by ``clearance_m``
        (never graze the fence or a zone's edge)."""
        inner = self.fence.buffer(-self.fence_clearance_m, join_style="mitre")
        if not self.no_fly:
            return inner
        grown = [z.buffer(self.clearance_m, quad_segs=2) for z in self.no_fly]
        return inner.difference(shapely.union_all(grown))

    def grown(self, zones: Sequence[Polygon]) -> BaseGeometry | None:
        """The union of ``zones`` grown by the clearance (None if there are none)."""
        if not zones:
            return None
        return shapely.union_all([z.buffer(self.clearance_m, quad_segs=2) for z in zones])

    def check_station(self, station: Point) -> None:
        for i, z in enumerate(self.no_fly):
            if z.covers(station):
                raise StationError(
                    f"the station {at(station.x, station.y)} is inside no-fly zone {i + 1}",
                    zone=i,
                )
        if not self.fence.covers(station):
            raise StationError("the station is outside the geofence")


#: the most passes a plan may hold (5,000 km: over 90 hours of flight at 15 m/s); a swath typed
#: in millimetres would otherwise keep the planner busy for hours
MAX_SWEEP_M = 5_000_000.0
#: the most swath-wide squares a plan may span (its passes' length over the swath width): the
#: planner's work grows with it, 3 s at a million (a 300 m pond at a 0.3 m swath)
MAX_SWATH_CELLS = 1_000_000


def check_sweep_size(sweep_m: float, width_m: float, what: str) -> None:
    """Refuse a plan whose passes (``sweep_m`` at least, ``width_m`` apart) are more than the
    planner takes: over `MAX_SWEEP_M` long or spanning over `MAX_SWATH_CELLS` squares."""
    if sweep_m > MAX_SWEEP_M:
        raise PlanningError(
            f"{what} needs at least {sweep_m / 1000:,.0f} km of passes, more than the "
            f"{MAX_SWEEP_M / 1000:,.0f} km a plan may hold: widen the swath or split the area",
            sweep_m=round(sweep_m),
            max_m=MAX_SWEEP_M,
        )
    cells = sweep_m / width_m
    if cells > MAX_SWATH_CELLS:
        raise PlanningError(
            f"{what} spans {cells:,.0f} swath-wide squares, more than the "
            f"{MAX_SWATH_CELLS:,} the planner takes: widen the swath or split the area",
            cells=round(cells),
            max_cells=MAX_SWATH_CELLS,
        )
