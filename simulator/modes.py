"""ArduCopter flight modes: custom_mode numbers, names and what each one allows.

>>> mode_number("guided")
4
>>> MODE_NAMES[6]
'RTL'
"""

from __future__ import annotations

STABILIZE, ALT_HOLD, AUTO, GUIDED, LOITER, RTL, LAND, POSHOLD, BRAKE = 0, 2, 3, 4, 5, 6, 9, 16, 17

MODE_NAMES: dict[int, str] = {
    STABILIZE: "STABILIZE",
    ALT_HOLD: "ALT_HOLD",
    AUTO: "AUTO",
    GUIDED: "GUIDED",
    LOITER: "LOITER",
    RTL: "RTL",
    LAND: "LAND",
    POSHOLD: "POSHOLD",
    BRAKE: "BRAKE",
}
"""The modes this simulator implements (a subset of ArduCopter's)."""

NEEDS_POSITION = frozenset({AUTO, GUIDED, LOITER, RTL, POSHOLD, BRAKE})
"""Modes that need a GPS position to be entered."""

ARMABLE = frozenset({STABILIZE, ALT_HOLD, AUTO, GUIDED, LOITER, POSHOLD})
"""Modes the vehicle may be armed in (AUTO as with ArduCopter's AUTO_OPTIONS bit 0 set)."""


def mode_number(name: str) -> int:
    """The custom_mode number of a mode name (case-insensitive); KeyError if unknown."""
    for number, known in MODE_NAMES.items():
        if known == name.upper():
            return number
    raise KeyError(f"unknown flight mode {name!r}; known: {', '.join(MODE_NAMES.values())}")
