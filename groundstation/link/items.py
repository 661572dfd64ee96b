"""Wire-level mission items as the link sends and receives them (MISSION_ITEM_INT fields).

The routes package defines its own ``MissionItem`` with the same fields; :func:`to_wire` accepts
any object with those attributes, so route items go straight to the link.

>>> item = WireItem(seq=1, frame=6, command=16, x=290512345, y=1191701234, z=40.0)
>>> item.lat_deg, item.lon_deg
(29.0512345, 119.1701234)
>>> mission_type_code("fence"), mission_type_label(2)
(1, 'rally')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

#: MAV_MISSION_TYPE by the names the station uses.
MISSION_TYPES: dict[str, int] = {"mission": 0, "fence": 1, "rally": 2, "all": 255}
_LABELS = {code: name for name, code in MISSION_TYPES.items()}

#: Frames whose x / y are latitude / longitude (the ones MISSION_ITEM carries as float degrees).
GLOBAL_FRAMES = frozenset({0, 3, 5, 6, 10, 11})


def mission_type_code(name: str) -> int:
    """MAV_MISSION_TYPE for ``mission``, ``fence``, ``rally`` or ``all``."""
    try:
        return MISSION_TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown mission type {name!r}; use one of {', '.join(MISSION_TYPES)}"
        ) from None


def mission_type_label(code: int) -> str:
    """Inverse of :func:`mission_type_code`."""
    return _LABELS.get(code, f"type{code}")


@dataclass(frozen=True, slots=True)
class WireItem:
    """One MISSION_ITEM_INT: x / y are degrees x 1e7 in global frames, z metres."""

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
    mission_type: int = 0

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7

    def same_as(
        self, other: WireItem, *, ignore_position: bool = False, float_xy: bool = False
    ) -> bool:
        """Equal up to float32 rounding of params and z (what a round trip preserves).

        ``float_xy``: x / y went through legacy MISSION_ITEM floats, so allow float32 rounding.
        """
        if (self.seq, self.frame, self.command, self.autocontinue, self.mission_type) != (
            other.seq,
            other.frame,
            other.command,
            other.autocontinue,
            other.mission_type,
        ):
            return False
        pairs = [
            (self.param1, other.param1),
            (self.param2, other.param2),
            (self.param3, other.param3),
            (self.param4, other.param4),
        ]
        if not ignore_position:
            if float_xy:
                if not all(abs(a - b) <= abs(a) * 1.2e-7 + 1 for a, b in
                           ((self.x, other.x), (self.y, other.y))):  # fmt: skip
                    return False
            elif (self.x, self.y) != (other.x, other.y):
                return False
            pairs.append((self.z, other.z))
        return all(_float_eq(a, b) for a, b in pairs)


def _float_eq(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-4)


def to_wire(item: Any, seq: int | None = None, mission_type: int | None = None) -> WireItem:
    """Convert any item with MISSION_ITEM_INT attributes (a route ``MissionItem``) to a WireItem."""
    if isinstance(item, WireItem):
        out = item
    else:
        out = WireItem(
            seq=int(item.seq),
            frame=int(item.frame),
            command=int(item.command),
            current=int(getattr(item, "current", 0)),
            autocontinue=int(getattr(item, "autocontinue", 1)),
            param1=float(item.param1),
            param2=float(item.param2),
            param3=float(item.param3),
            param4=float(item.param4),
            x=int(item.x),
            y=int(item.y),
            z=float(item.z),
            mission_type=int(getattr(item, "mission_type", 0)),
        )
    changes: dict[str, int] = {}
    if seq is not None and seq != out.seq:
        changes["seq"] = seq
    if mission_type is not None and mission_type != out.mission_type:
        changes["mission_type"] = mission_type
    return replace(out, **changes) if changes else out


def from_message(msg: Any) -> WireItem:
    """A WireItem from a received MISSION_ITEM_INT or legacy MISSION_ITEM."""
    x, y = msg.x, msg.y
    if msg.get_type() == "MISSION_ITEM" and msg.frame in GLOBAL_FRAMES:
        x, y = round(x * 1e7), round(y * 1e7)
    return WireItem(
        seq=int(msg.seq),
        frame=int(msg.frame),
        command=int(msg.command),
        current=int(msg.current),
        autocontinue=int(msg.autocontinue),
        param1=float(msg.param1),
        param2=float(msg.param2),
        param3=float(msg.param3),
        param4=float(msg.param4),
        x=int(x),
        y=int(y),
        z=float(msg.z),
        mission_type=int(getattr(msg, "mission_type", 0)),
    )


def legacy_xy(item: WireItem) -> tuple[float, float]:
    """x / y as MISSION_ITEM (float) carries them: degrees in global frames, else unchanged."""
    if item.frame in GLOBAL_FRAMES:
        return item.x / 1e7, item.y / 1e7
    return float(item.x), float(item.y)
