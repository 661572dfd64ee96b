"""Frozen value types shared by the planning stages (all coordinates in metres, local frame).

>>> from shapely.geometry import LineString
>>> leg = Leg(LineString([(0, 0), (30, 40)]), "sweep")
>>> route = Route((leg, Leg(LineString([(30, 40), (30, 0)]), "transit")))
>>> route.length_m, route.sweep_length_m
(90.0, 50.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.errors import PlanningError
from routes.flight_time import WpNav, path_time_s

if TYPE_CHECKING:
    from routes.account import AreaAccount

LegKind = Literal["sweep", "transit", "loiter"]


@dataclass(frozen=True, slots=True)
class Swath:
    """One pass of the drone over the area: an open line, or a closed loop (``closed``).

    ``group`` ties passes made together (a cell, a ring level); ``index`` orders them in the group.
    """

    path: LineString
    closed: bool = False
    group: int = 0
    index: int = 0

    @property
    def length_m(self) -> float:
        return float(self.path.length)

    def reversed(self) -> Swath:
        return Swath(self.path.reverse(), self.closed, self.group, self.index)


@dataclass(frozen=True, slots=True)
class Leg:
    """A piece of a route: a sweep (camera on, covering), a transit, or a loiter at a point."""

    line: LineString
    kind: LegKind = "sweep"
    loiter_s: float = 0.0
    name: str = ""

    @property
    def length_m(self) -> float:
        return float(self.line.length)


@dataclass(frozen=True, slots=True)
class Route:
    """Legs flown one after the other; each leg starts where the previous one ends."""

    legs: tuple[Leg, ...]

    @property
    def length_m(self) -> float:
        return float(sum(leg.length_m for leg in self.legs))

    @property
    def sweep_length_m(self) -> float:
        return float(sum(leg.length_m for leg in self.legs if leg.kind == "sweep"))

    @property
    def loiter_s(self) -> float:
        return float(sum(leg.loiter_s for leg in self.legs))

    def line(self) -> LineString:
        """The whole route as one line (consecutive duplicate points removed)."""
        coords: list[tuple[float, float]] = []
        for leg in self.legs:
            for x, y in leg.line.coords:
                if not coords or (x, y) != coords[-1]:
                    coords.append((float(x), float(y)))
        if len(coords) == 1:
            coords.append(coords[0])
        return LineString(coords)

    def sweeps(self) -> MultiLineString:
        return MultiLineString([leg.line for leg in self.legs if leg.kind == "sweep"])

    @property
    def start(self) -> Point:
        return Point(self.legs[0].line.coords[0])

    @property
    def end(self) -> Point:
        return Point(self.legs[-1].line.coords[-1])


@dataclass(frozen=True, slots=True)
class BatteryModel:
    """What one drone can fly on one battery, and how many mission items it holds.

    >>> BatteryModel(cruise_speed_m_s=10, endurance_s=1500, reserve_frac=0.2).usable_range_m
    11400.0
    """

    cruise_speed_m_s: float = 15.0  # defaults: a 55-minute industrial quadcopter (M300 class)
    endurance_s: float = 3300.0
    reserve_frac: float = 0.25
    max_mission_items: int = 250
    takeoff_landing_s: float = 60.0
    #: how the autopilot flies between waypoints (ArduCopter's WPNAV_ACCEL, WPNAV_RADIUS,
    #: WPNAV_JERK): what corners and stops cost (`routes.flight_time`)
    accel_m_s2: float = 2.5
    wp_radius_m: float = 2.0
    jerk_m_s3: float = 1.0

    def __post_init__(self) -> None:
        if self.cruise_speed_m_s <= 0 or self.endurance_s <= 0:
            raise PlanningError("cruise speed and endurance must be positive")
        for what, value in (("acceleration", self.accel_m_s2), ("waypoint radius",
                            self.wp_radius_m), ("jerk", self.jerk_m_s3)):  # fmt: skip
            if not (value > 0 and math.isfinite(value)):
                raise PlanningError(f"the autopilot's {what} must be positive, got {value:g}")
        if not 0 <= self.reserve_frac < 1:
            raise PlanningError(f"reserve fraction must be in [0, 1), got {self.reserve_frac}")
        if self.max_mission_items < 8:
            raise PlanningError(
                f"max mission items must be at least 8, got {self.max_mission_items}"
            )

    @property
    def nav(self) -> WpNav:
        """The autopilot's waypoint navigation at this drone's cruise speed."""
        return WpNav(
            speed_m_s=self.cruise_speed_m_s,
            accel_m_s2=self.accel_m_s2,
            jerk_m_s3=self.jerk_m_s3,
            radius_m=self.wp_radius_m,
        )

    @property
    def usable_s(self) -> float:
        return self.endurance_s * (1 - self.reserve_frac) - self.takeoff_landing_s

    @property
    def usable_range_m(self) -> float:
        return self.usable_s * self.cruise_speed_m_s


#: The planner's default airframe: what a plan assumes unless told otherwise (CLI and API alike).
DEFAULT_BATTERY = BatteryModel()


@dataclass(frozen=True, slots=True)
class Sortie:
    """One flight on one battery: from the station, along ``route``, back to the station."""

    route: Route
    drone: int = 0

    @property
    def length_m(self) -> float:
        return self.route.length_m

    def duration_s(self, battery: BatteryModel) -> float:
        """Flight time: the route by the autopilot's speed profile (`routes.flight_time`),
        stopping at each loiter, plus the loiters, take-off and landing."""
        return (
            route_time_s(self.route, battery.nav) + self.route.loiter_s + battery.takeoff_landing_s
        )


def route_time_s(route: Route, nav: WpNav) -> float:
    """Seconds to fly ``route`` waypoint to waypoint, from rest to rest, stopping at loiters."""
    coords: list[tuple[float, float]] = []
    stops: list[bool] = []
    for leg in route.legs:
        for x, y in leg.line.coords:
            if not coords or (x, y) != coords[-1]:
                coords.append((float(x), float(y)))
                stops.append(False)
        if leg.kind == "loiter" and coords:
            stops[-1] = True
    if len(coords) < 2:
        return 0.0
    return path_time_s(np.asarray(coords), nav, np.asarray(stops))


@dataclass(frozen=True, slots=True)
class PlanStats:
    """Numbers reported with every plan."""

    length_m: float
    sweep_length_m: float
    flight_time_s: float
    makespan_s: float
    sorties: int
    drones: int
    covered_frac: float | None
    photos: int
    turns: int
    outside_m: float
    #: coverage: the requested area against the planned one (zones taken out, flying outside)
    account: AreaAccount | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A finished plan in the local frame: sorties (or a bare path), plus what it was made over."""

    kind: str
    area: BaseGeometry
    no_fly: tuple[Polygon, ...]
    station: Point | None
    sorties: tuple[Sortie, ...]
    stats: PlanStats
    altitude_m: float
    swath_width_m: float | None = None
    fence: Polygon | None = None
    notes: tuple[str, ...] = field(default=())

    def comments(self) -> list[str]:
        """What files and reports say of the plan in words: its account, then its notes."""
        head = self.stats.account.lines() if self.stats.account is not None else []
        return [*head, *self.notes]
