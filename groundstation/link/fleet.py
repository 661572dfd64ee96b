"""Links and the fleet: many vehicles per link, many links, one event loop.

A :class:`Link` owns one transport and one task group (station heartbeat at 1 Hz, the lost-link
watchdog, each vehicle's contact requests). A vehicle appears on its first HEARTBEAT and is
tracked from then on; frames from systems that have not sent one are counted, not trusted.
:class:`Fleet` opens every link and offers the vehicles by system id, plus one event stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.errors import UnknownVehicle
from groundstation.link.camera import PhotoTaken
from groundstation.link.codec import CodecStats, Decoder, Encoder
from groundstation.link.commands import CommandTiming
from groundstation.link.handle import DEFAULT_STREAMS_HZ, VehicleHandle
from groundstation.link.mission_client import MissionTiming
from groundstation.link.signing import SigningConfig
from groundstation.link.tlog import TlogWriter
from groundstation.link.transport import Backoff, Peer, Transport, open_transport, parse_url

Msg = Any
log = logging.getLogger(__name__)

_MAX_PEERS = 1024
_EVENT_QUEUE = 256


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """One connection: a pymavlink-style URL and, optionally, MAVLink 2 signing."""

    url: str
    signing_key: bytes | None = None
    reject_unsigned: bool = False

    def signing(self) -> SigningConfig | None:
        if self.signing_key is None:
            return None
        return SigningConfig(key=self.signing_key, reject_unsigned=self.reject_unsigned)


@dataclass(frozen=True, slots=True)
class FleetEvent:
    """Something that happened to a vehicle: appeared, lost, regained, statustext,
    mission_item_reached, mode_changed, photo (``photo`` holds it)."""

    kind: str
    sysid: int
    at_unix_s: float
    text: str = ""
    seq: int | None = None
    mode: str | None = None
    photo: PhotoTaken | None = None


@dataclass(slots=True)
class LinkCounters:
    """What the link saw that did not belong to a known vehicle."""

    unknown_system_frames: int = 0
    gcs_frames: int = 0


class EventBus:
    """Fan-out of events to subscribers, each with a bounded queue that drops its oldest."""

    def __init__(self, maxsize: int = _EVENT_QUEUE) -> None:
        self._maxsize = maxsize
        self._queues: set[asyncio.Queue[FleetEvent]] = set()
        self.dropped = 0

    def publish(self, event: FleetEvent) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[FleetEvent]:
        queue: asyncio.Queue[FleetEvent] = asyncio.Queue(self._maxsize)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)


class Link:
    """One transport, its decoders (one per peer), its vehicles and its task group."""

    def __init__(self, config: LinkConfig, fleet: Fleet) -> None:
        self.config = config
        self.url = config.url
        self._parsed = parse_url(config.url)
        self.fleet = fleet
        self.signing = config.signing()
        self.encoder = Encoder(fleet.system_id, fleet.component_id, self.signing)
        self.lost_after_s = fleet.lost_after_s
        self.command_timing = fleet.command_timing
        self.mission_timing = fleet.mission_timing
        self.streams_hz = dict(fleet.streams_hz)
        self.vehicles: dict[int, VehicleHandle] = {}
        self.counters = LinkCounters()
        self._decoders: dict[Peer, Decoder] = {}
        self._transport: Transport | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake_watchdog = asyncio.Event()
        self._tlog = TlogWriter(fleet.tlog_dir) if fleet.tlog_dir is not None else None

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            raise RuntimeError(f"link {self.url} is not open")
        return self._transport

    @property
    def local_address(self) -> Peer:
        return self.transport.local_address

    def decode_stats(self) -> CodecStats:
        total = CodecStats()
        for decoder in self._decoders.values():
            total.add(decoder.stats)
        return total

    async def __aenter__(self) -> Link:
        self._transport = await open_transport(
            self._parsed, self._on_data, self._on_connection, self.fleet.backoff
        )
        self._tg = asyncio.TaskGroup()
        await self._tg.__aenter__()
        self.spawn(self._heartbeat_loop(), name=f"heartbeat {self.url}")
        self.spawn(self._watchdog(), name=f"watchdog {self.url}")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._tg is not None
        for task in list(self._tasks):  # every task of this link, contact requests included
            task.cancel()
        try:
            # The body's own exception propagates unchanged (not wrapped in an ExceptionGroup);
            # the group only reports failures of the link's own tasks.
            await self._tg.__aexit__(None, None, None)
        finally:
            self.transport.close()
            if self._tlog is not None:
                self._tlog.close()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        if self._tg is None:
            coro.close()
            return
        task = self._tg.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- incoming -------------------------------------------------------------------------------

    def _on_data(self, data: bytes, peer: Peer, datagram: bool) -> None:
        decoder = self._decoders.get(peer)
        if decoder is None:
            if len(self._decoders) >= _MAX_PEERS:
                self._decoders.pop(next(iter(self._decoders)))
            decoder = self._decoders[peer] = Decoder(self.signing)
        now = time.monotonic()
        for msg in decoder.feed(data, datagram=datagram):
            self._dispatch(msg, peer, now)

    def _on_connection(self, up: bool, peer: Peer) -> None:
        """A TCP link went down or came back (the transport reconnects by itself).

        Down: the vehicles behind it are lost at once rather than after ``lost_after_s`` of
        silence, and the half-read frame is dropped. Back: nothing yet; the first frame from a
        vehicle regains it, which asks for its streams again (a rebooted autopilot has forgotten
        them), even when the outage was shorter than ``lost_after_s``.
        """
        self._decoders.pop(peer, None)
        if up:
            return
        for vehicle in self.vehicles.values():
            if vehicle.peer == peer and vehicle.health.mark_lost():
                self.emit("lost", vehicle, text="connection closed")
                vehicle.lost_changed()
        self._wake_watchdog.set()

    def _dispatch(self, msg: Msg, peer: Peer, now: float) -> None:
        header = msg.get_header()
        sysid = header.srcSystem
        vehicle = self.vehicles.get(sysid)
        if vehicle is None:
            if msg.get_type() != "HEARTBEAT":
                self.counters.unknown_system_frames += 1
                return
            if msg.type == mavlink.MAV_TYPE_GCS or msg.autopilot == mavlink.MAV_AUTOPILOT_INVALID:
                self.counters.gcs_frames += 1
                return
            vehicle = self._add_vehicle(sysid, header.srcComponent, peer)
            if vehicle is None:
                self.counters.unknown_system_frames += 1
                return
        vehicle.peer = peer
        if self._tlog is not None:
            self._tlog.write(sysid, bytes(msg.get_msgbuf()))
        vehicle.handle(msg, now)

    def _add_vehicle(self, sysid: int, compid: int, peer: Peer) -> VehicleHandle | None:
        if sysid in self.fleet.vehicles:  # same system id already on another link
            log.warning("system id %d on %s already belongs to another link", sysid, self.url)
            return None
        vehicle = VehicleHandle(self, sysid, compid, peer)
        self.vehicles[sysid] = vehicle
        self.fleet._register(vehicle)
        self._wake_watchdog.set()
        self.emit("appeared", vehicle)
        self.spawn(vehicle.on_contact(), name=f"contact {sysid}")
        return vehicle

    def vehicle_regained(self, vehicle: VehicleHandle) -> None:
        self.emit("regained", vehicle)
        self._wake_watchdog.set()
        self.spawn(vehicle.on_contact(), name=f"contact {vehicle.sysid}")

    def emit(
        self,
        kind: str,
        vehicle: VehicleHandle,
        text: str = "",
        seq: int | None = None,
        mode: str | None = None,
        photo: PhotoTaken | None = None,
    ) -> None:
        event = FleetEvent(kind, vehicle.sysid, time.time(), text, seq, mode, photo)
        self.fleet.bus.publish(event)

    # --- outgoing -------------------------------------------------------------------------------

    def send_to(self, vehicle: VehicleHandle, msg: Msg) -> None:
        data = self.encoder.encode(msg)
        self.transport.send(data, vehicle.peer)
        if self._tlog is not None:
            self._tlog.write(vehicle.sysid, data)

    def broadcast(self, msg: Msg) -> None:
        data = self.encoder.encode(msg)
        self.transport.send(data, None)
        if self._tlog is not None:
            for sysid in self.vehicles:
                self._tlog.write(sysid, data)

    # --- tasks ----------------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            self.broadcast(
                self.encoder.mav.heartbeat_encode(
                    mavlink.MAV_TYPE_GCS,
                    mavlink.MAV_AUTOPILOT_INVALID,
                    0,
                    0,
                    mavlink.MAV_STATE_ACTIVE,
                )
            )
            if self._tlog is not None:
                self._tlog.flush()
            next_at += 1.0
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def _watchdog(self) -> None:
        """Sleep until the earliest vehicle deadline, mark lost; woken when deadlines change."""
        while True:
            now = time.monotonic()
            deadlines: list[float] = []
            for vehicle in self.vehicles.values():
                if vehicle.health.check_lost(now):
                    self.emit("lost", vehicle)
                    vehicle.lost_changed()
                deadline = vehicle.health.deadline()
                if deadline is not None:
                    deadlines.append(deadline)
            self._wake_watchdog.clear()
            timeout = (min(deadlines) - time.monotonic()) if deadlines else None
            try:
                async with asyncio.timeout(None if timeout is None else max(0.0, timeout) + 0.01):
                    await self._wake_watchdog.wait()
            except TimeoutError:
                pass


class Fleet:
    """Every link and every vehicle. ``async with Fleet(...)`` starts them all."""

    def __init__(
        self,
        links: Sequence[LinkConfig],
        lost_after_s: float = 3.0,
        tlog_dir: Path | str | None = None,
        *,
        system_id: int = 255,
        component_id: int = 190,
        streams_hz: Mapping[int, float] | None = None,
        command_timing: CommandTiming | None = None,
        mission_timing: MissionTiming | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        if not links:
            raise ValueError("a fleet needs at least one link")
        if lost_after_s <= 0:
            raise ValueError(f"lost_after_s must be > 0, got {lost_after_s}")
        self.lost_after_s = lost_after_s
        self.tlog_dir = Path(tlog_dir) if tlog_dir is not None else None
        self.system_id = system_id
        self.component_id = component_id
        self.streams_hz = dict(streams_hz if streams_hz is not None else DEFAULT_STREAMS_HZ)
        self.command_timing = command_timing or CommandTiming()
        self.mission_timing = mission_timing or MissionTiming()
        self.backoff = backoff or Backoff()
        self.bus = EventBus()
        self._vehicles: dict[int, VehicleHandle] = {}
        self.links = [Link(config, self) for config in links]  # parses URLs: bad ones fail here
        self._stack: AsyncExitStack | None = None
        self._appeared: asyncio.Event | None = None

    @property
    def vehicles(self) -> Mapping[int, VehicleHandle]:
        """Vehicles heard so far, by system id (read-only view)."""
        return self._vehicles

    def vehicle(self, sysid: int) -> VehicleHandle:
        """The vehicle with this system id; :class:`UnknownVehicle` if never heard."""
        try:
            return self._vehicles[sysid]
        except KeyError:
            raise UnknownVehicle(sysid) from None

    def _register(self, vehicle: VehicleHandle) -> None:
        self._vehicles[vehicle.sysid] = vehicle
        if self._appeared is not None:
            self._appeared.set()

    async def new_vehicles(self) -> AsyncIterator[int]:
        """System ids of the vehicles already known, then of each new one as it appears."""
        seen: set[int] = set()
        while True:
            assert self._appeared is not None, "use inside 'async with fleet'"
            self._appeared.clear()
            for sysid in list(self._vehicles):
                if sysid not in seen:
                    seen.add(sysid)
                    yield sysid
            if all(s in seen for s in self._vehicles):
                await self._appeared.wait()

    def events(self) -> AsyncIterator[FleetEvent]:
        """Every event on every link from now on (bounded: a slow reader loses the oldest)."""
        return self.bus.subscribe()

    async def wait_for_vehicles(self, count: int, timeout_s: float) -> list[int]:
        """Wait until ``count`` vehicles are known; their system ids, sorted."""
        async with asyncio.timeout(timeout_s):
            async for _ in self.new_vehicles():
                if len(self._vehicles) >= count:
                    break
        return sorted(self._vehicles)

    async def __aenter__(self) -> Fleet:
        self._appeared = asyncio.Event()
        async with AsyncExitStack() as stack:
            for link in self.links:
                await stack.enter_async_context(link)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            await self._stack.__aexit__(exc_type, exc, tb)
            self._stack = None
