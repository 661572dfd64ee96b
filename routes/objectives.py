"""Objectives: the cost a stage minimises, passed in rather than hard-coded.

>>> from shapely.geometry import LineString
>>> LengthAndTurns(turn_cost_m=50).cost(LineString([(0, 0), (100, 0), (100, 10), (0, 10)]))
310.0
>>> LengthAndTurns.of(BatteryModel(cruise_speed_m_s=10, turn_s=2)).turn_cost_m
20.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shapely.geometry import LineString

from routes.geometry import SHARP_TURN_DEG, turns
from routes.types import BatteryModel


class PathObjective(Protocol):
    """Cost of a path in metres-equivalent (lower is better)."""

    #: what a sharp turn costs, for stages that price turns before there is a path to cost
    #: (a sweep angle is chosen by its pass count)
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
class LengthAndTurns:
    """Length plus a fixed cost per sharp turn (a multicopter slows down and speeds up again).

    The default prices a turn as the default drone's `BatteryModel` does when it times a
    sortie (`of` does so for any drone), so the pattern chosen is the one that flies fastest.
    """

    turn_cost_m: float = BatteryModel().turn_m
    min_turn_deg: float = SHARP_TURN_DEG

    @classmethod
    def of(cls, battery: BatteryModel) -> LengthAndTurns:
        """Turns priced at the distance ``battery``'s drone would cruise in the time it loses."""
        return cls(turn_cost_m=battery.turn_m)

    def cost(self, path: LineString) -> float:
        return float(path.length) + self.turn_cost_m * turns(path, self.min_turn_deg)
