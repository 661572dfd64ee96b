"""Errors raised by route planning.

The hierarchy::

    PlanningError(ValueError)     base of everything routes raises on a plan that cannot be made
    ├── InvalidAreaError          the area is empty, zero-width or not a polygon
    ├── SwathTooWideError         the swath is over twice as wide as the area: likely a mistake
    ├── UnreachableError          no path inside the allowed region joins two points
    ├── StationError              the station is inside a no-fly zone or outside the fence
    ├── BatteryError              even the shortest sortie does not fit the battery
    └── MissionFormatError        a mission file that cannot be parsed (file, line, field)

Every error carries the structured fields that explain it (``reason`` and ``details``) as well as
a message a person can read:

>>> err = SwathTooWideError("swath 500 m is wider than the area (max width 120 m)", width_m=500)
>>> str(err), err.details["width_m"]
('swath 500 m is wider than the area (max width 120 m)', 500)
>>> isinstance(err, ValueError)
True

Points in messages are in the local frame's metres unless the caller says how to name them
(the station names them by longitude and latitude, which a person can look up on a map):

>>> at(712080.4, 3215431.1)
'(712080, 3215431)'
>>> with naming_points(lambda x, y: f"at {x / 1000:.1f} km east"):
...     at(712080.4, 3215431.1)
'at 712.1 km east'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


def _metres(x: float, y: float) -> str:
    return f"({x:.0f}, {y:.0f})"


#: how messages name a point (x, y) of the local frame; one per thread or task (a context
#: variable), set by `naming_points`
_point_name: ContextVar[Callable[[float, float], str]] = ContextVar("point_name", default=_metres)


def at(x: float, y: float) -> str:
    """A local point as error messages name it."""
    return _point_name.get()(float(x), float(y))


@contextmanager
def naming_points(name: Callable[[float, float], str]) -> Iterator[None]:
    """Within the block, messages name local points with ``name(x, y)``."""
    token = _point_name.set(name)
    try:
        yield
    finally:
        _point_name.reset(token)


class PlanningError(ValueError):
    """A plan that cannot be made, with the reason and the values that explain it."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details: dict[str, Any] = details


class InvalidAreaError(PlanningError):
    """The area to patrol is empty, degenerate or of the wrong geometry type."""


class SwathTooWideError(PlanningError):
    """The swath is wider than the area allows."""


class UnreachableError(PlanningError):
    """No path inside the allowed region joins two points."""


class StationError(PlanningError):
    """The launch station cannot be used (inside a no-fly zone, outside the fence)."""


class BatteryError(PlanningError):
    """A leg of the patrol cannot be flown within one battery, even alone."""


class MissionFormatError(PlanningError):
    """A mission file that cannot be parsed; ``details`` names the line or field."""
