"""Parameters: an ArduCopter-like set with types and ranges, and the parameter protocol.

`ParamStore` holds the values; `handle_param_message` answers PARAM_REQUEST_LIST / _READ and
PARAM_SET with PARAM_VALUE messages built by the given encoder. Values are read by name wherever
they are used, so a change takes effect at once.

>>> store = ParamStore.defaults(sysid=2)
>>> store.get("SYSID_THISMAV")
2.0
>>> store.set("RTL_ALT", 3000.0)
3000.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import MavMessage

REAL32 = mavlink2.MAV_PARAM_TYPE_REAL32
INT8 = mavlink2.MAV_PARAM_TYPE_INT8
INT16 = mavlink2.MAV_PARAM_TYPE_INT16
INT32 = mavlink2.MAV_PARAM_TYPE_INT32


@dataclass(frozen=True, slots=True)
class ParamSpec:
    default: float
    ptype: int = REAL32
    low: float = -math.inf
    high: float = math.inf
    read_only: bool = False


def _specs(sysid: int) -> dict[str, ParamSpec]:
    return {
        "SYSID_THISMAV": ParamSpec(sysid, INT16, 1, 255, read_only=True),
        "SYSID_MYGCS": ParamSpec(255, INT16, 1, 255),
        "FRAME_CLASS": ParamSpec(1, INT8, 0, 15),
        "FRAME_TYPE": ParamSpec(1, INT8, 0, 20),
        "ARMING_CHECK": ParamSpec(1, INT32, 0, 1 << 20),
        "DISARM_DELAY": ParamSpec(10, INT8, 0, 127),
        "AUTO_OPTIONS": ParamSpec(3, INT32, 0, 255),
        "WPNAV_SPEED": ParamSpec(1000, REAL32, 20, 2000),
        "WPNAV_SPEED_UP": ParamSpec(250, REAL32, 10, 1000),
        "WPNAV_SPEED_DN": ParamSpec(150, REAL32, 10, 500),
        "WPNAV_ACCEL": ParamSpec(250, REAL32, 50, 500),
        "WPNAV_RADIUS": ParamSpec(200, REAL32, 5, 1000),
        "WP_YAW_BEHAVIOR": ParamSpec(2, INT8, 0, 3),
        "ATC_SLEW_YAW": ParamSpec(6000, REAL32, 500, 18000),
        "ANGLE_MAX": ParamSpec(3000, INT16, 1000, 8000),
        "PILOT_SPEED_UP": ParamSpec(250, INT16, 50, 500),
        "RTL_ALT": ParamSpec(1500, INT16, 200, 30000),
        "RTL_ALT_FINAL": ParamSpec(0, INT16, 0, 1000),
        "RTL_LOIT_TIME": ParamSpec(5000, INT32, 0, 60000),
        "RTL_SPEED": ParamSpec(0, INT16, 0, 2000),
        "LAND_SPEED": ParamSpec(50, INT16, 30, 200),
        "LAND_SPEED_HIGH": ParamSpec(0, INT16, 0, 2500),
        "LAND_ALT_LOW": ParamSpec(1000, INT16, 100, 10000),
        "FS_GCS_ENABLE": ParamSpec(0, INT8, 0, 7),
        "FS_GCS_TIMEOUT": ParamSpec(5, REAL32, 2, 120),
        "FS_EKF_ACTION": ParamSpec(1, INT8, 0, 3),
        "BATT_MONITOR": ParamSpec(4, INT8, 0, 30),
        "BATT_CAPACITY": ParamSpec(11870, INT32, 100, 100000),
        "BATT_LOW_MAH": ParamSpec(1780, REAL32, 0, 100000),  # 15 %
        "BATT_CRT_MAH": ParamSpec(950, REAL32, 0, 100000),  # 8 %
        "BATT_LOW_VOLT": ParamSpec(0, REAL32, 0, 60),
        "BATT_CRT_VOLT": ParamSpec(0, REAL32, 0, 60),
        "BATT_FS_LOW_ACT": ParamSpec(2, INT8, 0, 7),
        "BATT_FS_CRT_ACT": ParamSpec(1, INT8, 0, 7),
        "BATT_ARM_MAH": ParamSpec(0, INT32, 0, 100000),
        "BATT_ARM_VOLT": ParamSpec(0, REAL32, 0, 60),
        "FENCE_ENABLE": ParamSpec(0, INT8, 0, 1),
        "FENCE_TYPE": ParamSpec(7, INT8, 0, 15),
        "FENCE_ACTION": ParamSpec(1, INT8, 0, 7),
        "FENCE_ALT_MAX": ParamSpec(100, REAL32, 10, 1000),
        "FENCE_RADIUS": ParamSpec(300, REAL32, 30, 10000),
        "FENCE_MARGIN": ParamSpec(2, REAL32, 1, 10),
        "FENCE_TOTAL": ParamSpec(0, INT8, 0, 255, read_only=True),
        "RALLY_TOTAL": ParamSpec(0, INT8, 0, 255, read_only=True),
        "MIS_TOTAL": ParamSpec(0, INT16, 0, 32766, read_only=True),
        "MIS_RESTART": ParamSpec(0, INT8, 0, 1),
        "CAM_TRIGG_DIST": ParamSpec(0, REAL32, 0, 1000),
        "CAM_DURATION": ParamSpec(10, INT16, 0, 50),
        "GPS_TYPE": ParamSpec(1, INT8, 0, 30),
        "SIM_WIND_SPD": ParamSpec(3, REAL32, 0, 40),
        "SIM_WIND_DIR": ParamSpec(180, REAL32, 0, 360),
        "SIM_WIND_TURB": ParamSpec(1, REAL32, 0, 10),
        "SIM_GPS_DISABLE": ParamSpec(0, INT8, 0, 1),
        "SR0_POSITION": ParamSpec(2, INT16, 0, 50),
        "SR0_EXTRA1": ParamSpec(4, INT16, 0, 50),
        "SR0_EXT_STAT": ParamSpec(1, INT16, 0, 50),
        **{f"FLTMODE{i}": ParamSpec(m, INT8, 0, 30) for i, m in enumerate((0, 2, 5, 3, 6, 9), 1)},
    }


class ParamError(ValueError):
    """A parameter set that was refused (unknown name, read-only, out of range, not finite)."""


class ParamStore:
    """Named values in a fixed, ordered set."""

    def __init__(self, specs: dict[str, ParamSpec]) -> None:
        self._specs = specs
        self._names = list(specs)
        self._values = {name: float(spec.default) for name, spec in specs.items()}
        self.version = 0
        """Bumped on every change, so users can cache values derived from parameters."""

    @classmethod
    def defaults(cls, sysid: int) -> ParamStore:
        return cls(_specs(sysid))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def get(self, name: str) -> float:
        return self._values[name]

    def index(self, name: str) -> int:
        return self._names.index(name)

    def ptype(self, name: str) -> int:
        return self._specs[name].ptype

    def set(self, name: str, value: float) -> float:
        """Set a parameter and return the value stored (ints rounded); ParamError if refused."""
        spec = self._specs.get(name)
        if spec is None:
            raise ParamError(f"unknown parameter {name!r}")
        if spec.read_only:
            raise ParamError(f"parameter {name} is read-only")
        if not math.isfinite(value):
            raise ParamError(f"parameter {name}: {value} is not a finite number")
        if spec.ptype != REAL32:
            value = float(round(value))
        if not spec.low <= value <= spec.high:
            raise ParamError(f"parameter {name}: {value:g} outside {spec.low:g}..{spec.high:g}")
        self._values[name] = float(value)
        self.version += 1
        return float(value)

    def force(self, name: str, value: float) -> None:
        """Set a value the vehicle itself maintains (read-only to the GCS, e.g. MIS_TOTAL)."""
        self._values[name] = float(value)
        self.version += 1


def handle_param_message(
    store: ParamStore,
    msg: MavMessage,
    mav: Any,
    emit: Callable[[MavMessage], None],
    statustext: Callable[[str, int], None],
) -> bool:
    """Answer one parameter-protocol message; False if `msg` is not one."""
    kind = msg.get_type()
    if kind == "PARAM_REQUEST_LIST":
        for name in store.names:
            emit(_value(store, name, mav))
        return True
    if kind == "PARAM_REQUEST_READ":
        name = _name(msg.param_id)
        if msg.param_index >= 0:
            if msg.param_index >= len(store):
                statustext(f"Param index {msg.param_index} out of range", 4)
                return True
            name = store.names[msg.param_index]
        if name not in store:
            statustext(f"Unknown parameter {name}"[:50], 4)
            return True
        emit(_value(store, name, mav))
        return True
    if kind == "PARAM_SET":
        name = _name(msg.param_id)
        if name not in store:
            statustext(f"Unknown parameter {name}"[:50], 4)
            return True
        try:
            store.set(name, float(msg.param_value))
        except ParamError as exc:
            statustext(str(exc)[:50], 4)
        # the PARAM_VALUE echo carries the stored value: the old one when the set was refused
        emit(_value(store, name, mav))
        return True
    return False


def _name(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="replace")
    return raw.split("\x00", 1)[0]


def _value(store: ParamStore, name: str, mav: Any) -> MavMessage:
    return mav.param_value_encode(
        name.encode("ascii"), store.get(name), store.ptype(name), len(store), store.index(name)
    )
