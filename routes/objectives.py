"""Objectives: the cost a stage minimises, passed in rather than hard-coded.

>>> from shapely.geometry import LineString
>>> LengthAndTurns(turn_cost_m=50).cost(LineString([(0, 0), (100, 0), (100, 10), (0, 10)]))
310.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shapely.geometry import LineString

from routes.geometry import SHARP_TURN_DEG, turns


class PathObjective(Protocol):
    """Cost of a path in metres-equivalent (lower is better)."""

    def cost(self, path: LineString) -> float: ...


@dataclass(frozen=True, slots=True)
class PathLength:
    """Plain length in metres."""

    def cost(self, path: LineString) -> float:
        return float(path.length)


@dataclass(frozen=True, slots=True)
class LengthAndTurns:
    """Length plus a fixed cost per sharp turn (a multicopter slows down and speeds up again)."""

    turn_cost_m: float = 20.0
    min_turn_deg: float = SHARP_TURN_DEG

    def cost(self, path: LineString) -> float:
        return float(path.length) + self.turn_cost_m * turns(path, self.min_turn_deg)
