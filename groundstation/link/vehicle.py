"""The vehicle state snapshot and the latest-value topic its subscribers read.

:class:`StateBuilder` folds incoming messages into a few mutable fields (cheap per message) and
builds an immutable :class:`VehicleState` only when someone looks. :class:`LatestValue` wakes
subscribers on change; a slow subscriber skips intermediate states (latest value wins).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.codec import MavMessage
from groundstation.link.health import LinkHealth
from groundstation.link.modes import AUTOPILOT_PX4, autopilot_label, mode_name
from groundstation.link.sanity import TelemetryCheck, TelemetryHealth

T = TypeVar("T")

LANDED_STATES = {0: "undefined", 1: "on_ground", 2: "in_air", 3: "takeoff", 4: "landing"}


@dataclass(frozen=True, slots=True)
class Position:
    """A WGS84 position with altitude above mean sea level and above home."""

    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float = 0.0


@dataclass(frozen=True, slots=True)
class VehicleState:
    """Everything the station knows about one vehicle, at one moment. Immutable."""

    sysid: int
    compid: int
    autopilot: str = "unknown"
    vehicle_type: int = 0
    position: Position | None = None
    heading_deg: float | None = None
    speed_m_s: float | None = None
    climb_m_s: float | None = None
    velocity_ned_m_s: tuple[float, float, float] | None = None
    roll_deg: float | None = None
    pitch_deg: float | None = None
    yaw_deg: float | None = None
    battery_pct: float | None = None
    #: BATTERY_STATUS.current_consumed: charge drawn since boot (None: not measured)
    battery_consumed_mah: float | None = None
    voltage_v: float | None = None
    mode: str = "UNKNOWN"
    armed: bool = False
    system_status: int = 0
    gps_fix: int = 0
    satellites: int | None = None
    hdop: float | None = None  # GPS_RAW_INT eph / 100 (None: unknown)
    #: SYS_STATUS sensors present and enabled but not healthy (MAV_SYS_STATUS_SENSOR bits)
    sensors_unhealthy: int = 0
    home: Position | None = None
    landed_state: str = "undefined"
    mission_seq: int | None = None
    mission_total: int | None = None
    #: the vehicle holds where it is after a pause (DO_PAUSE_CONTINUE, or the LOITER fallback)
    #: that the station sent or the vehicle reports (MISSION_CURRENT.mission_state); a mode
    #: change, a disarm or a continue ends it
    paused: bool = False
    last_text: str = ""
    firmware_version: int | None = None
    wind_speed_m_s: float | None = None  # the vehicle's own estimate (WIND), if it sends one
    wind_dir_deg: float | None = None  # where the wind comes from, 0-360, clockwise from north
    #: RADIO_STATUS sent with the vehicle's own system id: local and remote signal, 0-100 %
    radio_rssi_pct: float | None = None
    radio_remrssi_pct: float | None = None
    #: the vehicle's clock (time_boot_s) when it last armed; None: disarmed or not yet timed
    armed_at_boot_s: float | None = None
    #: the vehicle's clock (GLOBAL_POSITION_INT.time_boot_ms): simulated time on a simulator
    time_boot_s: float | None = None
    link: LinkHealth = field(default_factory=LinkHealth)
    telemetry: TelemetryHealth = field(default_factory=TelemetryHealth)


def _flight_time(now_boot_s: float | None, armed_at_boot_s: float | None) -> float | None:
    if now_boot_s is None or armed_at_boot_s is None:
        return None
    return max(0.0, round(now_boot_s - armed_at_boot_s, 1))


def flight_time_s(state: VehicleState) -> float | None:
    """Seconds the vehicle has been armed, on its own clock; None: disarmed or not timed."""
    if not state.armed:
        return None
    return _flight_time(state.time_boot_s, state.armed_at_boot_s)


class StateBuilder:
    """Folds messages from one vehicle into its state; ``build`` makes the frozen snapshot."""

    def __init__(self, sysid: int, compid: int) -> None:
        self.f: dict[str, Any] = {"sysid": sysid, "compid": compid}
        self.autopilot_code = 0
        self.check = TelemetryCheck()
        #: AUTOPILOT_VERSION's MAV_PROTOCOL_CAPABILITY bits, once the vehicle has sent them
        self.capabilities: int | None = None
        #: the mode the vehicle paused in (None: not paused); see :meth:`pause_started`
        self.paused_in: str | None = None
        #: the vehicle has reported this pause itself (MISSION_CURRENT's mission_state)
        self.pause_reported = False
        self._handlers: dict[str, Callable[[MavMessage], None]] = {
            "HEARTBEAT": self._heartbeat,
            "GLOBAL_POSITION_INT": self._global_position,
            "ATTITUDE": self._attitude,
            "VFR_HUD": self._vfr_hud,
            "SYS_STATUS": self._sys_status,
            "BATTERY_STATUS": self._battery_status,
            "GPS_RAW_INT": self._gps_raw,
            "HOME_POSITION": self._home,
            "EXTENDED_SYS_STATE": self._extended,
            "MISSION_CURRENT": self._mission_current,
            "AUTOPILOT_VERSION": self._version,
            "WIND": self._wind,
            "RADIO_STATUS": self._radio_status,
        }

    def apply(self, msg: MavMessage) -> bool:
        """Fold ``msg`` in; True if it was a message the state uses."""
        handler = self._handlers.get(msg.get_type())
        if handler is None:
            return False
        handler(msg)
        return True

    def build(self, link: LinkHealth, now: float | None = None) -> VehicleState:
        return VehicleState(**self.f, link=link, telemetry=self.check.snapshot(now))

    @property
    def is_px4(self) -> bool:
        return self.autopilot_code == AUTOPILOT_PX4

    def _heartbeat(self, m: MavMessage) -> None:
        self.autopilot_code = int(m.autopilot)
        self.f["autopilot"] = autopilot_label(self.autopilot_code)
        self.f["vehicle_type"] = int(m.type)
        self.f["mode"] = mode_name(self.autopilot_code, int(m.custom_mode))
        armed = bool(m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
        if not armed:
            self.f["armed_at_boot_s"] = None
        elif self.f.get("armed_at_boot_s") is None:
            self.f["armed_at_boot_s"] = self.f.get("time_boot_s")
        self.f["armed"] = armed
        self.f["system_status"] = int(m.system_status)
        if self.paused_in is not None and (not armed or self.f["mode"] != self.paused_in):
            self.pause_ended()  # a new mode (or the ground) ends a pause

    def _position(self, lat_e7: int, lon_e7: int, msl_mm: int, rel_mm: int) -> Position | None:
        lat, lon, msl, rel = lat_e7 / 1e7, lon_e7 / 1e7, msl_mm / 1000.0, rel_mm / 1000.0
        if self.check.all_ok(
            ("lat_deg", lat), ("lon_deg", lon), ("alt_msl_m", msl), ("alt_rel_m", rel)
        ):
            return Position(lat, lon, msl, rel)
        return None

    def _set(self, name: str, value: float) -> None:
        """Keep `value` as field `name` if it is plausible (else it is counted and dropped)."""
        if self.check.ok(name, value):
            self.f[name] = value

    def _global_position(self, m: MavMessage) -> None:
        self._set("time_boot_s", m.time_boot_ms / 1000.0)
        position = self._position(m.lat, m.lon, m.alt, m.relative_alt)
        if position is not None:
            self.f["position"] = position
        vn, ve, vd = m.vx / 100.0, m.vy / 100.0, m.vz / 100.0
        speed = round(math.hypot(vn, ve), 3)
        velocity = (("velocity_m_s", vn), ("velocity_m_s", ve), ("velocity_m_s", vd))
        if self.check.all_ok(*velocity, ("speed_m_s", speed)):
            self.f["velocity_ned_m_s"] = (vn, ve, vd)
            self.f["speed_m_s"] = speed
            self.f["climb_m_s"] = -vd
        if m.hdg != 65535:
            self._set("heading_deg", m.hdg / 100.0)

    def _attitude(self, m: MavMessage) -> None:
        self._set("roll_deg", math.degrees(m.roll))
        self._set("pitch_deg", math.degrees(m.pitch))
        yaw = math.degrees(m.yaw)
        if self.check.ok("yaw_deg", yaw):
            self.f["yaw_deg"] = yaw % 360.0

    def _vfr_hud(self, m: MavMessage) -> None:
        self._set("speed_m_s", float(m.groundspeed))
        self._set("heading_deg", float(m.heading))
        self._set("climb_m_s", float(m.climb))

    def _sys_status(self, m: MavMessage) -> None:
        if m.battery_remaining != -1:  # -1: the autopilot does not estimate it
            self._set("battery_pct", float(m.battery_remaining))
        if m.voltage_battery not in (0, 65535):
            self._set("voltage_v", m.voltage_battery / 1000.0)
        enabled = int(m.onboard_control_sensors_present) & int(m.onboard_control_sensors_enabled)
        self.f["sensors_unhealthy"] = enabled & ~int(m.onboard_control_sensors_health)

    def _battery_status(self, m: MavMessage) -> None:
        if m.battery_remaining != -1:
            self._set("battery_pct", float(m.battery_remaining))
        if m.current_consumed != -1:  # -1: the autopilot does not measure it
            self._set("battery_consumed_mah", float(m.current_consumed))

    def _gps_raw(self, m: MavMessage) -> None:
        if self.check.ok("gps_fix", m.fix_type):
            self.f["gps_fix"] = int(m.fix_type)
        if m.satellites_visible != 255 and self.check.ok("satellites", m.satellites_visible):
            self.f["satellites"] = int(m.satellites_visible)
        if m.eph != 65535:
            self._set("hdop", m.eph / 100.0)

    def _home(self, m: MavMessage) -> None:
        home = self._position(m.latitude, m.longitude, m.altitude, 0)
        if home is not None:
            self.f["home"] = home

    def _extended(self, m: MavMessage) -> None:
        self.f["landed_state"] = LANDED_STATES.get(int(m.landed_state), "undefined")

    def pause_started(self, mode: str | None = None) -> None:
        """The vehicle accepted a pause: it holds in `mode` (default: the mode it is in)."""
        self.paused_in = mode or str(self.f.get("mode", "UNKNOWN"))
        self.pause_reported = False
        self.f["paused"] = True

    def pause_ended(self) -> None:
        """Continued, or the pause no longer holds (mode change, disarmed)."""
        self.paused_in = None
        self.pause_reported = False
        self.f["paused"] = False

    def _mission_current(self, m: MavMessage) -> None:
        self.f["mission_seq"] = int(m.seq)
        state = int(getattr(m, "mission_state", 0) or 0)
        if state == mavlink.MISSION_STATE_PAUSED and self.f.get("mode") == "AUTO":
            if self.paused_in is None:
                self.pause_started("AUTO")  # paused by someone else (another station, the RC)
            self.pause_reported = True
        elif state == mavlink.MISSION_STATE_ACTIVE and self.pause_reported:
            self.pause_ended()  # the vehicle reported this pause, and now says it flies on
        total = getattr(m, "total", 0)
        if total and total != 65535:
            self.f["mission_total"] = int(total)

    def statustext(self, text: str) -> None:
        """A whole STATUSTEXT (chunks reassembled: :mod:`groundstation.link.statustext`)."""
        self.f["last_text"] = text

    def _version(self, m: MavMessage) -> None:
        self.f["firmware_version"] = int(m.flight_sw_version)
        self.capabilities = int(m.capabilities)

    def _radio_status(self, m: MavMessage) -> None:
        # 0-254 in the radio's own units (SiK: about 1.9x dBm + 231); 255: not known
        for name, raw in (("radio_rssi_pct", m.rssi), ("radio_remrssi_pct", m.remrssi)):
            if raw != 255:
                self.f[name] = round(int(raw) * 100.0 / 254.0, 1)

    def _wind(self, m: MavMessage) -> None:
        if m.speed == 0.0 and m.direction == -180.0:
            # ArduCopter without EKF3 drag fusion (or on the ground) sends exactly this:
            # atan2(-0, -0) of a wind it does not estimate. Not a calm: no estimate at all.
            self.f["wind_speed_m_s"] = self.f["wind_dir_deg"] = None
            return
        if self.check.all_ok(("wind_speed_m_s", m.speed), ("wind_dir_deg", m.direction)):
            self.f["wind_speed_m_s"] = round(float(m.speed), 2)
            self.f["wind_dir_deg"] = round(float(m.direction) % 360.0, 1)


class LatestValue(Generic[T]):
    """A value that changes; subscribers iterate over it and always get the newest one.

    >>> async def demo():
    ...     topic = LatestValue(lambda: 1)
    ...     it = topic.subscribe()
    ...     first = await anext(it)
    ...     topic.changed()
    ...     second = await anext(it)
    ...     await it.aclose()
    ...     return first, second, topic.subscribers
    >>> asyncio.run(demo())
    (1, 1, 0)
    """

    def __init__(self, read: Callable[[], T]) -> None:
        self._read = read
        self._events: set[asyncio.Event] = set()

    @property
    def subscribers(self) -> int:
        return len(self._events)

    def changed(self) -> None:
        """Wake every subscriber; they read the value when they get to run."""
        for event in self._events:
            event.set()

    async def subscribe(self) -> AsyncIterator[T]:
        """Yield the current value, then the newest value after every change."""
        event = asyncio.Event()
        self._events.add(event)
        try:
            yield self._read()
            while True:
                await event.wait()
                event.clear()
                yield self._read()
        finally:
            self._events.discard(event)
