"""State and geometry shared by every part of the simulated autopilot.

`AutopilotCore` owns the vehicle's state (flight model, parameters, mission store, mode, home) and
the conversions between it and what MAVLink speaks (lat/lon, altitudes). `VehicleActions` adds
what commands do, and `Autopilot` the message handling and the time steps.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.ardupilot_storage import StorageLimits
from simulator.camera import Camera
from simulator.codec import MavMessage
from simulator.failsafe import Failsafes
from simulator.geo import ne_offset_m, offset_deg
from simulator.mission_exec import MissionHost, MissionRunner
from simulator.mission_items import FENCE, MISSION, MSL_FRAMES, RALLY, MissionItem
from simulator.mission_protocol import MissionProtocol
from simulator.modes import AUTO, STABILIZE
from simulator.navigation import Behaviour, Hold, NavContext, Takeoff
from simulator.params import ParamStore
from simulator.streams import StreamScheduler
from simulator.vehicle import Airframe, Battery, Gps, Setpoint, Wind

if TYPE_CHECKING:
    from simulator.command_handlers import Command

M = mavlink2
STATUSTEXT_MAX_BYTES = 256
"""GCS::send_textv formats into a 256-byte buffer."""
LONGYOU_STATION = (29.05253, 119.181841, 40.0)
"""lat, lon, ground altitude MSL of the Longyou eco-police station."""


class AutopilotCore:
    def __init__(
        self,
        sysid: int,
        home: tuple[float, float, float] = LONGYOU_STATION,
        seed: int = 0,
        compid: int = 1,
        storage: StorageLimits | None = None,
    ) -> None:
        if not 1 <= sysid <= 250:
            raise ValueError(f"system id must be 1..250, got {sysid}")
        if not (-90 <= home[0] <= 90 and -180 <= home[1] <= 180):
            raise ValueError(f"home {home} is not a latitude, longitude, altitude")
        self.sysid, self.compid = sysid, compid
        self.mav = M.MAVLink(None, sysid, compid)  # message factory (`*_encode`)
        self.params = ParamStore.defaults(sysid)
        self.rng = random.Random(seed * 7919 + sysid)
        self.origin = home
        self.home = home
        self.home_locked = False
        self._last_command: tuple[Command, int, float] | None = None
        self.actuators: dict[str, str] = {}
        """Last state of each payload output: {"gripper1": "release", "servo9": "1900"}."""
        self.on_setup_signing: Callable[[bytes, int], None] | None = None
        """Called with (key, initial_timestamp) on SETUP_SIGNING; the transport owns signing."""
        self._applied: tuple[int, float | None] | None = None
        self._nav_ctx: tuple[tuple[object, ...], NavContext] | None = None
        self.frame = Airframe()
        self.wind = Wind()
        self.wind_ne: tuple[float, float] = (0.0, 0.0)
        """The wind this step, north and east m/s it blows toward (WIND reports it)."""
        self.battery = Battery()
        self.gps = Gps()
        self.camera = Camera()
        self.mode = STABILIZE
        self.armed = False
        self.t = 0.0
        self.outbox: list[MavMessage] = []
        self.texts: deque[str] = deque(maxlen=100)
        self.streams = StreamScheduler()
        self._statustext_id = 0
        self.mission = MissionProtocol(
            self.mav,
            self.send,
            self.statustext,
            self._mission_changed,
            home=lambda: self.home,
            limits=storage,
        )
        self.runner = MissionRunner()
        self.failsafes = Failsafes()
        self.nav: Behaviour = Hold.here(self.frame)
        self.speed_override: float | None = None
        self.gps_lost_until = -math.inf
        self._paused_nav: Behaviour | None = None
        self._ground_s = 0.0
        self._last_sp: Setpoint | None = None
        self._calibration: tuple[int, tuple[int, int], float] | None = None

    # ------------------------------------------------------------------ I/O
    def send(self, msg: MavMessage) -> None:
        self.outbox.append(msg)

    def drain(self) -> list[MavMessage]:
        out, self.outbox = self.outbox, []
        return out

    def statustext(self, text: str, severity: int = M.MAV_SEVERITY_INFO) -> None:
        """Send `text` as ArduPilot's GCS::send_textv does: up to 50 bytes in one STATUSTEXT
        with id 0; longer texts in 50-byte chunks sharing a non-zero id, chunk_seq 0, 1, ...,
        the last one shorter than 50 (an empty one when the text fills its chunks exactly)."""
        self.texts.append(text)
        data = text.encode()[:STATUSTEXT_MAX_BYTES]
        if len(data) <= 50:
            self.send(self.mav.statustext_encode(severity, data, 0, 0))
            return
        self._statustext_id = self._statustext_id % 0xFFFF + 1
        for seq, start in enumerate(range(0, len(data) + 1, 50)):
            chunk = data[start : start + 50]
            self.send(self.mav.statustext_encode(severity, chunk, self._statustext_id, seq))

    @property
    def host(self) -> MissionHost:
        """This autopilot seen as the mission runner's host."""
        return cast("MissionHost", self)

    def _mission_changed(self, mission_type: int) -> None:
        items = self.mission.items[mission_type]
        name = {MISSION: "MIS_TOTAL", FENCE: "FENCE_TOTAL", RALLY: "RALLY_TOTAL"}[mission_type]
        self.params.force(name, len(items))
        if mission_type == MISSION:
            self.runner.mission_changed(self.host, items)

    # ------------------------------------------------------------------ geometry
    @property
    def behaviour(self) -> Behaviour:
        if self.mode == AUTO and self.runner.nav is not None:
            return self.runner.nav
        return self.nav

    @property
    def flying(self) -> bool:
        return self.armed and not self.frame.on_ground

    @property
    def home_up(self) -> float:
        return self.home[2] - self.origin[2]

    @property
    def alt_msl_m(self) -> float:
        return self.origin[2] + self.frame.up_m

    @property
    def alt_rel_m(self) -> float:
        return self.alt_msl_m - self.home[2]

    @property
    def failsafe_active(self) -> bool:
        return self.failsafes.active

    def latlon(self) -> tuple[float, float]:
        return offset_deg(self.origin[0], self.origin[1], self.frame.north_m, self.frame.east_m)

    def gps_latlon(self) -> tuple[float, float]:
        return offset_deg(
            self.origin[0],
            self.origin[1],
            self.frame.north_m + self.gps.err_n,
            self.frame.east_m + self.gps.err_e,
        )

    def local(self, lat: float, lon: float) -> tuple[float, float]:
        return ne_offset_m(self.origin[0], self.origin[1], lat, lon)

    def local_point(self, item: MissionItem) -> tuple[float, float, float]:
        f = self.frame
        n, e = (
            self.local(item.lat_deg, item.lon_deg) if item.has_position else (f.north_m, f.east_m)
        )
        if item.z == 0 and item.command not in (M.MAV_CMD_NAV_LAND, M.MAV_CMD_NAV_TAKEOFF):
            return n, e, f.up_m
        up = item.z - self.origin[2] if item.frame in MSL_FRAMES else self.home_up + item.z
        return n, e, up

    def cruise_m_s(self) -> float:
        return self.speed_override or self.params.get("WPNAV_SPEED") / 100

    def wp_radius_m(self) -> float:
        return self.params.get("WPNAV_RADIUS") / 100

    def rtl_point(self) -> tuple[float, float]:
        """Where RTL goes: home, or a nearer rally point (ArduPilot with RALLY_INCL_HOME=1)."""
        f = self.frame
        best = self.local(self.home[0], self.home[1])
        best_d = math.hypot(best[0] - f.north_m, best[1] - f.east_m)
        for item in self.mission.items[RALLY]:
            if not item.has_position:
                continue
            n, e = self.local(item.lat_deg, item.lon_deg)
            d = math.hypot(n - f.north_m, e - f.east_m)
            if d < best_d:
                best, best_d = (n, e), d
        return best

    def nav_context(self) -> NavContext:
        key = (self.params.version, self.speed_override, self.home)
        if self._nav_ctx is None or self._nav_ctx[0] != key:
            self._nav_ctx = (key, self._make_nav_context())
        return self._nav_ctx[1]

    def _make_nav_context(self) -> NavContext:
        p = self.params
        hn, he = self.local(self.home[0], self.home[1])
        return NavContext(
            self.frame,
            hn,
            he,
            self.home_up,
            self.cruise_m_s(),
            p.get("WPNAV_SPEED_DN") / 100,
            p.get("LAND_SPEED") / 100,
            p.get("LAND_ALT_LOW") / 100,
            p.get("RTL_ALT") / 100,
            p.get("RTL_ALT_FINAL") / 100,
            p.get("RTL_LOIT_TIME") / 1000,
            p.get("RTL_SPEED") / 100,
        )

    @property
    def last_setpoint(self) -> Setpoint | None:
        """What the position controller flew toward in the last step (None when disarmed)."""
        return self._last_sp

    def landed_state(self) -> int:
        climbing = self._last_sp is not None and self._last_sp.up_m > self.frame.up_m + 0.05
        if not self.armed or (self.frame.on_ground and not climbing):
            return int(M.MAV_LANDED_STATE_ON_GROUND)
        beh = self.behaviour
        if isinstance(beh, Takeoff) and not beh.done:
            return int(M.MAV_LANDED_STATE_TAKEOFF)
        if beh.landing:
            return int(M.MAV_LANDED_STATE_LANDING)
        return int(M.MAV_LANDED_STATE_IN_AIR)
