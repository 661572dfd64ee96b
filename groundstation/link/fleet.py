"""Links and the fleet: many vehicles per link, many links, one event loop.

A :class:`Link` owns one transport and one task group (station heartbeat at 1 Hz, the lost-link
watchdog, each vehicle's contact requests). A vehicle appears on its first HEARTBEAT once its
system id is admitted (:mod:`groundstation.link.admission`: every system on an open fleet, only
accepted ones otherwise; others are listed in ``Fleet.heard``). From then on its frames must come
from its address and, once it has a key, carry its signature; anything else is dropped and
counted, and an address change holds its commands until a pilot confirms it.
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

from groundstation.errors import LinkError, LinkTimeout, UnknownVehicle, VehicleHeld
from groundstation.link.admission import MAX_HEARD, AddressGuard, Admission, HeardSystem
from groundstation.link.camera import PhotoTaken
from groundstation.link.codec import CodecStats, Decoder, Encoder, MavMessage
from groundstation.link.command_protocol import CommandTiming
from groundstation.link.control import CommandHold, commands_vehicle
from groundstation.link.handle import DEFAULT_STREAMS_HZ, VehicleHandle
from groundstation.link.mission_client import MissionTiming
from groundstation.link.signing import SigningClock, SigningConfig, Verdict, is_signed
from groundstation.link.tlog import TlogWriter
from groundstation.link.transport import Backoff, Peer, Transport, open_transport, parse_url

log = logging.getLogger(__name__)

_MAX_PEERS = 1024
_EVENT_QUEUE = 256
#: At most one "frames dropped" event per vehicle and source address in this many seconds.
_DROP_EVENT_EVERY_S = 30.0
#: After a key change, frames under the old key (or unsigned ones) are taken this long.
KEY_CHANGE_GRACE_S = 10.0


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
    mission_item_reached, mode_changed, photo (``photo`` holds it); and on the link's guard:
    unknown_heard (a system not in the fleet), address_changed (commands held),
    address_rebound, frames_dropped (unsigned, badly signed or replayed frames)."""

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
    signed_ok: int = 0  # frames whose signature checked out


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
        self.link_id = len(fleet.links)  # the signing link id: this link's index in the fleet
        self.encoder = Encoder(fleet.system_id, fleet.component_id, self.signing)
        self.clock = SigningClock()
        self.guards: dict[int, AddressGuard] = {}
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
            decoder = self._decoders[peer] = Decoder()  # signatures: checked per vehicle
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

    def _dispatch(self, msg: MavMessage, peer: Peer, now: float) -> None:
        header = msg.get_header()
        sysid = header.srcSystem
        vehicle = self.vehicles.get(sysid)
        if vehicle is None:
            vehicle = self._first_frame(msg, peer, now)
            if vehicle is None:
                return
        guard = self.guards[sysid]
        if not self._signature_ok(vehicle, guard, msg, peer):
            return
        if peer != guard.bound and not self._address_ok(vehicle, guard, peer, now):
            return
        guard.bound_heard_at = now
        if self._tlog is not None:
            self._tlog.write(sysid, bytes(msg.get_msgbuf()))
        vehicle.handle(msg, now)
        guard.frames += 1
        if guard.frames == 1:  # accepted before it was heard here: now it has a deadline
            self._wake_watchdog.set()

    def _first_frame(self, msg: MavMessage, peer: Peer, now: float) -> VehicleHandle | None:
        """A frame from a system with no handle on this link: a new vehicle, if admitted."""
        header = msg.get_header()
        sysid = header.srcSystem
        if msg.get_type() != "HEARTBEAT":
            self.counters.unknown_system_frames += 1
            return None
        if msg.type == mavlink.MAV_TYPE_GCS or msg.autopilot == mavlink.MAV_AUTOPILOT_INVALID:
            self.counters.gcs_frames += 1
            return None
        if sysid in self.fleet.vehicles:  # same system id already on another link
            log.warning("system id %d on %s already belongs to another link", sysid, self.url)
            self.counters.unknown_system_frames += 1
            return None
        if not self.fleet.admission.admits(sysid):
            self.counters.unknown_system_frames += 1
            self.fleet._heard(self, msg, peer)
            return None
        return self._add_vehicle(sysid, header.srcComponent, peer, now)

    def _signature_ok(
        self, vehicle: VehicleHandle, guard: AddressGuard, msg: MavMessage, peer: Peer
    ) -> bool:
        keys, unsigned_ok = self.frame_policy(vehicle.sysid)
        if not keys and unsigned_ok:
            guard.key_confirmed.set()
            return True
        verdict, index = guard.verifier.check(
            bytes(msg.get_msgbuf()), msg.get_msgId(), keys, unsigned_ok
        )
        if verdict is Verdict.OK and index == -1 and keys and peer != guard.bound:
            verdict = Verdict.UNSIGNED  # unsigned passes in a key change's grace: from home only
        if verdict is Verdict.OK:
            self.counters.signed_ok += index >= 0
            if index == 0 or (index == -1 and not keys):
                guard.key_confirmed.set()
            return True
        counters = guard.counters
        if verdict is Verdict.UNSIGNED:
            counters.unsigned += 1
        elif verdict is Verdict.REPLAYED:
            counters.replayed += 1
        else:
            counters.bad_signature += 1
        now = time.monotonic()
        if now - guard.last_drop_alert.get(peer, -1e9) >= _DROP_EVENT_EVERY_S:
            if len(guard.last_drop_alert) >= 64:  # a flood of source ports: keep it bounded
                guard.last_drop_alert.clear()
            guard.last_drop_alert[peer] = now
            text = (
                f"{verdict.value.replace('_', ' ')} frame ({msg.get_type()}) with its system id"
                f" from {peer[0]}:{peer[1]} dropped"
            )
            self.emit("frames_dropped", vehicle, text=text)
        return False

    def frame_policy(self, sysid: int) -> tuple[list[bytes], bool]:
        """Keys a frame from ``sysid`` may carry and whether unsigned ones pass (see Admission);
        a vehicle without a key of its own uses the link's key, if the link has one."""
        keys, unsigned_ok = self.fleet.admission.frame_policy(sysid)
        if not keys and self.signing is not None:
            return [self.signing.key], not self.signing.reject_unsigned
        return keys, unsigned_ok

    def _address_ok(
        self, vehicle: VehicleHandle, guard: AddressGuard, peer: Peer, now: float
    ) -> bool:
        """A good frame from another address: rebind only once the old address is silent."""
        if peer in guard.refused:
            guard.counters.foreign_address += 1
            return False
        silent_s = now - guard.bound_heard_at
        if silent_s >= self.fleet.admission.rebind_after_s:
            old = guard.bound
            self.rebind(vehicle, peer)
            self.emit(
                "address_rebound",
                vehicle,
                text=f"address {_addr(old)} -> {_addr(peer)} (old address silent {silent_s:.0f} s)",
            )
            return True
        guard.counters.foreign_address += 1
        if guard.pending != peer:
            guard.pending = peer
            guard.pending_since_unix = time.time()
            guard.counters.address_changes += 1
            self.emit(
                "address_changed",
                vehicle,
                text=f"frames from {_addr(peer)}, not its address {_addr(guard.bound)}:"
                " commands held until a pilot confirms the new address",
            )
        return False

    def rebind(self, vehicle: VehicleHandle, peer: Peer) -> None:
        """Make ``peer`` the vehicle's address (a pilot confirmed it, or the old one is silent)."""
        guard = self.guards[vehicle.sysid]
        guard.bound = vehicle.peer = peer
        guard.bound_heard_at = time.monotonic()
        guard.pending = guard.pending_since_unix = None
        guard.refused.discard(peer)

    def _add_vehicle(
        self, sysid: int, compid: int, peer: Peer, now: float | None = None
    ) -> VehicleHandle:
        vehicle = VehicleHandle(self, sysid, compid, peer)
        self.guards[sysid] = AddressGuard(peer, time.monotonic() if now is None else now)
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

    def send_to(self, vehicle: VehicleHandle, msg: MavMessage, *, enrolment: bool = False) -> None:
        """Send ``msg`` to the vehicle, signed with its key; :class:`VehicleHeld` if held (a
        vehicle another station commands gets only the messages that watch it)."""
        hold = self.link_hold_reason(vehicle.sysid, enrolment=enrolment)
        if hold is None and commands_vehicle(msg) and vehicle.sysid in self.fleet.command_holds:
            hold = self.fleet.command_holds[vehicle.sysid].reason
        if hold is not None:
            raise VehicleHeld(vehicle.sysid, hold)
        data = self._encode(msg, vehicle.sysid)
        self.transport.send(data, vehicle.peer)
        if self._tlog is not None:
            self._tlog.write(vehicle.sysid, data)

    def hold_reason(self, sysid: int, *, enrolment: bool = False) -> str | None:
        """Why no command may be sent to ``sysid`` now (another station commands it, its
        address changed, it is not enrolled), or None."""
        held = self.fleet.command_holds.get(sysid)
        if held is not None:
            return held.reason
        return self.link_hold_reason(sysid, enrolment=enrolment)

    def link_hold_reason(self, sysid: int, *, enrolment: bool = False) -> str | None:
        """Why the link sends ``sysid`` nothing but what watches it: an address change, not
        enrolled (whoever commands the vehicle), or None."""
        guard = self.guards.get(sysid)
        if guard is not None and guard.pending is not None:
            return (
                f"frames with its system id came from {_addr(guard.pending)}, not its address"
                f" {_addr(guard.bound)}; a pilot must confirm or refuse the new address"
            )
        admission = self.fleet.admission
        if (
            not enrolment
            and admission.require_signing
            and admission.key_of(sysid) is None
            and self.signing is None
        ):
            return "not enrolled for MAVLink signing (the station requires it): enrol it first"
        return None

    def _encode(self, msg: MavMessage, sysid: int | None) -> bytes:
        key = self.fleet.admission.key_of(sysid) if sysid is not None else None
        if key is None:
            return self.encoder.encode(msg)  # the link's own signing, if any
        return self.encoder.encode_for(msg, key, self.clock.next(), self.link_id)

    def broadcast(self, msg: MavMessage) -> None:
        """Send ``msg`` to every peer: signed for each keyed vehicle, once unsigned (or with the
        link's key) for peers with other vehicles or none yet."""
        keyed: dict[Peer, list[int]] = {}
        plain: set[Peer] = set()
        for sysid, vehicle in self.vehicles.items():
            if self.fleet.admission.key_of(sysid) is not None:
                keyed.setdefault(vehicle.peer, []).append(sysid)
            else:
                plain.add(vehicle.peer)
        for peer in self.transport.peers:
            if peer not in keyed or peer in plain:
                self.transport.send(self.encoder.encode(msg), peer)
        for peer, sysids in keyed.items():
            for sysid in sysids:
                self.transport.send(self._encode(msg, sysid), peer)
        if self._tlog is not None:
            data = self.encoder.encode(msg)
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


def _addr(peer: Peer) -> str:
    return f"{peer[0]}:{peer[1]}"


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
        admission: Admission | None = None,
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
        self.admission = admission or Admission()
        self.heard: dict[int, HeardSystem] = {}  # systems heard but not admitted, by sysid
        #: vehicles another station commands (handed over, or never ours), and which: only
        #: messages that watch them are sent (groundstation.link.control)
        self.command_holds: dict[int, CommandHold] = {}
        self._vehicles: dict[int, VehicleHandle] = {}
        self._link_of: dict[int, Link] = {}
        self.links: list[Link] = []
        for config in links:  # parses URLs: bad ones fail here
            self.links.append(Link(config, self))
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
        self.heard.pop(vehicle.sysid, None)
        if self._appeared is not None:
            self._appeared.set()

    def hold_commands(self, sysid: int, commander: str | None) -> None:
        """Send vehicle ``sysid`` no more commands: station `commander` commands it (None:
        another station, not known which)."""
        self.command_holds[sysid] = CommandHold(commander)

    def resume_commands(self, sysid: int) -> None:
        """This station commands vehicle ``sysid`` (again)."""
        self.command_holds.pop(sysid, None)

    def link_of(self, sysid: int) -> Link:
        for link in self.links:
            if sysid in link.vehicles:
                return link
        raise UnknownVehicle(sysid)

    # --- admission: unknown systems, addresses, keys ---------------------------------------------

    def _heard(self, link: Link, msg: MavMessage, peer: Peer) -> None:
        header = msg.get_header()
        sysid = header.srcSystem
        now = time.time()
        seen = self.heard.get(sysid)
        if seen is None:
            if len(self.heard) >= MAX_HEARD:
                self.heard.pop(next(iter(self.heard)))
            seen = self.heard[sysid] = HeardSystem(
                sysid, header.srcComponent, link.url, peer, now, now, mav_type=msg.type,
                autopilot=msg.autopilot,
            )  # fmt: skip
            text = f"unknown vehicle heard: system {sysid} from {_addr(peer)} on {link.url}"
            self.bus.publish(FleetEvent("unknown_heard", sysid, now, text))
        seen.last_heard_unix = now
        seen.heartbeats += 1
        seen.address = peer
        seen.signed = is_signed(bytes(msg.get_msgbuf()))

    def accept(self, sysid: int) -> None:
        """Make ``sysid`` a fleet vehicle: from its last heard address at once if it was heard,
        else from its next heartbeat."""
        self.admission.accept(sysid)
        seen = self.heard.pop(sysid, None)
        if seen is None or sysid in self._vehicles:
            return
        for link in self.links:
            if link.url == seen.link_url and link._tg is not None:
                link._add_vehicle(sysid, seen.compid, seen.address)
                return

    def settle_address(self, sysid: int, *, accept: bool) -> Peer:
        """A pilot's answer to an address change: take the new address, or keep the old one and
        refuse the new one from now on. Returns the vehicle's address afterwards."""
        link = self.link_of(sysid)
        guard = link.guards[sysid]
        if guard.pending is None:
            raise LinkError(f"vehicle {sysid}: no address change to settle")
        if accept:
            link.rebind(self._vehicles[sysid], guard.pending)
        else:
            guard.refused.add(guard.pending)
            guard.pending = guard.pending_since_unix = None
        return guard.bound

    def security(self, sysid: int) -> dict[str, Any]:
        """The vehicle's address, hold and dropped-frame counters (for the API and live map)."""
        link = self.link_of(sysid)
        out = link.guards[sysid].status(time.monotonic())
        out["signed"] = bool(link.frame_policy(sysid)[0])
        out["held_reason"] = link.hold_reason(sysid)
        return out

    async def adopt_vehicle_key(self, sysid: int, key: bytes, *, timeout_s: float = 5.0) -> None:
        """Check frames from ``sysid`` against ``key`` without sending SETUP_SIGNING: the vehicle
        already signs with it (another station that commands it gave it the key, derived from
        the unit's shared signing key); :class:`LinkTimeout` and the old key if no frame signed
        with it comes within ``timeout_s``."""
        link = self.link_of(sysid)
        guard = link.guards[sysid]
        old = self.admission.key_of(sysid)
        self.admission.set_key(sysid, key)
        guard.key_confirmed.clear()
        try:
            async with asyncio.timeout(timeout_s):
                await guard.key_confirmed.wait()
            # its stream requests went unsigned, and an ArduPilot signing on this port ignored
            # them (it takes unsigned frames only on SERIAL0): ask again, signed
            link.spawn(self._vehicles[sysid].on_contact(), name=f"contact {sysid}")
        except TimeoutError:
            self.admission.set_key(sysid, old)
            raise LinkTimeout(
                f"vehicle {sysid}: no frame signed with this station's key for it within"
                f" {timeout_s:g} s (does the commanding station share the unit's signing key"
                " and the vehicle's key generation?)"
            ) from None

    async def set_vehicle_key(
        self, sysid: int, key: bytes | None, *, timeout_s: float = 5.0, attempts: int = 3
    ) -> None:
        """Give the vehicle ``key`` with SETUP_SIGNING (None: turn its signing off) and switch
        to it once a frame signed with it comes back; on no answer, the old key stays.

        SETUP_SIGNING goes signed with the vehicle's current key (an ArduPilot with signing on
        takes nothing unsigned on a radio link) and carries the new key in clear, as the MAVLink
        spec and MAVProxy's ``signing setup`` do: use a link the pilot trusts.
        """
        link = self.link_of(sysid)
        vehicle = self._vehicles[sysid]
        guard = link.guards[sysid]
        old = self.admission.key_of(sysid)
        # ArduPilot starts counting from initial_timestamp: past every stamp it used, or its
        # next frames would look replayed
        newest = max(guard.verifier.streams.values(), default=0)
        stamp = max(link.clock.next(), newest + 1) if key is not None else 0
        msg = link.encoder.mav.setup_signing_encode(
            sysid, vehicle.compid, list(key if key is not None else bytes(32)), stamp
        )
        for _ in range(attempts):
            link.send_to(vehicle, msg, enrolment=True)  # signed with the old key
            self.admission.set_key(sysid, key, grace_s=KEY_CHANGE_GRACE_S)
            guard.key_confirmed.clear()
            try:
                async with asyncio.timeout(timeout_s / attempts):
                    await guard.key_confirmed.wait()
                self.admission.end_grace(sysid)
                return
            except TimeoutError:
                self.admission.set_key(sysid, old)
        raise LinkTimeout(
            f"vehicle {sysid}: no frame signed with the new key within {timeout_s:g} s after"
            " SETUP_SIGNING; it keeps its old key (does it support MAVLink 2 signing?)"
        )

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
