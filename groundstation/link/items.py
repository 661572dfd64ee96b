"""Mission items on the wire: the link sends and receives ``routes.mission.MissionItem``.

A MISSION_ITEM_INT carries x / y as degrees x 1e7 in global frames; the legacy MISSION_ITEM
carries them as float degrees. :func:`same_as` is the link's comparison after a round trip.

>>> item = MissionItem(seq=1, frame=6, command=16, x=290512345, y=1191701234, z=40.0)
>>> item.lat_deg, item.lon_deg
(29.0512345, 119.1701234)
>>> same_as(item, MissionItem(seq=1, frame=6, command=16, x=290512345, y=1191701234, z=40.00001))
True
>>> mission_type_code("fence"), mission_type_label(2)
(1, 'rally')
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from routes.mission import MissionItem

#: MAV_MISSION_TYPE by the names the station uses.
MISSION_TYPES: dict[str, int] = {
    "mission": mavlink.MAV_MISSION_TYPE_MISSION,
    "fence": mavlink.MAV_MISSION_TYPE_FENCE,
    "rally": mavlink.MAV_MISSION_TYPE_RALLY,
    "all": mavlink.MAV_MISSION_TYPE_ALL,
}
_LABELS = {code: name for name, code in MISSION_TYPES.items()}

#: Frames whose x / y are latitude / longitude (the ones MISSION_ITEM carries as float degrees).
GLOBAL_FRAMES = frozenset(
    {
        mavlink.MAV_FRAME_GLOBAL,
        mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        mavlink.MAV_FRAME_GLOBAL_INT,
        mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT,
        mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
    }
)


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


def same_as(
    a: MissionItem, b: MissionItem, *, ignore_position: bool = False, float_xy: bool = False
) -> bool:
    """Equal up to float32 rounding of params and z (what a round trip preserves).

    ``float_xy``: x / y went through legacy MISSION_ITEM floats, so allow float32 rounding.
    """
    if (a.seq, a.frame, a.command, a.autocontinue, a.mission_type) != (
        b.seq,
        b.frame,
        b.command,
        b.autocontinue,
        b.mission_type,
    ):
        return False
    pairs = [(a.param1, b.param1), (a.param2, b.param2), (a.param3, b.param3), (a.param4, b.param4)]
    if not ignore_position:
        if float_xy:
            if not all(abs(p - q) <= abs(p) * 1.2e-7 + 1 for p, q in ((a.x, b.x), (a.y, b.y))):
                return False
        elif (a.x, a.y) != (b.x, b.y):
            return False
        pairs.append((a.z, b.z))
    return all(_float_eq(p, q) for p, q in pairs)


def _float_eq(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-4)


def _item_from(obj: Any, x: float, y: float) -> MissionItem:
    """A MissionItem from anything with MISSION_ITEM_INT attributes, x / y given."""
    return MissionItem(
        seq=int(obj.seq),
        frame=int(obj.frame),
        command=int(obj.command),
        current=int(getattr(obj, "current", 0)),
        autocontinue=int(getattr(obj, "autocontinue", 1)),
        param1=float(obj.param1),
        param2=float(obj.param2),
        param3=float(obj.param3),
        param4=float(obj.param4),
        x=int(x),
        y=int(y),
        z=float(obj.z),
        mission_type=int(getattr(obj, "mission_type", mavlink.MAV_MISSION_TYPE_MISSION)),
    )


def to_wire(item: Any, seq: int | None = None, mission_type: int | None = None) -> MissionItem:
    """``item`` (a MissionItem, or any object with its attributes) renumbered and retyped."""
    out = item if isinstance(item, MissionItem) else _item_from(item, item.x, item.y)
    changes: dict[str, int] = {}
    if seq is not None and seq != out.seq:
        changes["seq"] = seq
    if mission_type is not None and mission_type != out.mission_type:
        changes["mission_type"] = mission_type
    return replace(out, **changes) if changes else out


def from_message(msg: Any) -> MissionItem:
    """A MissionItem from a received MISSION_ITEM_INT or legacy MISSION_ITEM."""
    x, y = msg.x, msg.y
    if msg.get_type() == "MISSION_ITEM" and msg.frame in GLOBAL_FRAMES:
        x, y = round(x * 1e7), round(y * 1e7)
    return _item_from(msg, x, y)


def legacy_xy(item: MissionItem) -> tuple[float, float]:
    """x / y as MISSION_ITEM (float) carries them: degrees in global frames, else unchanged."""
    if item.frame in GLOBAL_FRAMES:
        return item.x / 1e7, item.y / 1e7
    return float(item.x), float(item.y)
