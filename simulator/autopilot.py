"""The sans-I/O core of one simulated ArduCopter: MAVLink messages in, messages out.

`Autopilot.handle(msg)` reacts to one decoded message; `Autopilot.update(now)` advances the flight
model, the mission, the failsafes and the telemetry streams to simulated time `now` in fixed
0.1 s steps; `Autopilot.drain()` hands over the messages to send. No sockets, no clock of its own:
the caller owns time, so tests step it by hand.

>>> ap = Autopilot(1)
>>> ap.update(1.0)
>>> sorted({m.get_type() for m in ap.drain()})[:3]
['ATTITUDE', 'BATTERY_STATUS', 'EXTENDED_SYS_STATE']
"""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator import command_handlers as commands
from simulator.actions import VehicleActions
from simulator.base import LONGYOU_STATION
from simulator.codec import MavMessage
from simulator.mission_items import FENCE, MISSION, RALLY, MissionItem
from simulator.modes import AUTO, GUIDED, MODE_NAMES
from simulator.navigation import Goto
from simulator.params import handle_param_message
from simulator.state import VehicleSnapshot
from simulator.telemetry import BUILDERS
from simulator.vehicle import Setpoint, power_current_a

M = mavlink2
DT_S = 0.1

__all__ = ["DT_S", "LONGYOU_STATION", "Autopilot"]


class Autopilot(VehicleActions):
    """One simulated copter (see the module docstring)."""

    def handle(self, msg: MavMessage) -> None:
        """React to one message from a ground station (or anyone else on the link)."""
        if msg.get_srcSystem() == self.sysid:
            return
        target = getattr(msg, "target_system", 0)
        if target not in (0, self.sysid):
            return
        if getattr(msg, "target_component", 0) not in (0, self.compid):
            return
        kind = msg.get_type()
        if kind == "HEARTBEAT":
            if msg.type == M.MAV_TYPE_GCS:
                self.failsafes.gcs_heartbeat(self.t, self)
        elif kind in ("COMMAND_LONG", "COMMAND_INT"):
            self._command(msg)
        elif kind == "SET_MODE":
            self._set_mode_message(msg)
        elif kind == "REQUEST_DATA_STREAM":
            self.streams.request_stream(
                msg.req_stream_id, msg.req_message_rate, bool(msg.start_stop)
            )
        elif (
            kind in ("MISSION_ITEM", "MISSION_ITEM_INT")
            and msg.current in (2, 3)
            and getattr(msg, "mission_type", MISSION) == MISSION
        ):
            self._guided_item(msg)  # GCS_MAVLINK::handle_mission_item: before any upload
        elif kind == "MISSION_SET_CURRENT":
            if self.set_mission_current(msg.seq) is None:
                self.send(BUILDERS[M.MAVLINK_MSG_ID_MISSION_CURRENT](self))
        elif kind == "TIMESYNC":
            if msg.tc1 == 0:  # a request: answer with our clock, echoing theirs (as ArduPilot)
                self.send(self.mav.timesync_encode(int(self.t * 1e9), msg.ts1))
        elif kind == "AUTOPILOT_VERSION_REQUEST":
            self.send(BUILDERS[M.MAVLINK_MSG_ID_AUTOPILOT_VERSION](self))
        elif kind == "SETUP_SIGNING":
            if self.on_setup_signing is not None:
                self.on_setup_signing(bytes(msg.secret_key), int(msg.initial_timestamp))
        elif kind == "SET_POSITION_TARGET_GLOBAL_INT":
            self._position_target(msg)
        elif handle_param_message(self.params, msg, self.mav, self.send, self.statustext):
            pass
        else:
            self.mission.handle(msg, self.t)

    def update(self, now: float) -> None:
        """Advance to simulated time `now` in fixed steps."""
        while self.t + DT_S <= now + 1e-9:
            self._step(DT_S)

    # ------------------------------------------------------------------ one physics step
    def _step(self, dt: float) -> None:
        self.t += dt
        p = self.params
        key = (p.version, self.speed_override)
        if key != self._applied:
            self._applied = key
            lim = self.frame.limits
            lim.speed_m_s = self.cruise_m_s()
            lim.accel_m_s2 = p.get("WPNAV_ACCEL") / 100
            lim.climb_m_s = p.get("WPNAV_SPEED_UP") / 100
            lim.descent_m_s = p.get("WPNAV_SPEED_DN") / 100
            lim.yaw_rate_deg_s = p.get("ATC_SLEW_YAW") / 100
            self.wind.speed_m_s, self.wind.from_deg = p.get("SIM_WIND_SPD"), p.get("SIM_WIND_DIR")
            self.wind.turbulence_m_s = p.get("SIM_WIND_TURB")
            self.battery.capacity_mah = p.get("BATT_CAPACITY")
        self.gps.available = not p.get("SIM_GPS_DISABLE") and self.t >= self.gps_lost_until
        wind = self.wind_ne = self.wind.step(dt, self.rng)
        self.gps.step(dt, self.rng)
        if self.armed:
            sp = self._setpoint(dt)
            self._last_sp = sp
            self.frame.step(dt, sp, wind)
        else:
            self._last_sp = None
            if self.frame.up_m > 0:  # disarmed in the air: it falls
                self.frame.up_m = max(0.0, self.frame.up_m - 10.0 * dt)
            self.frame.stop()
        self.battery.draw(power_current_a(self.frame, self.armed), dt)
        self._after_move(dt)
        if self.camera.due(self.frame.north_m, self.frame.east_m, self.flying):
            self.take_photo()
        self.failsafes.check(self)
        self.mission.update(self.t)
        if self._calibration is not None and self.t >= self._calibration[2]:
            cmd, src, _ = self._calibration
            self._calibration = None
            self.send(self.mav.command_ack_encode(cmd, M.MAV_RESULT_ACCEPTED, 100, 0, *src))
        for msg_id in self.streams.due(self.t):
            self.send(BUILDERS[msg_id](self))

    def _setpoint(self, dt: float) -> Setpoint | None:
        if self.mode == AUTO:
            if not self.runner.running:
                self.runner.start(self.host, self.mission.items[MISSION])
            return self.runner.step(self.host, self.mission.items[MISSION], dt)
        return self.nav.setpoint(self.nav_context(), dt)

    def _after_move(self, dt: float) -> None:
        if not self.armed or not self.frame.on_ground:
            self._ground_s = 0.0
            return
        beh = self.behaviour
        if beh.landing and beh.done:
            self._disarm("Land complete")
            return
        if self._last_sp is not None and self._last_sp.up_m > 0.05:
            self._ground_s = 0.0
            return
        self._ground_s += dt
        delay = self.params.get("DISARM_DELAY")
        if delay > 0 and self._ground_s >= delay:
            self._disarm("Auto disarm")

    # ------------------------------------------------------------------ MissionHost
    def do_command(self, item: MissionItem) -> None:
        c = commands.Command(
            item.command,
            item.param1,
            item.param2,
            item.param3,
            item.param4,
            item.lat_deg if item.has_position else float(item.x),
            item.lon_deg if item.has_position else float(item.y),
            item.z,
            item.frame,
            (0, 0),
        )
        if item.command in (
            M.MAV_CMD_DO_CHANGE_SPEED,
            M.MAV_CMD_DO_SET_CAM_TRIGG_DIST,
            M.MAV_CMD_DO_DIGICAM_CONTROL,
            M.MAV_CMD_DO_SET_HOME,
            M.MAV_CMD_DO_FENCE_ENABLE,
            M.MAV_CMD_DO_GRIPPER,
            M.MAV_CMD_DO_SET_SERVO,
            M.MAV_CMD_DO_SET_RELAY,
        ):
            commands.HANDLERS[item.command](self, c)
        elif item.command == M.MAV_CMD_IMAGE_START_CAPTURE:
            self.take_photo()
        elif item.command not in (
            M.MAV_CMD_DO_SET_ROI,
            M.MAV_CMD_DO_MOUNT_CONTROL,
            M.MAV_CMD_CONDITION_YAW,
            M.MAV_CMD_CONDITION_DELAY,
        ):
            self.statustext(f"Skipping unsupported command {item.command}", M.MAV_SEVERITY_WARNING)

    def item_reached(self, seq: int) -> None:
        self.send(self.mav.mission_item_reached_encode(seq))
        self.statustext(f"Reached command #{seq}")

    def mission_current_changed(self) -> None:
        self.send(BUILDERS[M.MAVLINK_MSG_ID_MISSION_CURRENT](self))

    def mission_finished(self) -> None:
        self.statustext("Mission complete")
        if self.armed and self.frame.on_ground:
            self._disarm("Disarming motors: mission complete")

    # ------------------------------------------------------------------ internals
    def _command(self, msg: MavMessage) -> None:
        c = commands.Command.from_message(msg)
        last = self._last_command
        retransmission = getattr(msg, "confirmation", 0) > 0
        if retransmission and last is not None and last[0] == c and self.t - last[2] <= 3.0:
            result = last[1]  # our ACK was lost: acknowledge again, do not do it twice
        else:
            result = commands.execute(self, c)
            self._last_command = (c, result, self.t)
        self.send(self.mav.command_ack_encode(c.command, result, 0, 0, *c.source))
        if result == M.MAV_RESULT_ACCEPTED and c.command in commands.MESSAGE_REQUESTS:
            msg_id = commands.MESSAGE_REQUESTS[c.command]
            self.send(BUILDERS[int(c.p1) if msg_id is None else msg_id](self))

    def _set_mode_message(self, msg: MavMessage) -> None:
        """SET_MODE is acknowledged like ArduPilot does: COMMAND_ACK with command = 11."""
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        c = commands.Command(
            M.MAV_CMD_DO_SET_MODE, msg.base_mode, msg.custom_mode, 0, 0, 0, 0, 0, None, src
        )
        result = commands.set_mode(self, c)
        self.send(self.mav.command_ack_encode(M.MAVLINK_MSG_ID_SET_MODE, result, 0, 0, *src))

    def _guided_item(self, msg: MavMessage) -> None:
        item = MissionItem.from_message(msg)
        partner = (msg.get_srcSystem(), msg.get_srcComponent())
        if msg.current == 2:
            why = self.goto(item.lat_deg, item.lon_deg, item.z, None, change_mode=False)
        else:
            why = None if self.mode == GUIDED else "Alt change: not in GUIDED"
            if why is None:
                self.nav = Goto(self.frame.north_m, self.frame.east_m, self.home_up + item.z, 1.0)
        result = M.MAV_MISSION_ACCEPTED if why is None else M.MAV_MISSION_ERROR
        if why is not None:
            self.statustext(why, M.MAV_SEVERITY_WARNING)
        self.send(self.mav.mission_ack_encode(*partner, result, MISSION))

    def _position_target(self, msg: MavMessage) -> None:
        if self.mode != GUIDED or not self.armed:
            return
        if msg.type_mask & 0b111:  # position ignored: velocity/acceleration targets unsupported
            return
        alt_rel = msg.alt
        if msg.coordinate_frame in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
            alt_rel = msg.alt - self.home[2]
        self.goto(msg.lat_int / 1e7, msg.lon_int / 1e7, alt_rel, None)

    # ------------------------------------------------------------------ snapshot
    @property
    def state(self) -> VehicleSnapshot:
        lat, lon = self.latlon()
        f, items = self.frame, self.mission.items
        return VehicleSnapshot(
            sysid=self.sysid,
            time_s=self.t,
            lat_deg=lat,
            lon_deg=lon,
            alt_msl_m=self.alt_msl_m,
            alt_rel_m=self.alt_rel_m,
            heading_deg=f.yaw_deg,
            groundspeed_m_s=f.groundspeed_m_s,
            climb_m_s=f.vu,
            mode=MODE_NAMES[self.mode],
            armed=self.armed,
            landed=f.on_ground,
            landed_state=self.landed_state(),
            battery_pct=self.battery.remaining_pct,
            battery_v=self.battery.voltage_v,
            gps_fix=self.gps.fix_type,
            home=self.home,
            mission=items[MISSION],
            fence=items[FENCE],
            rally=items[RALLY],
            mission_seq=self.runner.current,
            mission_state=self.runner.state(items[MISSION]),
            photos=len(self.camera.photos),
            failsafe=self.failsafes.active,
            actuators=dict(self.actuators),
            upload_duplicates=self.mission.duplicates,
        )
