"""What ArduCopter keeps of an uploaded item, and how much it can hold.

ArduPilot does not store MISSION_ITEM_INT messages: AP_Mission packs each command into 15 bytes
(`mavlink_int_to_mission_cmd`) and rebuilds a message on download (`mission_cmd_to_mavlink_int`),
so a download returns only what the command kept, in the types it kept it in. The rules below
are taken from ArduPilot's `libraries/AP_Mission/AP_Mission.cpp` (upstream 4.7), fence items
from `libraries/GCS_MAVLink/MissionItemProtocol_Fence.cpp` and `AC_Fence/AC_PolyFence_loader.cpp`,
rally points from `MissionItemProtocol_Rally.cpp`, and checked against ArduCopter SITL 90700977:

- navigation commands (those AP_Mission keeps in a Location) read back in frame 0 (absolute),
  3 (relative to home) or 10 (above terrain) whatever variant was sent; other commands frame 0;
- NAV_WAYPOINT keeps only param1 (hold time, whole seconds): acceptance radius, pass radius and
  yaw are dropped; the altitude is kept in whole centimetres;
- mission items always read back with autocontinue 1, fence and rally items with 0;
- commands AP_Mission does not know are refused with MAV_MISSION_UNSUPPORTED.

Capacities come from the storage each kind gets (StorageManager's copter layout in a 16 KiB
HAL storage, as the SITL build has): mission 9758 bytes at 15 a command after a 4-byte header
(650 commands, home included), fence 560 bytes (70 items; a polygon costs 2 + 8 per vertex, so
69 vertices fit), rally 690 bytes at 15 a point (46).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.mission_items import XY_NOT_POSITION, MissionItem

M = mavlink2
ACCEPTED = int(M.MAV_MISSION_ACCEPTED)
LOCATION_ALT_MAX_M = 83000.0  # AP_Common/Location.h: |alt| must fit the int32 cm field


@dataclass(frozen=True, slots=True)
class StorageLimits:
    """Bytes of storage each kind of item gets (ArduCopter SITL's layout by default)."""

    mission_bytes: int = 9758
    fence_bytes: int = 560
    rally_bytes: int = 690

    @property
    def mission_items(self) -> int:
        """AP_Mission::num_commands_max: 15 bytes a command after a 4-byte version header."""
        return max(0, (self.mission_bytes - 4) // 15)

    @property
    def fence_items(self) -> int:
        """AC_PolyFence_loader::max_items: a count check only; the real limit is the bytes."""
        return min(255, self.fence_bytes // 8)

    @property
    def rally_items(self) -> int:
        """AP_Rally::get_rally_max: a RallyLocation is 15 bytes."""
        return min(255, self.rally_bytes // 15)


# ---------------------------------------------------------------------------- C conversions
def f32(value: float) -> float:
    """`value` stored in a C float."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _int(value: float, bits: int, signed: bool) -> int:
    """A float assigned to a C integer field: truncated toward zero, then wrapped (x86)."""
    if not math.isfinite(value):
        return 0
    n = int(value) % (1 << bits)
    if signed and n >= 1 << (bits - 1):
        n -= 1 << bits
    return n


def u8(v: float) -> int:
    return _int(v, 8, False)


def i8(v: float) -> int:
    return _int(v, 8, True)


def u16(v: float) -> int:
    return _int(v, 16, False)


def i16(v: float) -> int:
    return _int(v, 16, True)


# ---------------------------------------------------------------------------- mission
Params = tuple[float, float, float, float]
_Store = Callable[[MissionItem], "tuple[Params, int, int, float]"]
"""Maps an uploaded item to the (param1..4, x, y, z) a download returns (location aside)."""


def _p(p1: float = 0.0, p2: float = 0.0, p3: float = 0.0, p4: float = 0.0) -> Params:
    return (float(p1), float(p2), float(p3), float(p4))


def _none(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(), 0, 0, 0.0


def _p1_u16(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u16(i.param1)), 0, 0, 0.0


def _loiter_unlim(i: MissionItem) -> tuple[Params, int, int, float]:
    radius = u16(abs(i.param3))
    return _p(p3=-radius if i.param3 < 0 else radius), 0, 0, 0.0


def _loiter_turns(i: MissionItem) -> tuple[Params, int, int, float]:
    turns = u16(min(255.0, i.param1)) & 0xFF
    r = abs(i.param3)
    radius = float(u8(r)) if r <= 255 else float(u8(min(255.0, r * 0.1))) * 10
    return _p(turns, 0, -radius if i.param3 < 0 else radius, 1 if i.param4 > 0 else 0), 0, 0, 0.0


def _loiter_time(i: MissionItem) -> tuple[Params, int, int, float]:
    ccw, xtrack = i.param3 < 0, i.param4 > 0
    return _p(u16(i.param1), 0, -1 if ccw else 1, 1 if xtrack else 0), 0, 0, 0.0


def _land(i: MissionItem) -> tuple[Params, int, int, float]:
    ccw = not math.isnan(i.param4) and i.param4 < 0
    return _p(u16(i.param1), 0, 0, -1 if ccw else 1), 0, 0, 0.0


def _loiter_to_alt(i: MissionItem) -> tuple[Params, int, int, float]:
    radius = u16(abs(i.param2))
    return _p(0, -radius if i.param2 < 0 else radius, 0, 1 if i.param4 > 0 else 0), 0, 0, 0.0


def _nav_delay(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(f32(i.param1), i8(i.param2), i8(i.param3), i8(i.param4)), 0, 0, 0.0


def _float1(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(f32(i.param1)), 0, 0, 0.0


def _condition_yaw(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(f32(i.param1), f32(i.param2), i8(i.param3), u8(i.param4)), 0, 0, 0.0


def _jump(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u16(i.param1), i16(i.param2)), 0, 0, 0.0


def _speed(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), f32(i.param2), f32(i.param3)), 0, 0, 0.0


def _u8_u8(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), u8(i.param2)), 0, 0, 0.0


def _repeat_relay(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), i16(i.param2), f32(i.param3)), 0, 0, 0.0


def _servo(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), u16(i.param2)), 0, 0, 0.0


def _repeat_servo(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), u16(i.param2), i16(i.param3), f32(i.param4)), 0, 0, 0.0


def _digicam_configure(i: MissionItem) -> tuple[Params, int, int, float]:
    params = _p(u8(i.param1), u16(i.param2), u8(i.param3), u16(i.param4))
    return params, u8(i.x), u8(i.y), f32(i.z)


def _digicam_control(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), u8(i.param2), i8(i.param3), u8(i.param4)), u8(i.x), u8(i.y), 0.0


def _mount_control(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(f32(i.param1), f32(i.param2), f32(i.param3)), 0, 0, 0.0


def _cam_trigg_dist(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(f32(i.param1), 0, u8(i.param3)), 0, 0, 0.0


def _guided_limits(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u16(i.param1), f32(i.param2), f32(i.param3), f32(i.param4)), 0, 0, 0.0


def _altitude_wait(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(f32(i.param1), f32(i.param2), u8(i.param3)), 0, 0, 0.0


def _aux_function(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u16(i.param1), u8(i.param2)), 0, 0, 0.0


def _image_start(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1), f32(i.param2), u16(i.param3), u16(i.param4)), 0, 0, 0.0


def _u8_p1(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u8(i.param1)), 0, 0, 0.0


def _script_message(i: MissionItem) -> tuple[Params, int, int, float]:
    return _p(u16(i.param1), f32(i.param2), f32(i.param3), f32(i.param4)), 0, 0, 0.0


MISSION_COMMANDS: dict[int, _Store] = {
    M.MAV_CMD_NAV_WAYPOINT: _p1_u16,  # copter: hold time only (plane packs radii instead)
    M.MAV_CMD_NAV_LOITER_UNLIM: _loiter_unlim,
    M.MAV_CMD_NAV_LOITER_TURNS: _loiter_turns,
    M.MAV_CMD_NAV_LOITER_TIME: _loiter_time,
    M.MAV_CMD_NAV_RETURN_TO_LAUNCH: _none,
    M.MAV_CMD_NAV_LAND: _land,
    M.MAV_CMD_NAV_TAKEOFF: _p1_u16,
    M.MAV_CMD_NAV_CONTINUE_AND_CHANGE_ALT: _p1_u16,
    M.MAV_CMD_NAV_LOITER_TO_ALT: _loiter_to_alt,
    M.MAV_CMD_NAV_SPLINE_WAYPOINT: _p1_u16,
    M.MAV_CMD_NAV_GUIDED_ENABLE: _p1_u16,
    M.MAV_CMD_NAV_DELAY: _nav_delay,
    M.MAV_CMD_NAV_ALTITUDE_WAIT: _altitude_wait,
    M.MAV_CMD_NAV_PAYLOAD_PLACE: lambda i: (_p(u16(i.param1 * 100) / 100.0), 0, 0, 0.0),
    M.MAV_CMD_CONDITION_DELAY: _float1,
    M.MAV_CMD_CONDITION_DISTANCE: _float1,
    M.MAV_CMD_CONDITION_YAW: _condition_yaw,
    M.MAV_CMD_DO_JUMP: _jump,
    M.MAV_CMD_DO_CHANGE_SPEED: _speed,
    M.MAV_CMD_DO_SET_HOME: _p1_u16,
    M.MAV_CMD_DO_SET_RELAY: _u8_u8,
    M.MAV_CMD_DO_REPEAT_RELAY: _repeat_relay,
    M.MAV_CMD_DO_SET_SERVO: _servo,
    M.MAV_CMD_DO_REPEAT_SERVO: _repeat_servo,
    M.MAV_CMD_DO_LAND_START: _none,
    M.MAV_CMD_DO_GO_AROUND: _none,
    M.MAV_CMD_DO_SET_ROI: _p1_u16,
    M.MAV_CMD_DO_DIGICAM_CONFIGURE: _digicam_configure,
    M.MAV_CMD_DO_DIGICAM_CONTROL: _digicam_control,
    M.MAV_CMD_DO_MOUNT_CONTROL: _mount_control,
    M.MAV_CMD_DO_SET_CAM_TRIGG_DIST: _cam_trigg_dist,
    M.MAV_CMD_DO_FENCE_ENABLE: _p1_u16,
    M.MAV_CMD_DO_PARACHUTE: _p1_u16,
    M.MAV_CMD_DO_INVERTED_FLIGHT: _p1_u16,
    M.MAV_CMD_DO_GRIPPER: _u8_u8,
    M.MAV_CMD_DO_GUIDED_LIMITS: _guided_limits,
    M.MAV_CMD_DO_AUTOTUNE_ENABLE: _p1_u16,
    M.MAV_CMD_DO_AUX_FUNCTION: _aux_function,
    M.MAV_CMD_DO_SET_RESUME_REPEAT_DIST: _p1_u16,
    M.MAV_CMD_DO_SPRAYER: _p1_u16,
    M.MAV_CMD_DO_SEND_SCRIPT_MESSAGE: _script_message,
    M.MAV_CMD_DO_PAUSE_CONTINUE: _p1_u16,
    M.MAV_CMD_IMAGE_START_CAPTURE: _image_start,
    M.MAV_CMD_IMAGE_STOP_CAPTURE: _u8_p1,
    M.MAV_CMD_VIDEO_START_CAPTURE: _u8_p1,
    M.MAV_CMD_VIDEO_STOP_CAPTURE: _u8_p1,
}

LOCATION_COMMANDS = frozenset(
    {
        M.MAV_CMD_NAV_WAYPOINT,
        M.MAV_CMD_NAV_LOITER_UNLIM,
        M.MAV_CMD_NAV_LOITER_TURNS,
        M.MAV_CMD_NAV_LOITER_TIME,
        M.MAV_CMD_NAV_LAND,
        M.MAV_CMD_NAV_TAKEOFF,
        M.MAV_CMD_NAV_CONTINUE_AND_CHANGE_ALT,
        M.MAV_CMD_NAV_LOITER_TO_ALT,
        M.MAV_CMD_NAV_SPLINE_WAYPOINT,
        M.MAV_CMD_NAV_GUIDED_ENABLE,
        M.MAV_CMD_DO_SET_HOME,
        M.MAV_CMD_DO_LAND_START,
        M.MAV_CMD_DO_GO_AROUND,
        M.MAV_CMD_DO_SET_ROI,
        M.MAV_CMD_NAV_PAYLOAD_PLACE,
    }
)
"""AP_Mission::stored_in_location: these keep lat, lon, alt (cm) and the altitude frame."""

NAN_PARAM4_OK = frozenset({M.MAV_CMD_NAV_WAYPOINT, M.MAV_CMD_NAV_LAND, M.MAV_CMD_NAV_TAKEOFF})

ABSOLUTE, RELATIVE, TERRAIN = (
    int(M.MAV_FRAME_GLOBAL),
    int(M.MAV_FRAME_GLOBAL_RELATIVE_ALT),
    int(M.MAV_FRAME_GLOBAL_TERRAIN_ALT),
)
STORED_FRAME = {
    M.MAV_FRAME_MISSION: ABSOLUTE,
    M.MAV_FRAME_GLOBAL: ABSOLUTE,
    M.MAV_FRAME_GLOBAL_INT: ABSOLUTE,
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT: RELATIVE,
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: RELATIVE,
    M.MAV_FRAME_GLOBAL_TERRAIN_ALT: TERRAIN,
    M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: TERRAIN,
}
"""The frame a download reports for each frame a Location-keeping command may be sent in."""


def check_lat(x: int) -> bool:
    return -900_000_000 <= x <= 900_000_000


def check_lng(y: int) -> bool:
    return -1_800_000_000 <= y <= 1_800_000_000


def _check_params(item: MissionItem) -> int:
    """AP_Mission::sanity_check_params: no inf anywhere, NaN only where a command allows it."""
    nan_ok_p4 = item.command in NAN_PARAM4_OK
    for n, p in enumerate((item.param1, item.param2, item.param3, item.param4)):
        if math.isinf(p) or (math.isnan(p) and not (n == 3 and nan_ok_p4)):
            return int(M.MAV_MISSION_INVALID_PARAM1) + n
    return ACCEPTED


def store_mission_item(item: MissionItem) -> tuple[int, MissionItem | None]:
    """(MAV_MISSION_ACCEPTED, the item as a download returns it) or (the refusal, None)."""
    result = _check_params(item)
    if result != ACCEPTED:
        return result, None
    if item.command == 0:
        return int(M.MAV_MISSION_INVALID), None
    rule = MISSION_COMMANDS.get(item.command)
    if rule is None:
        return int(M.MAV_MISSION_UNSUPPORTED), None
    params, x, y, z = rule(item)
    frame = ABSOLUTE
    if item.command in LOCATION_COMMANDS:
        if not check_lat(item.x):
            return int(M.MAV_MISSION_INVALID_PARAM5_X), None
        if not check_lng(item.y):
            return int(M.MAV_MISSION_INVALID_PARAM6_Y), None
        if math.isnan(item.z) or abs(f32(item.z)) >= LOCATION_ALT_MAX_M:
            return int(M.MAV_MISSION_INVALID_PARAM7), None
        stored_frame = STORED_FRAME.get(item.frame)
        if stored_frame is None:
            return int(M.MAV_MISSION_UNSUPPORTED_FRAME), None
        frame, x, y, z = stored_frame, item.x, item.y, alt_cm_to_m(alt_m_to_cm(item.z))
    stored = replace(
        item,
        frame=frame,
        current=0,
        autocontinue=1,
        param1=params[0],
        param2=params[1],
        param3=params[2],
        param4=params[3],
        x=x,
        y=y,
        z=z,
    )
    return ACCEPTED, stored


def alt_m_to_cm(z: float) -> int:
    """`location.alt = packet.z * 100.0f`: float maths, truncated into an int32."""
    return int(f32(f32(z) * f32(100.0)))


def alt_cm_to_m(alt_cm: int) -> float:
    """`packet.z = location.alt * 0.01f`, as the float a download carries."""
    return f32(alt_cm * f32(0.01))


def legacy_to_int(frame: int, command: int, x: float, y: float) -> tuple[int, int, int]:
    """AP_Mission::convert_MISSION_ITEM_to_MISSION_ITEM_INT for x, y: (result, x, y).

    Degrees become degE7 through a float multiplication (`packet.x * 1.0e7f`), the precision a
    float MISSION_ITEM loses; the camera and gimbal commands pass x and y through."""
    if command in XY_NOT_POSITION:
        return ACCEPTED, _int(x, 32, True), _int(y, 32, True)
    if not (math.isfinite(x) and -90 <= x <= 90):
        return int(M.MAV_MISSION_INVALID_PARAM5_X), 0, 0
    if not (math.isfinite(y) and -180 <= y <= 180):
        return int(M.MAV_MISSION_INVALID_PARAM6_Y), 0, 0
    return ACCEPTED, int(f32(f32(x) * f32(1e7))), int(f32(f32(y) * f32(1e7)))


def int_to_legacy(command: int, x: int, y: int) -> tuple[float, float]:
    """AP_Mission::convert_MISSION_ITEM_INT_to_MISSION_ITEM for x, y (`x * 1.0e-7f`)."""
    if command in XY_NOT_POSITION:
        return float(x), float(y)
    return f32(f32(x) * f32(1e-7)), f32(f32(y) * f32(1e-7))


# ---------------------------------------------------------------------------- fence
FENCE_FRAMES = frozenset(
    {
        M.MAV_FRAME_GLOBAL,
        M.MAV_FRAME_GLOBAL_INT,
        M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        M.MAV_FRAME_GLOBAL_TERRAIN_ALT,
        M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
    }
)
POLYGONS = frozenset(
    {M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION}
)
CIRCLES = frozenset({M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION})
RETURN_POINT = int(M.MAV_CMD_NAV_FENCE_RETURN_POINT)


def store_fence_item(item: MissionItem) -> tuple[int, MissionItem | None]:
    """convert_MISSION_ITEM_INT_to_AC_PolyFenceItem, then get_item_as_mission_item."""
    if item.frame not in FENCE_FRAMES:
        return int(M.MAV_MISSION_UNSUPPORTED_FRAME), None
    if item.command in POLYGONS:
        p1 = float(u8(item.param1))  # AC_PolyFenceItem::vertex_count is a uint8_t
    elif item.command in CIRCLES:
        radius = f32(item.param1)
        # write_fence keeps a radius within 0.001 of a whole number as a uint32
        p1 = (
            float(int(radius)) if math.isfinite(radius) and radius - int(radius) < 0.001 else radius
        )
    elif item.command == RETURN_POINT:
        p1 = 0.0
    else:
        return int(M.MAV_MISSION_UNSUPPORTED), None
    stored = replace(
        item, frame=0, current=0, autocontinue=0, param1=p1, param2=0.0, param3=0.0,
        param4=0.0, z=0.0,
    )  # fmt: skip
    return ACCEPTED, stored


FENCE_TYPE = {
    M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION: 98,
    M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION: 97,
    M.MAV_CMD_NAV_FENCE_RETURN_POINT: 95,
    M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION: 93,
    M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION: 92,
}
"""AC_PolyFenceType numbers, which ArduPilot's fence messages print."""


def fence_problem(items: tuple[MissionItem, ...]) -> str | None:
    """Why AC_PolyFence_loader::validate_fence refuses `items` (its STATUSTEXT), or None."""
    expecting = 0
    kind = 99  # END_OF_STORAGE
    vertices = 0
    seen_return = False
    for it in items:
        if it.command in POLYGONS:
            count = int(it.param1)
            if count < 3:
                return f"Invalid vertex count ({count})"
            if expecting == 0:
                expecting, kind, vertices = count, FENCE_TYPE[it.command], count
            elif FENCE_TYPE[it.command] != kind:
                return f"Received incorrect vertex type (want={kind} got={FENCE_TYPE[it.command]})"
            elif count != vertices:
                return f"Unexpected vertex count want={vertices} got={count}"
            expecting -= 1
        elif expecting:
            return f"Received incorrect type (want={kind} got={FENCE_TYPE[it.command]})"
        elif it.command in CIRCLES and not it.param1 > 0:
            return "Non-positive circle radius"
        elif it.command == RETURN_POINT:
            if seen_return:
                return "Multiple return points"
            seen_return = True
        if not (check_lat(it.x) and check_lng(it.y)):
            return "Bad lat or lon"
    if expecting:
        return "Incorrect item count"
    return None


def fence_bytes_required(items: tuple[MissionItem, ...]) -> int:
    """AC_PolyFence_loader::fence_storage_space_required for a validated fence."""
    total, i = 4, 0  # a 4-byte format header
    while i < len(items):
        it = items[i]
        if it.command in POLYGONS:
            n = int(it.param1)
            total += 1 + 1 + 8 * n  # type, count, then lat/lon of each vertex
            i += n
            continue
        total += 1 + (12 if it.command in CIRCLES else 8)
        i += 1
    return total


# ---------------------------------------------------------------------------- rally
RALLY_FRAMES = {
    M.MAV_FRAME_GLOBAL: ABSOLUTE,
    M.MAV_FRAME_GLOBAL_INT: ABSOLUTE,
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT: RELATIVE,
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: RELATIVE,
    M.MAV_FRAME_GLOBAL_TERRAIN_ALT: TERRAIN,
    M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: TERRAIN,
}


def store_rally_item(item: MissionItem) -> tuple[int, MissionItem | None]:
    """convert_MISSION_ITEM_INT_to_RallyLocation: lat, lon, a whole-metre int16 altitude."""
    if item.command != M.MAV_CMD_NAV_RALLY_POINT:
        return int(M.MAV_MISSION_UNSUPPORTED), None
    frame = RALLY_FRAMES.get(item.frame)
    if frame is None:
        return int(M.MAV_MISSION_UNSUPPORTED_FRAME), None
    if not check_lat(item.x):
        return int(M.MAV_MISSION_INVALID_PARAM5_X), None
    if not check_lng(item.y):
        return int(M.MAV_MISSION_INVALID_PARAM6_Y), None
    if not (-32768 <= item.z <= 32767):  # NaN fails this too
        return int(M.MAV_MISSION_INVALID_PARAM7), None
    stored = replace(
        item, frame=frame, current=0, autocontinue=0, param1=0.0, param2=0.0, param3=0.0,
        param4=0.0, z=float(int(item.z)),
    )  # fmt: skip
    return ACCEPTED, stored
