"""One vehicle as the rest of the station sees it: its state, its telemetry, its commands.

A :class:`VehicleHandle` is created by its link on the vehicle's first heartbeat and lives as
long as the fleet. ``handle(msg)`` is called for every frame from the vehicle; everything else is
coroutines for the pilot's and the patrol service's commands.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.errors import (
    CommandError,
    CommandRejected,
    CommandUnsupported,
    LinkError,
    LinkTimeout,
)
from groundstation.link.camera import PHOTO_MESSAGES, PhotoReports, PhotoTaken
from groundstation.link.codec import Encoder, MavMessage
from groundstation.link.command_protocol import AckRouter, CommandSender, CommandTiming
from groundstation.link.health import HealthTracker
from groundstation.link.mission_client import MissionClient, MissionTiming
from groundstation.link.modes import AUTOPILOT_ARDUPILOT, NOT_ARMABLE, set_mode_params
from groundstation.link.signing import SigningConfig, signing_timestamp
from groundstation.link.statustext import StatusTextAssembler
from groundstation.link.stored_form import Autopilot
from groundstation.link.transport import Peer
from groundstation.link.vehicle import LatestValue, Position, StateBuilder, VehicleState

T = TypeVar("T")
log = logging.getLogger(__name__)
_UNSET = object()

_MISSION_MESSAGES = frozenset(
    {
        "MISSION_REQUEST",
        "MISSION_REQUEST_INT",
        "MISSION_ACK",
        "MISSION_COUNT",
        "MISSION_ITEM",
        "MISSION_ITEM_INT",
        "MISSION_CURRENT",
    }
)

#: Messages asked for on every contact, and their rates.
DEFAULT_STREAMS_HZ: dict[int, float] = {
    33: 5.0,  # GLOBAL_POSITION_INT
    30: 5.0,  # ATTITUDE
    74: 2.0,  # VFR_HUD
    1: 1.0,  # SYS_STATUS
    24: 1.0,  # GPS_RAW_INT
    245: 1.0,  # EXTENDED_SYS_STATE
    42: 1.0,  # MISSION_CURRENT
}

#: Asked for after those, each on its own: a vehicle without them refuses only that one.
OPTIONAL_STREAMS_HZ: dict[int, float] = {
    168: 1.0,  # WIND (ArduPilot's wind estimate)
    147: 1.0,  # BATTERY_STATUS: charge consumed, for learning the battery's use (not in SYS_STATUS)
}

_CONTACT_TIMING = CommandTiming(ack_timeout_s=0.5, retries=2, in_progress_timeout_s=5.0)


class HandleLink(Protocol):
    """What a vehicle's handle needs of the link it was heard on (``fleet.Link`` is one): the
    link's encoder, settings and signing, a way to send, and a way to report events."""

    @property
    def url(self) -> str: ...
    @property
    def encoder(self) -> Encoder: ...
    @property
    def signing(self) -> SigningConfig | None: ...
    @property
    def lost_after_s(self) -> float: ...
    @property
    def command_timing(self) -> CommandTiming: ...
    @property
    def mission_timing(self) -> MissionTiming: ...
    @property
    def streams_hz(self) -> dict[int, float]: ...

    def send_to(
        self, vehicle: VehicleHandle, msg: MavMessage, *, enrolment: bool = False
    ) -> None: ...

    def vehicle_regained(self, vehicle: VehicleHandle) -> None: ...

    def emit(
        self,
        kind: str,
        vehicle: VehicleHandle,
        text: str = "",
        seq: int | None = None,
        mode: str | None = None,
        photo: PhotoTaken | None = None,
    ) -> None: ...


class VehicleHandle:
    """A vehicle on a link: state, telemetry iterators and commands that wait for their ACK."""

    def __init__(self, link: HandleLink, sysid: int, compid: int, peer: Peer) -> None:
        self._link = link
        self._sysid = sysid
        self._compid = compid
        self.peer = peer
        self.builder = StateBuilder(sysid, compid)
        self.health = HealthTracker(link.lost_after_s)
        self._topic: LatestValue[VehicleState] = LatestValue(lambda: self.state)
        self._texts: deque[tuple[float, str]] = deque(maxlen=20)
        self.statustexts = StatusTextAssembler()
        self._inbox: asyncio.Queue[MavMessage] | None = None
        self.router = AckRouter()
        self.commands = CommandSender(
            link.encoder.mav,
            self.send_message,
            self.router,
            (sysid, compid),
            link.encoder.system,
            self._texts_since,
            link.command_timing,
        )
        self.photos = PhotoReports()
        self.missions = MissionClient(self, link.mission_timing)
        # Mission calls under the names MAVSDK's mission_raw uses: upload_mission(items,
        # mission_type, progress, verify) etc., see :class:`MissionClient`.
        self.upload_mission = self.missions.upload
        self.download_mission = self.missions.download
        self.clear_mission = self.missions.clear
        self.set_current_item = self.missions.set_current
        self.stream_requests = 0  # times telemetry streams were (re-)requested
        #: flight modes the station asked for, and when (monotonic): a change to one of them
        #: soon after is the station's, not a failsafe (groundstation.safety)
        self.mode_requests: dict[str, float] = {}
        self.frames_in = 0
        self.other_component_frames = 0
        #: called with every message from another component of this system (a camera, a
        #: gimbal): how :mod:`groundstation.video.camera_client` hears the camera protocol
        self.component_listeners: list[Callable[[MavMessage], None]] = []

    # --- identity (also the MissionPort protocol) ---------------------------------------------

    @property
    def sysid(self) -> int:
        return self._sysid

    @property
    def compid(self) -> int:
        return self._compid

    @property
    def own_system(self) -> int:
        return self._link.encoder.system

    @property
    def is_ardupilot(self) -> bool:
        return self.builder.autopilot_code in (AUTOPILOT_ARDUPILOT, 0)

    @property
    def stored_rules(self) -> Autopilot:
        """Whose rules say what the vehicle keeps of a mission item (verification)."""
        return Autopilot.of(self.builder.autopilot_code, int(self.builder.f.get("vehicle_type", 0)))

    @property
    def supports_mission_int(self) -> bool:
        """False only if its AUTOPILOT_VERSION lacks MAV_PROTOCOL_CAPABILITY_MISSION_INT."""
        caps = self.builder.capabilities
        return caps is None or bool(caps & mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT)

    @property
    def mav(self) -> Any:
        return self._link.encoder.mav

    @property
    def is_lost(self) -> bool:
        return self.health.is_lost

    def send_message(self, msg: MavMessage) -> None:
        self._link.send_to(self, msg)

    @asynccontextmanager
    async def mission_inbox(self) -> AsyncIterator[asyncio.Queue[MavMessage]]:
        queue: asyncio.Queue[MavMessage] = asyncio.Queue()
        self._inbox = queue
        try:
            yield queue
        finally:
            if self._inbox is queue:
                self._inbox = None

    # --- incoming -------------------------------------------------------------------------------

    def handle(self, msg: MavMessage, now: float) -> None:
        """Fold one message from this vehicle into state, health, ACKs and mission transfers."""
        self.frames_in += 1
        header = msg.get_header()
        if self.health.on_frame(header.srcComponent, header.seq, now):
            self._link.vehicle_regained(self)
        kind = msg.get_type()
        if header.srcComponent != self._compid:
            for listener in self.component_listeners:
                listener(msg)
        if kind in PHOTO_MESSAGES:  # from the autopilot or from a camera component
            photo = self.photos.photo_of(msg, time.time(), self.builder.check)
            if photo is not None:
                self._link.emit("photo", self, seq=photo.index, photo=photo)
            return
        if self.statustexts.pending:
            self._publish_texts(self.statustexts.expire(now), now)
        if header.srcComponent != self._compid:
            # Another component of this system (camera, gimbal, companion): it keeps the link
            # alive and may answer its own commands, but it does not describe the vehicle.
            if kind == "COMMAND_ACK":
                self.router.handle_ack(self._sysid, header.srcComponent, msg, self.own_system)
            self.other_component_frames += 1
            return
        if kind == "HEARTBEAT":
            old_mode = self.builder.f.get("mode")
            self.builder.apply(msg)
            new_mode = self.builder.f["mode"]
            if old_mode is not None and new_mode != old_mode:
                self._link.emit(
                    "mode_changed", self, mode=new_mode, text=f"{old_mode} -> {new_mode}"
                )
        elif kind == "COMMAND_ACK":
            self.router.handle_ack(self._sysid, header.srcComponent, msg, self.own_system)
            return
        elif kind in _MISSION_MESSAGES:
            if self._inbox is not None:
                self._inbox.put_nowait(msg)
            if kind != "MISSION_CURRENT":
                return
            self.builder.apply(msg)
        elif kind == "STATUSTEXT":
            self._publish_texts(self.statustexts.feed(msg, now), now)
            return
        elif kind == "MISSION_ITEM_REACHED":
            self._link.emit("mission_item_reached", self, seq=int(msg.seq))
            return
        elif not self.builder.apply(msg):
            return
        self._topic.changed()

    def _publish_texts(self, texts: list[tuple[int, str]], now: float) -> None:
        for _severity, text in texts:
            self.builder.statustext(text)
            self._texts.append((now, text))
            self._link.emit("statustext", self, text=text)
        if texts:
            self._topic.changed()

    def _texts_since(self, since: float) -> str:
        return "; ".join(text for at, text in self._texts if at >= since)

    def lost_changed(self) -> None:
        """Called by the link's watchdog when this vehicle goes silent."""
        self._topic.changed()

    # --- telemetry ------------------------------------------------------------------------------

    @property
    def state(self) -> VehicleState:
        """The current snapshot (immutable; a new one on every read)."""
        now = time.monotonic()
        return self.builder.build(self.health.snapshot(now), now)

    def states(self) -> AsyncIterator[VehicleState]:
        """Snapshots as they change; a slow reader gets the newest, not a backlog."""
        return self._topic.subscribe()

    async def watch(self, select: Callable[[VehicleState], T]) -> AsyncIterator[T]:
        """One field of the state (``lambda s: s.position``), yielded only when it changes."""
        states = self.states()
        last: object = _UNSET
        try:
            async for st in states:
                value = select(st)
                if value != last:
                    last = value
                    yield value
        finally:
            await states.aclose()  # type: ignore[attr-defined]

    def positions(self) -> AsyncIterator[Position | None]:
        """Position updates (MAVSDK's ``telemetry.position()``)."""
        return self.watch(lambda s: s.position)

    def flight_modes(self) -> AsyncIterator[str]:
        """Flight-mode changes by station name."""
        return self.watch(lambda s: s.mode)

    async def wait_for(
        self, predicate: Callable[[VehicleState], bool], timeout_s: float
    ) -> VehicleState:
        """The first state satisfying ``predicate``; :class:`LinkTimeout` after ``timeout_s``."""
        states = self.states()
        try:
            async with asyncio.timeout(timeout_s):
                async for st in states:
                    if predicate(st):
                        return st
        except TimeoutError:
            raise LinkTimeout(
                f"vehicle {self._sysid}: condition not met within {timeout_s} s"
            ) from None
        finally:
            await states.aclose()  # type: ignore[attr-defined]
        raise AssertionError("unreachable: states() never ends")

    # --- contact: streams, version, home ----------------------------------------------------------

    async def on_contact(self) -> None:
        """Ask for telemetry streams, AUTOPILOT_VERSION and home (first contact and regain)."""
        self.stream_requests += 1
        try:
            if await self.request_streams(self._link.streams_hz):
                await self.request_optional_streams(OPTIONAL_STREAMS_HZ)
            await self._request_message(
                mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION,
                mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES,
            )
            await self._request_message(
                mavlink.MAVLINK_MSG_ID_HOME_POSITION, mavlink.MAV_CMD_GET_HOME_POSITION
            )
        except LinkError as exc:
            log.info("vehicle %d: contact requests incomplete: %s", self._sysid, exc)

    async def request_streams(self, streams_hz: dict[int, float]) -> bool:
        """SET_MESSAGE_INTERVAL per message; REQUEST_DATA_STREAM if the vehicle refuses it.

        True if SET_MESSAGE_INTERVAL worked, False if the legacy streams were asked for.
        """
        try:
            for msgid, hz in streams_hz.items():
                await self.commands.long(
                    mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, msgid, 1e6 / hz, timing=_CONTACT_TIMING
                )
        except (CommandUnsupported, LinkTimeout) as exc:
            log.info(
                "vehicle %d: SET_MESSAGE_INTERVAL failed (%s); legacy streams", self._sysid, exc
            )
            rate = max(1, round(max(streams_hz.values(), default=4.0)))
            for _ in range(2):
                self.send_message(
                    self.mav.request_data_stream_encode(
                        self._sysid, self._compid, mavlink.MAV_DATA_STREAM_ALL, rate, 1
                    )
                )
            return False
        return True

    async def request_optional_streams(self, streams_hz: dict[int, float]) -> None:
        """SET_MESSAGE_INTERVAL for messages not every autopilot has; a refusal is only logged."""
        for msgid, hz in streams_hz.items():
            try:
                await self.commands.long(
                    mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, msgid, 1e6 / hz, timing=_CONTACT_TIMING
                )
            except (CommandError, LinkTimeout) as exc:
                log.info("vehicle %d: no stream of message %d (%s)", self._sysid, msgid, exc)

    async def _request_message(self, msgid: int, legacy_command: int) -> None:
        try:
            await self.commands.long(mavlink.MAV_CMD_REQUEST_MESSAGE, msgid, timing=_CONTACT_TIMING)
        except CommandUnsupported:
            await self.commands.long(legacy_command, 1, timing=_CONTACT_TIMING)

    # --- commands -------------------------------------------------------------------------------

    async def arm(self, force: bool = False) -> None:
        """Arm the motors; :class:`CommandError` with the autopilot's reason if refused."""
        await self.commands.long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1, 21196 if force else 0)

    async def arm_to_fly(self) -> None:
        """Arm to fly under the station's control. ArduCopter refuses to arm in RTL, LAND or
        AUTO ("Arm: Mode RTL not armable", a drone that landed there): it is switched to GUIDED
        first, where the station's takeoff and go-to fly anyway."""
        if self.is_ardupilot and self.state.mode in NOT_ARMABLE:
            await self.set_mode("GUIDED")
        await self.arm()

    async def disarm(self, force: bool = False) -> None:
        await self.commands.long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0, 21196 if force else 0)

    async def set_mode(self, name: str) -> None:
        """Switch flight mode by station name (``AUTO``, ``GUIDED``, ``RTL`` ...)."""
        params = set_mode_params(self.builder.autopilot_code, name)
        self.mode_requests[name] = time.monotonic()
        await self.commands.long(mavlink.MAV_CMD_DO_SET_MODE, *params)

    async def takeoff(self, alt_m: float) -> None:
        """Take off to ``alt_m`` above home (ArduPilot: switches to GUIDED first)."""
        if alt_m <= 0:
            raise ValueError(f"takeoff altitude must be > 0 m, got {alt_m}")
        if self.is_ardupilot and self.builder.f.get("mode") != "GUIDED":
            await self.set_mode("GUIDED")
        await self.commands.long(
            mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, math.nan, math.nan, math.nan, alt_m
        )

    async def start_mission(self) -> None:
        """Fly the uploaded mission: AUTO, then MISSION_START (needed on the ground)."""
        await self.set_mode("AUTO")
        try:
            await self.commands.long(mavlink.MAV_CMD_MISSION_START, 0, 0)
        except CommandUnsupported:
            log.info("vehicle %d: MISSION_START unsupported; AUTO mode alone", self._sysid)

    async def pause(self) -> None:
        """Hold position (DO_PAUSE_CONTINUE 0, else LOITER); the state says ``paused`` until a
        continue, a mode change or a disarm."""
        try:
            await self.commands.long(mavlink.MAV_CMD_DO_PAUSE_CONTINUE, 0)
        except (CommandUnsupported, CommandRejected):
            await self.set_mode("LOITER")
            self.builder.pause_started("LOITER")
        else:
            self.builder.pause_started()
        self._topic.changed()

    async def resume(self) -> None:
        """Continue the mission after :meth:`pause`."""
        try:
            await self.commands.long(mavlink.MAV_CMD_DO_PAUSE_CONTINUE, 1)
        except (CommandUnsupported, CommandRejected):
            await self.set_mode("AUTO")
        self.builder.pause_ended()
        self._topic.changed()

    async def goto(self, lat_deg: float, lon_deg: float, alt_rel_m: float) -> None:
        """Fly to a point (DO_REPOSITION; guided SET_POSITION_TARGET_GLOBAL_INT if unsupported)."""
        if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
            raise ValueError(f"goto position out of range: lat {lat_deg}, lon {lon_deg}")
        x, y = round(lat_deg * 1e7), round(lon_deg * 1e7)
        self.mode_requests["GUIDED"] = time.monotonic()  # ArduCopter repositions in GUIDED
        try:
            await self.commands.int_(
                mavlink.MAV_CMD_DO_REPOSITION,
                mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                [-1, 1, 0, math.nan],
                x,
                y,
                alt_rel_m,
            )
        except CommandUnsupported:
            if self.builder.f.get("mode") != "GUIDED":
                await self.set_mode("GUIDED")
            type_mask = 0b0000_1111_1111_1000  # position only
            self.send_message(
                self.mav.set_position_target_global_int_encode(
                    0,
                    self._sysid,
                    self._compid,
                    mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                    type_mask,
                    x,
                    y,
                    alt_rel_m,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                )
            )

    async def change_speed(self, speed_m_s: float) -> None:
        """Set the ground speed for the mission / guided legs."""
        if speed_m_s <= 0:
            raise ValueError(f"speed must be > 0 m/s, got {speed_m_s}")
        await self.commands.long(mavlink.MAV_CMD_DO_CHANGE_SPEED, 1, speed_m_s, -1, 0)

    async def rtl(self) -> None:
        """Return to launch."""
        self.mode_requests["RTL"] = time.monotonic()
        await self.commands.long(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH)

    async def land(self) -> None:
        """Land where it is."""
        self.mode_requests["LAND"] = time.monotonic()
        await self.commands.long(mavlink.MAV_CMD_NAV_LAND, 0, 0, 0, math.nan, math.nan, math.nan, 0)

    async def setup_signing(self, repeats: int = 3) -> None:
        """Send the link's signing key to the vehicle (SETUP_SIGNING; it has no ACK)."""
        signing = self._link.signing
        if signing is None:
            raise LinkError(f"link {self._link.url} has no signing key to send")
        msg = self.mav.setup_signing_encode(
            self._sysid, self._compid, list(signing.key), signing_timestamp()
        )
        for _ in range(repeats):
            self.send_message(msg)
            await asyncio.sleep(0)
