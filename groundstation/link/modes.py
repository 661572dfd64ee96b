"""Flight modes by name, per autopilot: ArduCopter custom-mode numbers and PX4's main/sub modes.

The station speaks one vocabulary ("AUTO", "GUIDED", "LOITER", "RTL", "LAND", ...) and this module
maps it to what each autopilot puts in HEARTBEAT.custom_mode and MAV_CMD_DO_SET_MODE.

>>> mode_name(AUTOPILOT_ARDUPILOT, 3)
'AUTO'
>>> set_mode_params(AUTOPILOT_PX4, "AUTO")
(1.0, 4.0, 4.0)
>>> mode_name(AUTOPILOT_PX4, px4_custom_mode(4, 4))
'AUTO'
"""

from __future__ import annotations

from groundstation.errors import UnknownMode

AUTOPILOT_ARDUPILOT = 3  # MAV_AUTOPILOT_ARDUPILOTMEGA
AUTOPILOT_PX4 = 12  # MAV_AUTOPILOT_PX4

#: ArduCopter modes it will not arm in (AUTO only with AUTO_OPTIONS; UNKNOWN: not yet heard).
NOT_ARMABLE = frozenset(
    {"RTL", "SMART_RTL", "AUTO_RTL", "LAND", "AUTO", "BRAKE", "CIRCLE", "UNKNOWN"}
)

#: MAV_MODE_FLAG_CUSTOM_MODE_ENABLED: param1 of MAV_CMD_DO_SET_MODE.
CUSTOM_MODE_ENABLED = 1

#: ArduCopter ``custom_mode`` numbers (ArduCopter/mode.h).
ARDUCOPTER_MODES: dict[str, int] = {
    "STABILIZE": 0,
    "ACRO": 1,
    "ALT_HOLD": 2,
    "AUTO": 3,
    "GUIDED": 4,
    "LOITER": 5,
    "RTL": 6,
    "CIRCLE": 7,
    "LAND": 9,
    "DRIFT": 11,
    "SPORT": 13,
    "FLIP": 14,
    "AUTOTUNE": 15,
    "POSHOLD": 16,
    "BRAKE": 17,
    "THROW": 18,
    "AVOID_ADSB": 19,
    "GUIDED_NOGPS": 20,
    "SMART_RTL": 21,
    "FLOWHOLD": 22,
    "FOLLOW": 23,
    "ZIGZAG": 24,
    "SYSTEMID": 25,
    "AUTOROTATE": 26,
    "AUTO_RTL": 27,
}
_ARDUCOPTER_BY_NUMBER = {number: name for name, number in ARDUCOPTER_MODES.items()}

#: PX4 (main_mode, sub_mode) for each station mode name (px4_custom_mode.h).
PX4_MODES: dict[str, tuple[int, int]] = {
    "MANUAL": (1, 0),
    "ALT_HOLD": (2, 0),  # ALTCTL
    "POSHOLD": (3, 0),  # POSCTL
    "AUTO": (4, 4),  # AUTO.MISSION
    "ACRO": (5, 0),
    "OFFBOARD": (6, 0),
    "STABILIZE": (7, 0),
    "TAKEOFF": (4, 2),
    "LOITER": (4, 3),  # AUTO.LOITER (hold)
    "GUIDED": (4, 3),  # PX4 goes to a position from hold
    "RTL": (4, 5),
    "LAND": (4, 6),
    "FOLLOW": (4, 8),
}
_PX4_BY_PAIR: dict[tuple[int, int], str] = {}
for _name, _pair in PX4_MODES.items():
    _PX4_BY_PAIR.setdefault(_pair, _name)


def px4_custom_mode(main_mode: int, sub_mode: int) -> int:
    """PX4's HEARTBEAT.custom_mode: main mode in bits 16-23, sub mode in bits 24-31."""
    return (main_mode << 16) | (sub_mode << 24)


def autopilot_label(autopilot: int) -> str:
    """Human name of a MAV_AUTOPILOT value."""
    if autopilot == AUTOPILOT_PX4:
        return "PX4"
    if autopilot == AUTOPILOT_ARDUPILOT:
        return "ArduPilot"
    return f"autopilot {autopilot}"


def mode_name(autopilot: int, custom_mode: int) -> str:
    """Station name of a HEARTBEAT custom_mode; ``MODE_<n>`` when it has none."""
    if autopilot == AUTOPILOT_PX4:
        main = (custom_mode >> 16) & 0xFF
        sub = (custom_mode >> 24) & 0xFF
        name = _PX4_BY_PAIR.get((main, sub)) or _PX4_BY_PAIR.get((main, 0))
        return name if name is not None else f"MODE_{main}_{sub}"
    return _ARDUCOPTER_BY_NUMBER.get(custom_mode, f"MODE_{custom_mode}")


def known_modes(autopilot: int) -> list[str]:
    """Mode names the station can set on this autopilot."""
    return list(PX4_MODES if autopilot == AUTOPILOT_PX4 else ARDUCOPTER_MODES)


def set_mode_params(autopilot: int, name: str) -> tuple[float, float, float]:
    """param1..3 of MAV_CMD_DO_SET_MODE for mode ``name``; :class:`UnknownMode` if none."""
    key = name.strip().upper()
    if autopilot == AUTOPILOT_PX4:
        if key not in PX4_MODES:
            raise UnknownMode(name, autopilot_label(autopilot), known_modes(autopilot))
        main, sub = PX4_MODES[key]
        return (float(CUSTOM_MODE_ENABLED), float(main), float(sub))
    if key not in ARDUCOPTER_MODES:
        raise UnknownMode(name, autopilot_label(autopilot), known_modes(autopilot))
    return (float(CUSTOM_MODE_ENABLED), float(ARDUCOPTER_MODES[key]), 0.0)
