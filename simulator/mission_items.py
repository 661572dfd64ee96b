"""Mission items as stored on the vehicle, and the checks an uploaded item must pass.

A `MissionItem` mirrors MISSION_ITEM_INT (x/y as int degE7 for global frames). Items that arrive
as legacy MISSION_ITEM (float degrees) are converted; downloads convert back on request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import MavMessage

MISSION, FENCE, RALLY = (
    mavlink2.MAV_MISSION_TYPE_MISSION,
    mavlink2.MAV_MISSION_TYPE_FENCE,
    mavlink2.MAV_MISSION_TYPE_RALLY,
)
TYPE_NAMES = {MISSION: "mission", FENCE: "fence", RALLY: "rally"}

GLOBAL_FRAMES = frozenset(
    {
        mavlink2.MAV_FRAME_GLOBAL,
        mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        mavlink2.MAV_FRAME_GLOBAL_INT,
        mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        mavlink2.MAV_FRAME_GLOBAL_TERRAIN_ALT,
        mavlink2.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
    }
)
MSL_FRAMES = frozenset({mavlink2.MAV_FRAME_GLOBAL, mavlink2.MAV_FRAME_GLOBAL_INT})
XY_NOT_POSITION = frozenset(
    {
        mavlink2.MAV_CMD_DO_DIGICAM_CONTROL,
        mavlink2.MAV_CMD_DO_DIGICAM_CONFIGURE,
        mavlink2.MAV_CMD_NAV_ATTITUDE_TIME,
        mavlink2.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
    }
)
"""Commands whose x and y are not a position (ArduPilot passes them through as integers)."""


@dataclass(frozen=True, slots=True)
class MissionItem:
    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float
    mission_type: int = MISSION

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7

    @property
    def has_position(self) -> bool:
        return (
            self.frame in GLOBAL_FRAMES
            and (self.x != 0 or self.y != 0)
            and self.command not in XY_NOT_POSITION
        )

    @classmethod
    def from_message(cls, msg: MavMessage) -> MissionItem:
        """Build from MISSION_ITEM_INT or (legacy, float degrees) MISSION_ITEM."""
        if msg.get_type() == "MISSION_ITEM_INT":
            x, y = int(msg.x), int(msg.y)
        else:
            if msg.frame in GLOBAL_FRAMES:
                x, y = _deg_to_e7(msg.x), _deg_to_e7(msg.y)
            else:
                x, y = _clamp_int(msg.x), _clamp_int(msg.y)
        return cls(
            seq=msg.seq,
            frame=msg.frame,
            command=msg.command,
            current=msg.current,
            autocontinue=msg.autocontinue,
            param1=msg.param1,
            param2=msg.param2,
            param3=msg.param3,
            param4=msg.param4,
            x=x,
            y=y,
            z=msg.z,
            mission_type=getattr(msg, "mission_type", MISSION),
        )

    def to_int_message(self, mav: object, target: tuple[int, int]) -> MavMessage:
        return mav.mission_item_int_encode(  # type: ignore[attr-defined]
            target[0],
            target[1],
            self.seq,
            self.frame,
            self.command,
            self.current,
            self.autocontinue,
            self.param1,
            self.param2,
            self.param3,
            self.param4,
            self.x,
            self.y,
            self.z,
            self.mission_type,
        )

    def to_legacy_message(self, mav: object, target: tuple[int, int]) -> MavMessage:
        scale = 1e7 if self.frame in GLOBAL_FRAMES else 1.0
        return mav.mission_item_encode(  # type: ignore[attr-defined]
            target[0],
            target[1],
            self.seq,
            self.frame,
            self.command,
            self.current,
            self.autocontinue,
            self.param1,
            self.param2,
            self.param3,
            self.param4,
            self.x / scale,
            self.y / scale,
            self.z,
            self.mission_type,
        )


def _deg_to_e7(value: float) -> int:
    if not math.isfinite(value):
        return 2**31 - 1
    return _clamp_int(value * 1e7)


def _clamp_int(value: float) -> int:
    if not math.isfinite(value):
        return 2**31 - 1
    return max(-(2**31), min(2**31 - 1, round(value)))
