"""MAV_CMD handling for COMMAND_LONG and COMMAND_INT: one small handler per command.

`Command` normalises both messages (COMMAND_INT's degE7 x/y become degrees); `execute` runs the
handler and returns the MAV_RESULT for the COMMAND_ACK. A handler that refuses sends a STATUSTEXT
saying why and returns DENIED (a precondition) or FAILED / UNSUPPORTED.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import MavMessage
from simulator.modes import LAND, MODE_NAMES, RTL

if TYPE_CHECKING:
    from simulator.camera import Camera, Photo
    from simulator.params import ParamStore
    from simulator.streams import StreamScheduler

M = mavlink2
ACCEPTED, DENIED, FAILED = M.MAV_RESULT_ACCEPTED, M.MAV_RESULT_DENIED, M.MAV_RESULT_FAILED
UNSUPPORTED, IN_PROGRESS = M.MAV_RESULT_UNSUPPORTED, M.MAV_RESULT_IN_PROGRESS
FORCE_MAGIC = 21196


@dataclass(frozen=True, slots=True)
class Command:
    command: int
    p1: float
    p2: float
    p3: float
    p4: float
    x: float  # param5 / latitude in degrees
    y: float  # param6 / longitude in degrees
    z: float  # param7 / altitude
    frame: int | None  # None for COMMAND_LONG
    source: tuple[int, int]

    @classmethod
    def from_message(cls, msg: MavMessage) -> Command:
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        if msg.get_type() == "COMMAND_INT":
            global_frame = msg.frame in (0, 3, 5, 6, 10, 11)
            scale = 1e7 if global_frame else 1.0
            return cls(
                msg.command,
                msg.param1,
                msg.param2,
                msg.param3,
                msg.param4,
                msg.x / scale,
                msg.y / scale,
                msg.z,
                msg.frame,
                src,
            )
        return cls(
            msg.command,
            msg.param1,
            msg.param2,
            msg.param3,
            msg.param4,
            msg.param5,
            msg.param6,
            msg.param7,
            None,
            src,
        )


class CommandTarget(Protocol):
    """What the command handlers act on (the simulator's ``Autopilot`` is one): the vehicle's
    actions, each returning why it refused (None: done), and the parts commands configure."""

    @property
    def mav(self) -> Any: ...  # pymavlink's MAVLink (untyped): the `*_encode` factory
    @property
    def armed(self) -> bool: ...
    @property
    def home(self) -> tuple[float, float, float]: ...
    @property
    def params(self) -> ParamStore: ...
    @property
    def streams(self) -> StreamScheduler: ...
    @property
    def camera(self) -> Camera: ...

    def send(self, msg: MavMessage) -> None: ...
    def statustext(self, text: str, severity: int = ...) -> None: ...
    def can_send(self, msg_id: int) -> bool: ...
    def arm(self, force: bool = False) -> str | None: ...
    def disarm(self, force: bool = False) -> str | None: ...
    def set_mode(self, number: int, forced: bool = False) -> str | None: ...
    def guided_takeoff(self, alt_rel_m: float) -> str | None: ...
    def goto(
        self,
        lat: float,
        lon: float,
        alt_rel_m: float | None,
        speed_m_s: float | None,
        change_mode: bool = True,
    ) -> str | None: ...
    def set_speed(self, speed_m_s: float) -> None: ...
    def set_home(self, location: tuple[float, float, float] | None, lock: bool = True) -> None: ...
    def start_mission(self, first: int | None) -> str | None: ...
    def set_mission_current(self, seq: int) -> str | None: ...
    def pause(self) -> str | None: ...
    def resume(self) -> str | None: ...
    def start_calibration(self, c: Command) -> None: ...
    def actuate(self, name: str, value: str) -> None: ...
    def take_photo(self) -> Photo: ...


Handler = Callable[[CommandTarget, Command], int]


def _refuse(ap: CommandTarget, why: str | None, result: int = DENIED) -> int:
    if why is None:
        return int(ACCEPTED)
    ap.statustext(why, M.MAV_SEVERITY_WARNING)
    return int(result)


def arm_disarm(ap: CommandTarget, c: Command) -> int:
    force = round(c.p2) == FORCE_MAGIC
    if c.p1 == 1:
        return _refuse(ap, ap.arm(force))
    if c.p1 == 0:
        return _refuse(ap, ap.disarm(force))
    return _refuse(ap, f"Arm: param1 must be 0 or 1, got {c.p1:g}", FAILED)


def set_mode(ap: CommandTarget, c: Command) -> int:
    if not int(c.p1) & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
        return _refuse(ap, "Mode change needs MAV_MODE_FLAG_CUSTOM_MODE_ENABLED", UNSUPPORTED)
    number = int(c.p2)
    if number not in MODE_NAMES:
        return _refuse(ap, f"Mode {number} not supported", FAILED)
    return _refuse(ap, ap.set_mode(number))


def takeoff(ap: CommandTarget, c: Command) -> int:
    return _refuse(ap, ap.guided_takeoff(c.z))


def land(ap: CommandTarget, c: Command) -> int:
    return _refuse(ap, ap.set_mode(LAND))


def rtl(ap: CommandTarget, c: Command) -> int:
    return _refuse(ap, ap.set_mode(RTL))


def mission_start(ap: CommandTarget, c: Command) -> int:
    first = int(c.p1) if c.p1 > 0 else None
    return _refuse(ap, ap.start_mission(first))


def reposition(ap: CommandTarget, c: Command) -> int:
    if not (math.isfinite(c.x) and math.isfinite(c.y)) or not (
        -90 <= c.x <= 90 and -180 <= c.y <= 180
    ):
        return _refuse(ap, "Reposition: bad latitude/longitude", FAILED)
    alt_rel = c.z if math.isfinite(c.z) else None
    if alt_rel is not None and c.frame in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
        alt_rel = c.z - ap.home[2]
    speed = c.p1 if c.p1 > 0 else None
    to_guided = int(c.p2) & M.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE
    return _refuse(ap, ap.goto(c.x, c.y, alt_rel, speed, change_mode=bool(to_guided)))


def change_speed(ap: CommandTarget, c: Command) -> int:
    if not c.p2 > 0:
        return int(ACCEPTED)  # -1 / 0: no change, as ArduPilot
    if c.p2 > 30:
        return _refuse(ap, f"Speed {c.p2:g} m/s too high", FAILED)
    ap.set_speed(c.p2)
    return int(ACCEPTED)


def set_home(ap: CommandTarget, c: Command) -> int:
    if c.p1 == 1:
        ap.set_home(None)
        return int(ACCEPTED)
    if not (-90 <= c.x <= 90 and -180 <= c.y <= 180) or (c.x == 0 and c.y == 0):
        return _refuse(ap, "Set home: bad location", FAILED)
    ap.set_home((c.x, c.y, c.z))
    return int(ACCEPTED)


def pause_continue(ap: CommandTarget, c: Command) -> int:
    return _refuse(ap, ap.pause() if c.p1 == 0 else ap.resume())


def request_message(ap: CommandTarget, c: Command) -> int:
    return (
        int(ACCEPTED)
        if ap.can_send(int(c.p1))
        else _refuse(ap, f"Message {int(c.p1)} not available", UNSUPPORTED)
    )


def set_message_interval(ap: CommandTarget, c: Command) -> int:
    msg_id, interval_us = int(c.p1), c.p2
    if not ap.can_send(msg_id):
        return int(UNSUPPORTED)
    ap.streams.set_interval(msg_id, None if interval_us == 0 else interval_us / 1e6)
    return int(ACCEPTED)


def get_message_interval(ap: CommandTarget, c: Command) -> int:
    msg_id = int(c.p1)
    interval = ap.streams.interval(msg_id)
    ap.send(ap.mav.message_interval_encode(msg_id, round(interval * 1e6) if interval else -1))
    return int(ACCEPTED)


def set_mission_current(ap: CommandTarget, c: Command) -> int:
    return _refuse(ap, ap.set_mission_current(int(c.p1)), FAILED)


def camera_trigger_distance(ap: CommandTarget, c: Command) -> int:
    ap.camera.trigger_dist_m = max(0.0, c.p1)
    if c.p3 == 1:
        ap.take_photo()
    return int(ACCEPTED)


def digicam_control(ap: CommandTarget, c: Command) -> int:
    if c.x == 1:
        ap.take_photo()
    return int(ACCEPTED)


def fence_enable(ap: CommandTarget, c: Command) -> int:
    if c.p1 not in (0, 1):
        return _refuse(ap, "Fence enable: param1 must be 0 or 1", FAILED)
    ap.params.set("FENCE_ENABLE", c.p1)
    return int(ACCEPTED)


def gripper(ap: CommandTarget, c: Command) -> int:
    """DO_GRIPPER: param2 0 releases (a lifebuoy, a sampling bottle), 1 grabs."""
    if c.p2 not in (0, 1):
        return _refuse(ap, f"Gripper: action must be 0 (release) or 1 (grab), got {c.p2:g}", FAILED)
    ap.actuate(f"gripper{int(c.p1)}", "grab" if c.p2 == 1 else "release")
    return int(ACCEPTED)


def set_servo(ap: CommandTarget, c: Command) -> int:
    if not (1 <= c.p1 <= 32 and 800 <= c.p2 <= 2200):
        return _refuse(ap, f"Servo: channel 1..32 and PWM 800..2200, got {c.p1:g} {c.p2:g}", FAILED)
    ap.actuate(f"servo{int(c.p1)}", f"{int(c.p2)}")
    return int(ACCEPTED)


def set_relay(ap: CommandTarget, c: Command) -> int:
    if not (0 <= c.p1 <= 15 and c.p2 in (0, 1)):
        return _refuse(ap, f"Relay: number 0..15 and state 0/1, got {c.p1:g} {c.p2:g}", FAILED)
    ap.actuate(f"relay{int(c.p1)}", "on" if c.p2 == 1 else "off")
    return int(ACCEPTED)


def calibration(ap: CommandTarget, c: Command) -> int:
    if ap.armed:
        return _refuse(ap, "Calibration refused: armed")
    ap.start_calibration(c)
    return int(IN_PROGRESS)


HANDLERS: dict[int, Handler] = {
    M.MAV_CMD_COMPONENT_ARM_DISARM: arm_disarm,
    M.MAV_CMD_DO_SET_MODE: set_mode,
    M.MAV_CMD_NAV_TAKEOFF: takeoff,
    M.MAV_CMD_NAV_LAND: land,
    M.MAV_CMD_NAV_RETURN_TO_LAUNCH: rtl,
    M.MAV_CMD_MISSION_START: mission_start,
    M.MAV_CMD_DO_REPOSITION: reposition,
    M.MAV_CMD_DO_CHANGE_SPEED: change_speed,
    M.MAV_CMD_DO_SET_HOME: set_home,
    M.MAV_CMD_DO_PAUSE_CONTINUE: pause_continue,
    M.MAV_CMD_REQUEST_MESSAGE: request_message,
    M.MAV_CMD_SET_MESSAGE_INTERVAL: set_message_interval,
    M.MAV_CMD_GET_MESSAGE_INTERVAL: get_message_interval,
    M.MAV_CMD_DO_SET_MISSION_CURRENT: set_mission_current,
    M.MAV_CMD_DO_SET_CAM_TRIGG_DIST: camera_trigger_distance,
    M.MAV_CMD_DO_DIGICAM_CONTROL: digicam_control,
    M.MAV_CMD_DO_FENCE_ENABLE: fence_enable,
    M.MAV_CMD_DO_GRIPPER: gripper,
    M.MAV_CMD_DO_SET_SERVO: set_servo,
    M.MAV_CMD_DO_SET_RELAY: set_relay,
    M.MAV_CMD_PREFLIGHT_CALIBRATION: calibration,
}

# Commands answered by sending a message after the ACK: command -> message id (or param1).
MESSAGE_REQUESTS: dict[int, int | None] = {
    M.MAV_CMD_REQUEST_MESSAGE: None,
    M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: M.MAVLINK_MSG_ID_AUTOPILOT_VERSION,
    M.MAV_CMD_GET_HOME_POSITION: M.MAVLINK_MSG_ID_HOME_POSITION,
}


def execute(ap: CommandTarget, c: Command) -> int:
    """Run command `c`; the MAV_RESULT to acknowledge it with."""
    if c.command in MESSAGE_REQUESTS and c.command != M.MAV_CMD_REQUEST_MESSAGE:
        return int(ACCEPTED)
    handler = HANDLERS.get(c.command)
    if handler is None:
        return int(UNSUPPORTED)
    try:
        return handler(ap, c)
    except (ValueError, OverflowError):  # NaN or huge where a number of some kind was needed
        return _refuse(ap, f"Command {c.command}: invalid parameter")
