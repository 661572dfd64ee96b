"""Objectives: the cost a stage minimises, passed in rather than hard-coded.

>>> from shapely.geometry import LineString
>>> square = LineString([(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
>>> fast = FlightTime.of(BatteryModel(cruise_speed_m_s=10))
>>> round(fast.cost(square) / 10 - square.length / 10, 1)   # seconds lost: start, 2 corners, stop
11.7
>>> quick = FlightTime.of(BatteryModel(cruise_speed_m_s=10, accel_m_s2=5))   # WPNAV_ACCEL 500
>>> round(quick.cost(square) / 10, 1)
311.2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shapely.geometry import LineString

from routes.flight_time import WpNav, corner_loss_s, path_time_s
from routes.types import BatteryModel


class PathObjective(Protocol):
    """Cost of a path in metres-equivalent (lower is better)."""

    #: what a pass end (a U-turn through two square corners) costs, for stages that price
    #: turns before there is a path to cost (a sweep angle is chosen by its pass count)
    @property
    def turn_cost_m(self) -> float: ...

    def cost(self, path: LineString) -> float: ...


@dataclass(frozen=True, slots=True)
class PathLength:
    """Plain length in metres."""

    turn_cost_m: float = 0.0

    def cost(self, path: LineString) -> float:
        return float(path.length)


@dataclass(frozen=True, slots=True)
class FlightTime:
    """The time an ArduCopter takes to fly the path in AUTO (`routes.flight_time`), as the
    metres it would cruise in that time: corners cost what the speed profile loses there (a
    gentle bend nothing, a square corner a few seconds, a U-turn nearly a stop), which is also
    how sorties are timed, so the pattern chosen is the one that flies fastest."""

    nav: WpNav = field(default_factory=WpNav)

    @classmethod
    def of(cls, battery: BatteryModel) -> FlightTime:
        """Priced for ``battery``'s drone (its cruise speed and waypoint navigation)."""
        return cls(battery.nav)

    @property
    def turn_cost_m(self) -> float:
        return 2 * corner_loss_s(90.0, self.nav) * self.nav.speed_m_s

    def cost(self, path: LineString) -> float:
        return path_time_s(path, self.nav) * self.nav.speed_m_s
