"""Errors raised by route planning.

The hierarchy::

    PlanningError(ValueError)     base of everything routes raises on a plan that cannot be made
    ├── InvalidAreaError          the area is empty, zero-width or not a polygon
    ├── SwathTooWideError         the swath is wider than the area: coverage would be a guess
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
"""

from __future__ import annotations

from typing import Any


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
