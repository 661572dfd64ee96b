"""Mission stage: MAVLink mission, fence and rally items (MISSION_ITEM_INT semantics) for a sortie.

Command and frame numbers are MAVLink's (checked against ``pymavlink.dialects.v20.common``):

>>> from pymavlink.dialects.v20 import common as m
>>> (MAV_CMD_NAV_WAYPOINT, MAV_CMD_NAV_TAKEOFF, MAV_FRAME_GLOBAL_RELATIVE_ALT_INT) == (
...     m.MAV_CMD_NAV_WAYPOINT, m.MAV_CMD_NAV_TAKEOFF, m.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT)
True

Item 0 is the home position, as ArduPilot expects; a flight is take-off, speed, the waypoints (the
camera triggering by distance along sweeps, loiters at hotspots), then return to launch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from shapely.geometry import Point, Polygon

from geodata.crs import LocalFrame
from routes.errors import PlanningError
from routes.types import Route

if TYPE_CHECKING:
    from routes.fence import FenceBudget, FittedFence

MAV_CMD_NAV_WAYPOINT = 16
MAV_CMD_NAV_LOITER_TIME = 19
MAV_CMD_NAV_RETURN_TO_LAUNCH = 20
MAV_CMD_NAV_LAND = 21
MAV_CMD_NAV_TAKEOFF = 22
MAV_CMD_DO_CHANGE_SPEED = 178
MAV_CMD_DO_SET_CAM_TRIGG_DIST = 206
MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION = 5003
MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION = 5004
MAV_CMD_NAV_RALLY_POINT = 5100
MAV_FRAME_GLOBAL = 0
MAV_FRAME_MISSION = 2
MAV_FRAME_GLOBAL_RELATIVE_ALT = 3
MAV_FRAME_GLOBAL_INT = 5
MAV_FRAME_GLOBAL_RELATIVE_ALT_INT = 6
MAV_MISSION_TYPE_MISSION = 0
MAV_MISSION_TYPE_FENCE = 1
MAV_MISSION_TYPE_RALLY = 2

#: China's legal ceiling for light drones, metres above take-off
MAX_ALTITUDE_M = 120.0


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One MISSION_ITEM_INT: x = latitude * 1e7, y = longitude * 1e7 (integers), z in metres."""

    seq: int
    frame: int
    command: int
    current: int = 0
    autocontinue: int = 1
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    mission_type: int = MAV_MISSION_TYPE_MISSION

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7


@dataclass(frozen=True, slots=True)
class Mission:
    """The three plans a vehicle holds for one sortie: mission, geofence and rally points."""

    items: tuple[MissionItem, ...]
    fence: tuple[MissionItem, ...] = ()
    rally: tuple[MissionItem, ...] = ()
    cruise_speed_m_s: float = 10.0

    @property
    def home(self) -> MissionItem:
        return self.items[0]


def _e7(v: float) -> int:
    return round(v * 1e7)


def _lat_lon_e7(frame: LocalFrame, x: float, y: float) -> tuple[int, int]:
    """Latitude and longitude x 1e7 (MISSION_ITEM_INT x, y) of the local point (x, y)."""
    lon, lat = frame.xy_to_wgs84(x, y)
    return _e7(lat), _e7(lon)


def _renumber(items: Sequence[MissionItem]) -> tuple[MissionItem, ...]:
    return tuple(replace(it, seq=i) for i, it in enumerate(items))


def check_altitude(altitude_m: float, max_altitude_m: float = MAX_ALTITUDE_M) -> None:
    """Refuse an altitude outside (0, max]."""
    if not math.isfinite(altitude_m) or altitude_m <= 0:
        raise PlanningError(f"altitude must be above take-off, got {altitude_m} m")
    if altitude_m > max_altitude_m:
        raise PlanningError(
            f"altitude {altitude_m:.0f} m is above the {max_altitude_m:.0f} m limit",
            altitude_m=altitude_m,
            max_altitude_m=max_altitude_m,
        )


def build_mission(
    route: Route,
    frame: LocalFrame,
    *,
    home: Point,
    altitude_m: float,
    speed_m_s: float,
    photo_spacing_m: float | None = None,
    acceptance_m: float = 5.0,
    max_altitude_m: float = MAX_ALTITUDE_M,
) -> tuple[MissionItem, ...]:
    """Mission items for one sortie (``route`` and ``home`` in the local frame)."""
    check_altitude(altitude_m, max_altitude_m)
    rel = MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
    hlat7, hlon7 = _lat_lon_e7(frame, home.x, home.y)
    items = [
        MissionItem(0, MAV_FRAME_GLOBAL, MAV_CMD_NAV_WAYPOINT, current=1, x=hlat7, y=hlon7),
        MissionItem(0, rel, MAV_CMD_NAV_TAKEOFF, x=hlat7, y=hlon7, z=altitude_m),
        MissionItem(
            0, MAV_FRAME_MISSION, MAV_CMD_DO_CHANGE_SPEED, param1=1, param2=speed_m_s, param3=-1
        ),
    ]
    camera_on = False
    last: tuple[float, float] | None = None
    for leg in route.legs:
        coords = [(float(x), float(y)) for x, y in leg.line.coords]
        if leg.kind == "loiter":
            lat7, lon7 = _lat_lon_e7(frame, *coords[0])
            if items[-1].command == MAV_CMD_NAV_WAYPOINT and (items[-1].x, items[-1].y) == (
                lat7,
                lon7,
            ):
                items.pop()  # loiter where the waypoint was
            items.append(
                MissionItem(0, rel, MAV_CMD_NAV_LOITER_TIME, param1=leg.loiter_s, x=lat7,
                            y=lon7, z=altitude_m)
            )  # fmt: skip
            last = coords[0]
            continue
        want = photo_spacing_m is not None and leg.kind == "sweep"
        for k, (x, y) in enumerate(coords):
            if (x, y) != last:
                lat7, lon7 = _lat_lon_e7(frame, x, y)
                items.append(
                    MissionItem(0, rel, MAV_CMD_NAV_WAYPOINT, param2=acceptance_m, x=lat7,
                                y=lon7, z=altitude_m)
                )  # fmt: skip
                last = (x, y)
            if k == 0 and want != camera_on:
                spacing = photo_spacing_m if want and photo_spacing_m else 0.0
                items.append(
                    MissionItem(0, MAV_FRAME_MISSION, MAV_CMD_DO_SET_CAM_TRIGG_DIST,
                                param1=spacing, param3=1 if want else 0)
                )  # fmt: skip
                camera_on = want
    if camera_on:
        items.append(MissionItem(0, MAV_FRAME_MISSION, MAV_CMD_DO_SET_CAM_TRIGG_DIST))
    items.append(MissionItem(0, MAV_FRAME_MISSION, MAV_CMD_NAV_RETURN_TO_LAUNCH))
    return _renumber(items)


def fence_items(fence: FittedFence, frame: LocalFrame) -> tuple[MissionItem, ...]:
    """Fence plan of a fitted fence: each polygon as its vertices (param1 the vertex count),
    each circle as one item (param1 the radius in metres), in the order of ``fence.shapes``."""
    items: list[MissionItem] = []
    for shape in fence.shapes:
        if shape.polygon is None:
            assert shape.centre is not None
            cmd = (
                MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
                if shape.inclusion
                else (MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION)
            )
            lat7, lon7 = _lat_lon_e7(frame, *shape.centre)
            items.append(
                MissionItem(0, MAV_FRAME_GLOBAL_INT, cmd, param1=shape.radius_m, x=lat7, y=lon7,
                            mission_type=MAV_MISSION_TYPE_FENCE)
            )  # fmt: skip
            continue
        cmd = (
            MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
            if shape.inclusion
            else (MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION)
        )
        ring = list(shape.polygon.exterior.coords)[:-1]
        for x, y in ring:
            lat7, lon7 = _lat_lon_e7(frame, x, y)
            items.append(
                MissionItem(0, MAV_FRAME_GLOBAL_INT, cmd, param1=len(ring), x=lat7, y=lon7,
                            mission_type=MAV_MISSION_TYPE_FENCE)
            )  # fmt: skip
    return _renumber(items)


def rally_items(
    points: Sequence[Point], frame: LocalFrame, altitude_m: float
) -> tuple[MissionItem, ...]:
    """Rally plan: a safe point at each of ``points`` (local frame)."""
    items = []
    for p in points:
        lat7, lon7 = _lat_lon_e7(frame, p.x, p.y)
        items.append(
            MissionItem(0, MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, MAV_CMD_NAV_RALLY_POINT, x=lat7,
                        y=lon7, z=altitude_m, mission_type=MAV_MISSION_TYPE_RALLY)
        )  # fmt: skip
    return _renumber(items)


def count_items(route: Route, photo: bool) -> int:
    """How many mission items `build_mission` makes for ``route`` (without converting)."""
    n = 3  # home, take-off, speed
    camera_on = False
    last: tuple[float, ...] | None = None
    for leg in route.legs:
        coords = list(leg.line.coords)
        if leg.kind == "loiter":
            n += 0 if last == tuple(coords[0]) else 1
            last = tuple(coords[0])
            continue
        want = photo and leg.kind == "sweep"
        for k, c in enumerate(coords):
            if tuple(c) != last:
                n += 1
                last = tuple(c)
            if k == 0 and want != camera_on:
                n += 1
                camera_on = want
    return n + (1 if camera_on else 0) + 1  # camera off, return to launch


def fence_shapes(
    fence: Sequence[MissionItem], frame: LocalFrame
) -> tuple[list[Polygon], list[Polygon]]:
    """(inclusion, exclusion) polygons in ``frame`` of a fence plan. A circle becomes a 64-gon:
    inscribed for an inclusion, circumscribed for an exclusion (never more permissive)."""
    incl: list[Polygon] = []
    excl: list[Polygon] = []
    i = 0
    while i < len(fence):
        it = fence[i]
        x, y = frame.xy_to_local(it.lon_deg, it.lat_deg)
        if it.command in (MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION):
            inner = it.command == MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
            r = it.param1 if inner else it.param1 / math.cos(math.pi / 64)
            circle = Point(x, y).buffer(r, quad_segs=16)
            assert isinstance(circle, Polygon)
            (incl if inner else excl).append(circle)
            i += 1
            continue
        n = int(it.param1)
        if (
            it.command
            not in (
                MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
            )
            or n < 3
            or i + n > len(fence)
        ):
            raise PlanningError(f"fence item {it.seq}: not a polygon vertex or circle I can fit")
        ring = [frame.xy_to_local(p.lon_deg, p.lat_deg) for p in fence[i : i + n]]
        poly = Polygon(ring)
        if not poly.is_valid:
            poly = Polygon(poly.buffer(0).exterior) if not poly.buffer(0).is_empty else poly
        inner = it.command == MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
        (incl if inner else excl).append(poly)
        i += n
    return incl, excl


def refit_fence(
    mission: Sequence[MissionItem],
    fence: Sequence[MissionItem],
    budget: FenceBudget,
    *,
    clearance_m: float = 25.0,
) -> tuple[tuple[MissionItem, ...], FittedFence]:
    """Fit a fence plan made elsewhere (a stored plan, a file) to ``budget``: the fence items,
    and what was simplified. The mission's positions (home and every navigation item) stay
    inside, ``clearance_m`` from the edge where they were that far."""
    from shapely.geometry import LineString, MultiPoint

    from routes.fence import fit_fence

    spots = [it for it in mission if it.command < 95 and (it.x, it.y) != (0, 0)]
    if not spots:
        raise PlanningError("the mission has no positions to keep inside the fence")
    frame = LocalFrame.for_lonlat(spots[0].lon_deg, spots[0].lat_deg)
    xy = [frame.xy_to_local(it.lon_deg, it.lat_deg) for it in spots]
    keep = LineString(xy) if len(set(xy)) > 1 else MultiPoint(xy)
    incl, excl = fence_shapes(fence, frame)
    fitted = fit_fence(incl, excl, keep, budget, clearance_m=clearance_m)
    return fence_items(fitted, frame), fitted


def fence_cost(fence: Sequence[MissionItem]) -> tuple[int, int]:
    """(items, bytes) a fence plan takes in ArduPilot's fence storage (see `routes.fence`)."""
    from routes.fence import AP_CIRCLE_BYTES, AP_HEADER_BYTES, AP_POLYGON_BYTES, AP_VERTEX_BYTES

    size = AP_HEADER_BYTES
    i = 0
    while i < len(fence):
        it = fence[i]
        if it.command in (MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION):
            size += AP_CIRCLE_BYTES
            i += 1
            continue
        n = max(int(it.param1), 1)
        size += AP_POLYGON_BYTES + AP_VERTEX_BYTES * n
        i += n
    return len(fence), size
