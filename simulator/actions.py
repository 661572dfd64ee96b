"""What commands make the vehicle do: arm, disarm, change mode, take off, go to, pause, set home,
take a photo. Each returns None when done or a one-line reason (sent as STATUSTEXT) when refused.

`VehicleActions` sits between `AutopilotCore` (the state) and `Autopilot` (the messages).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.base import AutopilotCore
from simulator.camera import Photo
from simulator.mission_exec import is_nav
from simulator.mission_items import MISSION
from simulator.modes import ARMABLE, AUTO, GUIDED, LAND, MODE_NAMES, NEEDS_POSITION, RTL
from simulator.navigation import Goto, Hold, Land, Rtl, Takeoff
from simulator.telemetry import BUILDERS

if TYPE_CHECKING:
    from simulator.command_handlers import Command

    pass

M = mavlink2


class VehicleActions(AutopilotCore):
    def arming_problem(self) -> str | None:
        """Why arming would be refused now, or None."""
        if not self.gps.available:
            return "GPS 1: Bad fix"
        p, b = self.params, self.battery
        if self.failsafes.battery_level > 0 or b.remaining_mah <= max(
            p.get("BATT_LOW_MAH"), p.get("BATT_CRT_MAH")
        ):
            return "Battery 1 low capacity failsafe"
        if p.get("BATT_ARM_MAH") > 0 and b.remaining_mah < p.get("BATT_ARM_MAH"):
            return "Battery 1 below minimum arming capacity"
        if p.get("BATT_ARM_VOLT") > 0 and b.voltage_v < p.get("BATT_ARM_VOLT"):
            return "Battery 1 below minimum arming voltage"
        return None

    def arm(self, force: bool = False) -> str | None:
        if self.armed:
            return None
        if self.mode not in ARMABLE:
            return f"Arm: Mode {MODE_NAMES[self.mode]} not armable"
        if self.mode == AUTO and not self._starts_with_takeoff():
            return "Auto: Missing Takeoff Cmd"
        if not force and self.params.get("ARMING_CHECK"):
            problem = self.arming_problem()
            if problem is not None:
                return f"PreArm: {problem}"
        self.armed = True
        self._ground_s = 0.0
        self.speed_override = None
        if self.gps.available and not self.home_locked:
            self.set_home(None, lock=False)
        self.nav = Hold.here(self.frame)
        self.statustext("Arming motors")
        self.announce()
        if self.mode == AUTO:
            self.runner.start(self.host, self.mission.items[MISSION])
        return None

    def _starts_with_takeoff(self) -> bool:
        """Whether the mission's first nav command (after home) is a takeoff."""
        for item in self.mission.items[MISSION][1:]:
            if is_nav(item.command):
                return bool(item.command == M.MAV_CMD_NAV_TAKEOFF)
        return False

    def disarm(self, force: bool = False) -> str | None:
        if not self.armed:
            return None
        if not self.frame.on_ground and not force:
            return "Disarm: vehicle is flying"
        self._disarm("Disarming motors")
        return None

    def announce(self) -> None:
        """Send a HEARTBEAT now: arming and mode changes reach the GCS with their ACK, not up
        to a second later."""
        self.send(BUILDERS[M.MAVLINK_MSG_ID_HEARTBEAT](self))

    def _disarm(self, why: str) -> None:
        self.armed = False
        self.frame.stop()
        self.statustext(why)
        self.announce()

    def set_mode(self, number: int, forced: bool = False) -> str | None:
        name = MODE_NAMES.get(number)
        if name is None:
            return f"Mode {number} not supported"
        if number == self.mode:
            return None
        if not forced and number in NEEDS_POSITION and not self.gps.available:
            return f"Mode change to {name} failed: requires position"
        if not forced and number == AUTO and len(self.mission.items[MISSION]) <= 1:
            return "Mode change to AUTO failed: no mission"
        if (
            number == AUTO
            and self.armed
            and self.frame.on_ground
            and not self._starts_with_takeoff()
        ):
            return "Auto: Missing Takeoff Cmd"  # ArduCopter: no flips from a waypoint on the ground
        if self.mode == AUTO:
            self.runner.stop()
        self.mode = number
        self.announce()
        self._paused_nav = None
        if number == AUTO:
            if self.armed:
                self.runner.start(self.host, self.mission.items[MISSION])
        elif number == RTL:
            # on the ground RTL has nowhere to go: it lands (and so disarms) at once
            self.nav = Land() if self.frame.on_ground else Rtl(self.rtl_point())
        elif number == LAND:
            self.nav = Land()
        else:
            self.nav = Hold.here(self.frame)
        return None

    def failsafe_mode(self, number: int, reason: str) -> None:
        if self.mode != number and self.set_mode(number, forced=True) is None:
            self.statustext(f"{reason}: {MODE_NAMES[number]}", M.MAV_SEVERITY_CRITICAL)

    def guided_takeoff(self, alt_rel_m: float) -> str | None:
        if not self.armed:
            return "Takeoff: not armed"
        if self.mode != GUIDED:
            return "Takeoff: mode must be GUIDED"
        if not self.frame.on_ground:
            return "Takeoff: already flying"
        if not (math.isfinite(alt_rel_m) and 0 < alt_rel_m <= 1000):
            return f"Takeoff: bad altitude {alt_rel_m:g}"
        self.nav = Takeoff(self.frame.north_m, self.frame.east_m, self.home_up + alt_rel_m)
        return None

    def goto(
        self,
        lat: float,
        lon: float,
        alt_rel_m: float | None,
        speed_m_s: float | None,
        change_mode: bool = True,
    ) -> str | None:
        if not self.armed:
            return "Reposition: not armed"
        if self.mode != GUIDED:
            if not change_mode:
                return "Reposition: not in GUIDED"
            why = self.set_mode(GUIDED)
            if why is not None:
                return why
        n, e = self.local(lat, lon)
        up = self.frame.up_m if alt_rel_m is None else self.home_up + alt_rel_m
        self.nav = Goto(n, e, up, 1.0, speed_m_s)
        self._paused_nav = None
        return None

    def set_speed(self, speed_m_s: float) -> None:
        self.speed_override = speed_m_s

    def set_home(self, location: tuple[float, float, float] | None, lock: bool = True) -> None:
        """Set home here (None) or at `location`; a GCS-set home is kept when arming."""
        self.home_locked = lock
        if location is None:
            lat, lon = self.latlon()
            location = (lat, lon, self.alt_msl_m)
        self.home = location
        self.send(BUILDERS[M.MAVLINK_MSG_ID_HOME_POSITION](self))

    def pause(self) -> str | None:
        if self.mode == AUTO and self.runner.running:
            self.runner.pause(self.frame)
            return None
        if self.mode == GUIDED:
            self._paused_nav = self.nav
            self.nav = Hold.here(self.frame)
            return None
        return "Pause: only in AUTO or GUIDED"

    def resume(self) -> str | None:
        if self.mode == AUTO:
            self.runner.resume()
            return None
        if self.mode == GUIDED and self._paused_nav is not None:
            self.nav, self._paused_nav = self._paused_nav, None
            return None
        return "Continue: nothing paused" if self.mode != GUIDED else None

    def start_mission(self, first: int | None) -> str | None:
        items = self.mission.items[MISSION]
        if len(items) <= 1:
            return "Mission start: no mission"
        why = self.set_mode(AUTO)
        if why is not None:
            return why
        if self.armed:
            self.runner.start(self.host, items, first if first is not None else 1)
        elif first is not None:
            self.runner.set_current(self.host, items, first)
        return None

    def set_mission_current(self, seq: int) -> str | None:
        if not self.runner.set_current(self.host, self.mission.items[MISSION], seq):
            return f"Mission: no item {seq}"
        return None

    def can_send(self, msg_id: int) -> bool:
        return msg_id in BUILDERS

    def start_calibration(self, c: Command) -> None:
        self._calibration = (c.command, c.source, self.t + 2.0)

    def actuate(self, name: str, value: str) -> None:
        """A payload output changed (gripper, servo, relay): remember it and say so."""
        self.actuators[name] = value
        self.statustext(f"{name}: {value}")

    def take_photo(self) -> Photo:
        lat, lon = self.latlon()
        photo = Photo(len(self.camera.photos), self.t, lat, lon, self.alt_msl_m, self.alt_rel_m)
        self.camera.photos.append(photo)
        roll, pitch = self.frame.attitude_rad()
        self.send(
            self.mav.camera_feedback_encode(
                int(self.t * 1e6),
                self.sysid,
                0,
                photo.index,
                round(lat * 1e7),
                round(lon * 1e7),
                photo.alt_msl_m,
                photo.alt_rel_m,
                math.degrees(roll),
                math.degrees(pitch),
                self.frame.yaw_deg,
                0.0,
                M.CAMERA_FEEDBACK_PHOTO,
                len(self.camera.photos),
            )
        )
        self.send(
            self.mav.camera_image_captured_encode(
                int(self.t * 1000) & 0xFFFFFFFF,
                0,
                0,
                round(lat * 1e7),
                round(lon * 1e7),
                round(photo.alt_msl_m * 1000),
                round(photo.alt_rel_m * 1000),
                [1.0, 0.0, 0.0, 0.0],
                photo.index,
                1,
                b"",
            )
        )
        return photo
