"""What an autopilot keeps of a mission item: the item as it will read it back, per autopilot.

Verification after an upload compares the read-back list with :func:`as_stored` of what was sent,
never with a comparison loosened until it passes. The rules are the autopilots' own:

- **ArduPilot** stores each mission command in 15 bytes (``AP_Mission::mavlink_int_to_mission_cmd``
  in ``libraries/AP_Mission/AP_Mission.cpp``) and rebuilds the item on download
  (``mission_cmd_to_mavlink_int``): only the params a command keeps survive, in the C type it
  keeps them in (``uint16_t p1`` truncates 2.6 to 2 and wraps -3 to 65533); positions of the
  commands ``stored_in_location`` come back exact, altitudes in whole centimetres (truncated)
  with frame GLOBAL_RELATIVE_ALT (3) or GLOBAL (0) (``_INT`` frames are not kept); other commands
  come back with frame 0 and no position; autocontinue is always 1 and slot 0 is the vehicle's
  own home. Fence items (``MissionItemProtocol_Fence``) come back with frame 0, autocontinue 0,
  no altitude, param1 the vertex count (``uint8_t``) or circle radius (``float``); rally points
  (``MissionItemProtocol_Rally``) with frame 3, autocontinue 0, no params and the altitude in
  whole metres (``int16_t``). ArduPlane keeps NAV_WAYPOINT's acceptance and pass-by radii
  (params 2 and 3, one byte each) instead of the copter's delay (param 1). Checked against
  ArduCopter SITL 4.7 (upstream 90700977): every rule below was seen on read-back.
- **PX4** parses each item into a ``mission_item_s`` and formats it back
  (``MavlinkMissionManager::parse_mavlink_mission_item`` / ``format_mavlink_mission_item`` in
  ``src/modules/mavlink/mavlink_mission.cpp``): positional items come back in the ``_INT`` frames
  (6 relative, 5 absolute) with the params of their command only (yaw normalised to 0-360
  degrees, flags as 0 or 1); items in frame MISSION (2) keep all seven params as sent.
- Any other autopilot: the item exactly as sent.

Values are modelled in the C types the autopilots store, on x86 (a float to unsigned conversion
truncates toward zero and keeps the low bits).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import replace
from enum import Enum

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from routes.mission import MissionItem

Params = tuple[float, float, float, float]


class Autopilot(Enum):
    """Whose storage rules apply."""

    ARDUPILOT = "ardupilot"  # ArduCopter, Rover, Sub (and ArduPlane but for NAV_WAYPOINT)
    ARDUPLANE = "arduplane"
    PX4 = "px4"
    EXACT = "exact"  # an unknown autopilot: it should read back what it was sent

    @classmethod
    def of(cls, mav_autopilot: int, mav_type: int) -> Autopilot:
        """The rules for a HEARTBEAT's MAV_AUTOPILOT and MAV_TYPE."""
        if mav_autopilot == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA:
            if mav_type == mavlink.MAV_TYPE_FIXED_WING:
                return cls.ARDUPLANE
            return cls.ARDUPILOT
        if mav_autopilot == mavlink.MAV_AUTOPILOT_PX4:
            return cls.PX4
        return cls.EXACT


# --- C storage types ------------------------------------------------------------------------------


def f32(v: float) -> float:
    """``v`` as a C ``float``."""
    if math.isnan(v) or math.isinf(v):
        return v
    return float(struct.unpack("<f", struct.pack("<f", v))[0])


def _int_bits(v: float, bits: int, signed: bool) -> int:
    """``(uintN_t)v`` / ``(intN_t)v`` for a C float ``v``, as x86 converts it."""
    v = f32(v)
    if math.isnan(v) or math.isinf(v):
        return 0
    n = math.trunc(v) & ((1 << bits) - 1)
    if signed and n >= 1 << (bits - 1):
        n -= 1 << bits
    return n


def u8(v: float) -> float:
    return float(_int_bits(v, 8, signed=False))


def u16(v: float) -> float:
    return float(_int_bits(v, 16, signed=False))


def i8(v: float) -> float:
    return float(_int_bits(v, 8, signed=True))


def i16(v: float) -> float:
    return float(_int_bits(v, 16, signed=True))


def _f32s(p: Params) -> Params:
    return (f32(p[0]), f32(p[1]), f32(p[2]), f32(p[3]))


def _flag(v: float) -> float:
    return 1.0 if v > 0 else 0.0


def _ccw(v: float) -> float:
    """ArduPilot's loiter direction: stored as one bit, read back as -1 or 1."""
    return -1.0 if v < 0 else 1.0


# --- ArduPilot ------------------------------------------------------------------------------------

#: AP_Mission::stored_in_location: commands whose x / y / z are a stored Location
_AP_LOCATION = frozenset(
    {16, 17, 18, 19, 21, 22, 30, 31, 82, 84, 85, 92, 94, 179, 188, 189, 191, 201}
)

_P = Callable[[Params], Params]


def _ap_loiter_turns(p: Params) -> Params:
    turns = u8(min(255.0, u16(p[0])))
    radius = abs(f32(p[2]))
    stored = u8(radius) if radius <= 255 else u8(min(255.0, radius * 0.1)) * 10
    return (turns, 0.0, -stored if p[2] < 0 else stored, _flag(p[3]))


def _ap_land(p: Params) -> Params:
    return (u16(p[0]), 0.0, 0.0, -1.0 if (not math.isnan(p[3]) and p[3] < 0) else 1.0)


#: command -> the params (1-4) ArduPilot reads back, from the params sent
_AP_PARAMS: dict[int, _P] = {
    16: lambda p: (u16(p[0]), 0.0, 0.0, 0.0),  # NAV_WAYPOINT: hold time (copter)
    17: lambda p: (0.0, 0.0, _ccw(p[2]) * u16(abs(f32(p[2]))), 0.0),  # NAV_LOITER_UNLIM
    18: _ap_loiter_turns,  # NAV_LOITER_TURNS
    19: lambda p: (u16(p[0]), 0.0, _ccw(p[2]), _flag(p[3])),  # NAV_LOITER_TIME
    20: lambda p: (0.0, 0.0, 0.0, 0.0),  # NAV_RETURN_TO_LAUNCH
    21: _ap_land,  # NAV_LAND
    22: lambda p: (u16(p[0]), 0.0, 0.0, 0.0),  # NAV_TAKEOFF: minimum pitch (plane)
    82: lambda p: (u16(p[0]), 0.0, 0.0, 0.0),  # NAV_SPLINE_WAYPOINT: hold time
    112: lambda p: (f32(p[0]), 0.0, 0.0, 0.0),  # CONDITION_DELAY
    114: lambda p: (f32(p[0]), 0.0, 0.0, 0.0),  # CONDITION_DISTANCE
    115: lambda p: (f32(p[0]), f32(p[1]), i8(p[2]), u8(p[3])),  # CONDITION_YAW
    177: lambda p: (u16(p[0]), i16(p[1]), 0.0, 0.0),  # DO_JUMP
    178: lambda p: (u8(p[0]), f32(p[1]), f32(p[2]), 0.0),  # DO_CHANGE_SPEED
    179: lambda p: (u16(p[0]), 0.0, 0.0, 0.0),  # DO_SET_HOME
    181: lambda p: (u8(p[0]), u8(p[1]), 0.0, 0.0),  # DO_SET_RELAY
    183: lambda p: (u8(p[0]), u16(p[1]), 0.0, 0.0),  # DO_SET_SERVO
    189: lambda p: (0.0, 0.0, 0.0, 0.0),  # DO_LAND_START
    201: lambda p: (u16(p[0]), 0.0, 0.0, 0.0),  # DO_SET_ROI
    206: lambda p: (f32(p[0]), 0.0, u8(p[2]), 0.0),  # DO_SET_CAM_TRIGG_DIST
}


def _ap_plane_waypoint(p: Params) -> Params:
    # acceptance and pass-by radii, one byte each of p1 (AP_Mission.cpp, APM_BUILD_ArduPlane)
    return (0.0, min(255.0, u16(p[1])), min(255.0, u16(p[2])), 0.0)


def _ap_z(z: float) -> float:
    """A Location altitude: centimetres in an int32 (truncated), read back times 0.01f."""
    cm = math.trunc(f32(f32(z) * f32(100.0)))
    return f32(cm * f32(0.01))


def _ardupilot(item: MissionItem, plane: bool) -> MissionItem:
    p: Params = (item.param1, item.param2, item.param3, item.param4)
    if item.mission_type == mavlink.MAV_MISSION_TYPE_FENCE:
        first = (
            u8(p[0])  # AC_PolyFenceItem.vertex_count
            if item.command in (5001, 5002)
            else f32(p[0])
            if item.command in (5003, 5004)  # circle radius
            else 0.0
        )
        return replace(item, frame=0, autocontinue=0, z=0.0, param1=first, param2=0.0,
                       param3=0.0, param4=0.0)  # fmt: skip
    if item.mission_type == mavlink.MAV_MISSION_TYPE_RALLY:
        return replace(item, frame=3, autocontinue=0, z=i16(item.z), param1=0.0, param2=0.0,
                       param3=0.0, param4=0.0)  # fmt: skip
    if item.seq == 0:
        # slot 0 holds the vehicle's own home (AP_Mission::read_cmd_from_storage)
        return replace(item, frame=0, command=16, autocontinue=1, param1=0.0, param2=0.0,
                       param3=0.0, param4=0.0)  # fmt: skip
    rule = _ap_plane_waypoint if plane and item.command == 16 else _AP_PARAMS.get(item.command)
    kept = rule(p) if rule is not None else _f32s(p)
    if item.command in _AP_LOCATION:
        frame = {
            mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: 3,
            mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT: 3,
            mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: 10,
            mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT: 10,
        }.get(item.frame, 0)
        x, y, z = item.x, item.y, _ap_z(item.z)
    else:
        frame, x, y, z = 0, 0, 0, 0.0
    return replace(item, frame=frame, autocontinue=1, x=x, y=y, z=z, param1=kept[0],
                   param2=kept[1], param3=kept[2], param4=kept[3])  # fmt: skip


# --- PX4 ------------------------------------------------------------------------------------------


def _yaw(deg: float) -> float:
    """PX4 keeps yaw as wrap_2pi(radians(deg)) and sends degrees back: 0 <= yaw < 360."""
    if math.isnan(deg):
        return deg
    return math.degrees(math.radians(deg) % (2 * math.pi))


#: command -> params PX4 reads back for an item in a global frame
_PX4_POSITIONAL: dict[int, _P] = {
    16: lambda p: (f32(p[0]), f32(p[1]), 0.0, _yaw(p[3])),  # time_inside, acceptance, yaw
    17: lambda p: (0.0, 0.0, f32(p[2]), _yaw(p[3])),
    19: lambda p: (f32(p[0]), _flag(p[1]), f32(p[2]), _flag(p[3])),
    21: lambda p: (0.0, f32(p[1]), 0.0, _yaw(p[3])),  # land precision, yaw
    22: lambda p: (0.0, 0.0, 0.0, _yaw(p[3])),
    31: lambda p: (_flag(p[0]), f32(p[1]), 0.0, _flag(p[3])),
    5000: lambda p: (0.0, 0.0, 0.0, 0.0),  # fence return point
    5001: lambda p: (float(math.floor(f32(p[0]) + 0.5)), 0.0, 0.0, 0.0),  # vertex count
    5002: lambda p: (float(math.floor(f32(p[0]) + 0.5)), 0.0, 0.0, 0.0),
    5003: lambda p: (f32(p[0]), 0.0, 0.0, 0.0),  # circle radius
    5004: lambda p: (f32(p[0]), 0.0, 0.0, 0.0),
    5100: lambda p: (0.0, 0.0, 0.0, 0.0),  # rally point
}

_GLOBAL_FRAMES = frozenset({0, 3, 5, 6})


def _px4(item: MissionItem) -> MissionItem:
    p: Params = (item.param1, item.param2, item.param3, item.param4)
    if item.frame in _GLOBAL_FRAMES and item.command in _PX4_POSITIONAL:
        kept = _PX4_POSITIONAL[item.command](p)
        relative = item.frame in (3, 6)
        return replace(item, frame=6 if relative else 5, z=f32(item.z), param1=kept[0],
                       param2=kept[1], param3=kept[2], param4=kept[3])  # fmt: skip
    # frame MISSION: params[0..6] kept as sent (DO_JUMP's index and count as integers)
    kept = _f32s(p)
    if item.command == 177:
        kept = (float(math.trunc(kept[0])), float(math.trunc(kept[1])), kept[2], kept[3])
    return replace(item, z=f32(item.z), param1=kept[0], param2=kept[1], param3=kept[2],
                   param4=kept[3])  # fmt: skip


# --- public ---------------------------------------------------------------------------------------


def as_stored(item: MissionItem, autopilot: Autopilot) -> MissionItem:
    """``item`` as ``autopilot`` will read it back after storing it (``current`` not modelled)."""
    if autopilot is Autopilot.ARDUPILOT:
        return _ardupilot(item, plane=False)
    if autopilot is Autopilot.ARDUPLANE:
        return _ardupilot(item, plane=True)
    if autopilot is Autopilot.PX4:
        return _px4(item)
    return item


def holds_own_home(item: MissionItem, autopilot: Autopilot) -> bool:
    """ArduPilot's mission slot 0 reads back the vehicle's home, not what was uploaded there."""
    return (
        autopilot in (Autopilot.ARDUPILOT, Autopilot.ARDUPLANE)
        and item.mission_type == mavlink.MAV_MISSION_TYPE_MISSION
        and item.seq == 0
    )


def _float_eq(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-4)


def _diff(want: MissionItem, got: MissionItem, position: bool, float_xy: bool) -> list[str]:
    out = [
        f"{name} {getattr(want, name)} != {getattr(got, name)}"
        for name in ("seq", "command", "frame", "autocontinue", "mission_type")
        if getattr(want, name) != getattr(got, name)
    ]
    names = ["param1", "param2", "param3", "param4"] + (["z"] if position else [])
    out += [
        f"{name} {getattr(want, name)!r} != {getattr(got, name)!r}"
        for name in names
        if not _float_eq(getattr(want, name), getattr(got, name))
    ]
    if position:
        for name in ("x", "y"):
            a, b = getattr(want, name), getattr(got, name)
            # float MISSION_ITEMs carry degrees as float32: 7 significant digits
            close = abs(a - b) <= abs(a) * 1.2e-7 + 1 if float_xy else a == b
            if not close:
                out.append(f"{name} {a} != {b}")
    return out


def differences(
    sent: MissionItem, got: MissionItem, autopilot: Autopilot, *, float_xy: bool = False
) -> list[str]:
    """How ``got`` (read back) differs from what ``autopilot`` means to store for ``sent``.

    Empty when the vehicle holds the item: in the autopilot's stored form, or exactly as sent
    (a vehicle that keeps everything holds it too). ``float_xy``: positions went through
    float MISSION_ITEMs.
    """
    position = not holds_own_home(sent, autopilot)
    stored = _diff(as_stored(sent, autopilot), got, position, float_xy)
    if not stored or autopilot is Autopilot.EXACT:
        return stored
    verbatim = _diff(sent, got, position, float_xy)
    return [] if not verbatim else stored
