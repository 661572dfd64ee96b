"""Builders for every message the vehicle can send on its own: one function per message id.

Each takes the autopilot and returns a pymavlink message; `BUILDERS` maps message ids to them,
and is what streams and REQUEST_MESSAGE draw from.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import MavMessage
from simulator.mission_items import MISSION
from simulator.modes import AUTO, LAND, NEEDS_POSITION
from simulator.vehicle_view import VehicleView

if TYPE_CHECKING:
    from simulator.failsafe import Failsafes
    from simulator.mission_exec import MissionRunner
    from simulator.vehicle import Setpoint

M = mavlink2


class TelemetrySource(VehicleView, Protocol):
    """What the builders read (the simulator's ``Autopilot`` is one): the vehicle's state, read
    only, and its message factory."""

    @property
    def sysid(self) -> int: ...
    @property
    def mav(self) -> Any: ...  # pymavlink's MAVLink (untyped): the `*_encode` factory
    @property
    def failsafes(self) -> Failsafes: ...
    @property
    def failsafe_active(self) -> bool: ...
    @property
    def runner(self) -> MissionRunner: ...
    @property
    def alt_msl_m(self) -> float: ...
    @property
    def last_setpoint(self) -> Setpoint | None: ...
    @property
    def wind_ne(self) -> tuple[float, float]: ...

    def gps_latlon(self) -> tuple[float, float]: ...
    def landed_state(self) -> int: ...
    def arming_problem(self) -> str | None: ...


FIRMWARE_VERSION = (4 << 24) | (5 << 16) | (0 << 8) | M.FIRMWARE_VERSION_TYPE_OFFICIAL
CAPABILITIES = (
    M.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
    | M.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
    | M.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    | M.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
    | M.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
    | M.MAV_PROTOCOL_CAPABILITY_MAVLINK2
    | M.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
    | M.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
)
SENSORS = (
    M.MAV_SYS_STATUS_SENSOR_3D_GYRO
    | M.MAV_SYS_STATUS_SENSOR_3D_ACCEL
    | M.MAV_SYS_STATUS_SENSOR_3D_MAG
    | M.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
    | M.MAV_SYS_STATUS_SENSOR_GPS
    | M.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | M.MAV_SYS_STATUS_SENSOR_YAW_POSITION
    | M.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | M.MAV_SYS_STATUS_AHRS
    | M.MAV_SYS_STATUS_SENSOR_BATTERY
    | M.MAV_SYS_STATUS_PREARM_CHECK
)


def _boot_ms(ap: TelemetrySource) -> int:
    return int(ap.t * 1000) & 0xFFFFFFFF


def _e7(deg: float) -> int:
    return round(deg * 1e7)


def heartbeat(ap: TelemetrySource) -> MavMessage:
    base = M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | M.MAV_MODE_FLAG_STABILIZE_ENABLED
    if ap.mode in NEEDS_POSITION or ap.mode == LAND:
        base |= M.MAV_MODE_FLAG_GUIDED_ENABLED
    if ap.mode == AUTO:
        base |= M.MAV_MODE_FLAG_AUTO_ENABLED
    if ap.armed:
        base |= M.MAV_MODE_FLAG_SAFETY_ARMED
    status = M.MAV_STATE_ACTIVE if ap.armed else M.MAV_STATE_STANDBY
    if ap.failsafe_active:
        status = M.MAV_STATE_CRITICAL
    return ap.mav.heartbeat_encode(
        M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_ARDUPILOTMEGA, base, ap.mode, status
    )


def sys_status(ap: TelemetrySource) -> MavMessage:
    health = SENSORS
    if not ap.gps.available:
        health &= ~M.MAV_SYS_STATUS_SENSOR_GPS
    if ap.arming_problem() is not None:
        health &= ~M.MAV_SYS_STATUS_PREARM_CHECK
    if ap.failsafes.battery_level > 0:
        health &= ~M.MAV_SYS_STATUS_SENSOR_BATTERY
    present = enabled = SENSORS
    if ap.params.get("FENCE_ENABLE"):
        present |= M.MAV_SYS_STATUS_GEOFENCE
        enabled |= M.MAV_SYS_STATUS_GEOFENCE
        if not ap.failsafes.fence_breached:
            health |= M.MAV_SYS_STATUS_GEOFENCE
    b = ap.battery
    return ap.mav.sys_status_encode(
        present,
        enabled,
        health,
        250,
        round(b.voltage_v * 1000),
        round(b.current_a * 100),
        round(b.remaining_pct),
        0,
        0,
        0,
        0,
        0,
        0,
    )


def gps_raw_int(ap: TelemetrySource) -> MavMessage:
    f, g = ap.frame, ap.gps
    lat, lon = ap.gps_latlon()
    fix = g.fix_type
    return ap.mav.gps_raw_int_encode(
        int(ap.t * 1e6),
        fix,
        _e7(lat) if fix else 0,
        _e7(lon) if fix else 0,
        round(ap.alt_msl_m * 1000) if fix else 0,
        70 if fix else 9999,
        110 if fix else 9999,
        round(f.groundspeed_m_s * 100),
        round(_cog(f) * 100) % 36000,
        g.satellites if fix else 0,
    )


def _cog(f: object) -> float:
    return math.degrees(math.atan2(f.ve, f.vn)) % 360.0  # type: ignore[attr-defined]


def global_position_int(ap: TelemetrySource) -> MavMessage:
    f = ap.frame
    lat, lon = ap.latlon()
    return ap.mav.global_position_int_encode(
        _boot_ms(ap),
        _e7(lat),
        _e7(lon),
        round(ap.alt_msl_m * 1000),
        round(ap.alt_rel_m * 1000),
        round(f.vn * 100),
        round(f.ve * 100),
        round(-f.vu * 100),
        round(f.yaw_deg * 100) % 36000,
    )


def attitude(ap: TelemetrySource) -> MavMessage:
    roll, pitch = ap.frame.attitude_rad()
    yaw = math.radians((ap.frame.yaw_deg + 180.0) % 360.0 - 180.0)
    return ap.mav.attitude_encode(_boot_ms(ap), roll, pitch, yaw, 0.0, 0.0, 0.0)


def vfr_hud(ap: TelemetrySource) -> MavMessage:
    f = ap.frame
    throttle = 0 if not ap.armed else (15 if f.on_ground else 45)
    return ap.mav.vfr_hud_encode(
        f.airspeed_m_s, f.groundspeed_m_s, round(f.yaw_deg) % 360, throttle, ap.alt_msl_m, f.vu
    )


def battery_status(ap: TelemetrySource) -> MavMessage:
    b = ap.battery
    cell_mv = round(b.voltage_v / b.cells * 1000)
    cells = [cell_mv] * b.cells + [65535] * (10 - b.cells)
    time_left = round(b.remaining_mah / max(b.current_a, 0.1) * 3.6)
    return ap.mav.battery_status_encode(
        0,
        M.MAV_BATTERY_FUNCTION_ALL,
        M.MAV_BATTERY_TYPE_LIPO,
        32767,
        cells,
        round(b.current_a * 100),
        round(b.consumed_mah),
        -1,
        round(b.remaining_pct),
        min(time_left, 2**31 - 1),
        ap.failsafes.battery_charge_state(),
        [0, 0, 0, 0],
        0,
        0,
    )


def home_position(ap: TelemetrySource) -> MavMessage:
    lat, lon, alt = ap.home
    return ap.mav.home_position_encode(
        _e7(lat),
        _e7(lon),
        round(alt * 1000),
        0.0,
        0.0,
        0.0,
        [1.0, 0.0, 0.0, 0.0],
        0.0,
        0.0,
        0.0,
        int(ap.t * 1e6),
    )


def extended_sys_state(ap: TelemetrySource) -> MavMessage:
    return ap.mav.extended_sys_state_encode(M.MAV_VTOL_STATE_UNDEFINED, ap.landed_state())


def mission_current(ap: TelemetrySource) -> MavMessage:
    items = ap.mission.items[MISSION]
    total = len(items) - 1 if len(items) > 1 else 65535
    state = ap.runner.state(items)
    return ap.mav.mission_current_encode(ap.runner.current, total, state, 0)


def system_time(ap: TelemetrySource) -> MavMessage:
    return ap.mav.system_time_encode(int(time.time() * 1e6), _boot_ms(ap))


def fence_status(ap: TelemetrySource) -> MavMessage:
    fs = ap.failsafes
    return ap.mav.fence_status_encode(
        int(fs.fence_breached),
        fs.fence_breach_count,
        fs.fence_breach_type,
        int(fs.fence_breach_time_s * 1000) & 0xFFFFFFFF,
        0,
    )


def nav_controller_output(ap: TelemetrySource) -> MavMessage:
    """Where the position controller is heading: bearing and distance to its setpoint."""
    f, sp = ap.frame, ap.last_setpoint
    if sp is None:
        return ap.mav.nav_controller_output_encode(0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0.0)
    dn, de = sp.north_m - f.north_m, sp.east_m - f.east_m
    bearing = round(math.degrees(math.atan2(de, dn))) % 360
    roll, pitch = f.attitude_rad()
    return ap.mav.nav_controller_output_encode(
        math.degrees(roll),
        math.degrees(pitch),
        bearing,
        bearing,
        min(65535, round(math.hypot(dn, de))),
        sp.up_m - f.up_m,
        0.0,
        0.0,
    )


def local_position_ned(ap: TelemetrySource) -> MavMessage:
    f = ap.frame
    return ap.mav.local_position_ned_encode(
        _boot_ms(ap), f.north_m, f.east_m, -f.up_m, f.vn, f.ve, -f.vu
    )


def wind(ap: TelemetrySource) -> MavMessage:
    """The wind the copter is in (steady plus gusts), as ArduPilot's WIND: where it blows
    from, -180..180 degrees (``degrees(atan2(-wind_e, -wind_n))``), and its speed. ArduCopter
    SITL without EK3_DRAG_BCOEF_* estimates none and sends speed 0 from -180."""
    wn, we = ap.wind_ne
    return ap.mav.wind_encode(math.degrees(math.atan2(-we, -wn)), math.hypot(wn, we), 0.0)


def ekf_status_report(ap: TelemetrySource) -> MavMessage:
    flags = M.EKF_ATTITUDE | M.EKF_VELOCITY_HORIZ | M.EKF_VELOCITY_VERT | M.EKF_POS_VERT_ABS
    if ap.gps.available:
        flags |= (
            M.EKF_POS_HORIZ_REL
            | M.EKF_POS_HORIZ_ABS
            | M.EKF_PRED_POS_HORIZ_REL
            | M.EKF_PRED_POS_HORIZ_ABS
        )
        pos_var = 0.05
    else:
        flags |= M.EKF_CONST_POS_MODE
        pos_var = 1.2
    return ap.mav.ekf_status_report_encode(flags, 0.05, pos_var, 0.04, 0.03, 0.0, 0.0)


def power_status(ap: TelemetrySource) -> MavMessage:
    return ap.mav.power_status_encode(5000, 5100, M.MAV_POWER_STATUS_BRICK_VALID)


def autopilot_version(ap: TelemetrySource) -> MavMessage:
    uid = 0x5EC0_0000_0000 + ap.sysid
    return ap.mav.autopilot_version_encode(
        CAPABILITIES, FIRMWARE_VERSION, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8, 0, 0, uid, [0] * 18
    )


BUILDERS: dict[int, Callable[[TelemetrySource], MavMessage]] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: heartbeat,
    M.MAVLINK_MSG_ID_SYS_STATUS: sys_status,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: gps_raw_int,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: global_position_int,
    M.MAVLINK_MSG_ID_ATTITUDE: attitude,
    M.MAVLINK_MSG_ID_VFR_HUD: vfr_hud,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: battery_status,
    M.MAVLINK_MSG_ID_HOME_POSITION: home_position,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: extended_sys_state,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: mission_current,
    M.MAVLINK_MSG_ID_SYSTEM_TIME: system_time,
    M.MAVLINK_MSG_ID_FENCE_STATUS: fence_status,
    M.MAVLINK_MSG_ID_AUTOPILOT_VERSION: autopilot_version,
    M.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT: nav_controller_output,
    M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: local_position_ned,
    M.MAVLINK_MSG_ID_EKF_STATUS_REPORT: ekf_status_report,
    M.MAVLINK_MSG_ID_WIND: wind,
    M.MAVLINK_MSG_ID_POWER_STATUS: power_status,
}
