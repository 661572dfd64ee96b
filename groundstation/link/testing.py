"""Test doubles for the link: a minimal, scriptable MAVLink vehicle (not a simulator).

:class:`FakeAutopilot` is sans-I/O: ``receive(bytes) -> list[bytes]`` answers heartbeats,
commands and the mission protocol the way an ArduPilot copter does, with seeded packet loss in
both directions. :class:`FakeVehicleEndpoint` puts one on a UDP socket for loopback tests. The
full vehicle simulator lives in ``simulator/``; this double exists so the link's own tests do not
depend on it and can inject exact faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.codec import Decoder, Encoder, MavMessage
from groundstation.link.items import from_message
from groundstation.link.signing import SigningConfig
from routes.mission import MissionItem


@dataclass
class FakeAutopilot:
    """A copter that answers the station; ``loss`` drops that fraction of frames each way."""

    sysid: int
    compid: int = 1
    autopilot: int = 3
    loss: float = 0.0
    seed: int = 0
    gps_fix: int = 3
    signing: SigningConfig | None = None
    capacity: int = 1000
    legacy_requests: bool = False
    #: like the simulator and the spec: after an upload, stray items get no answer
    silent_after_upload: bool = False
    #: drop this many "upload complete" ACKs (the station must still find out it worked)
    drop_final_acks: int = 0
    #: an old autopilot: SET_MESSAGE_INTERVAL unsupported, REQUEST_DATA_STREAM counted
    legacy_streams: bool = False
    data_stream_requests: int = 0
    #: message ids SET_MESSAGE_INTERVAL refuses as unsupported (a vehicle without WIND: {168})
    missing_messages: frozenset[int] = frozenset()
    #: as ArduPilot: during an upload re-request the wanted item after this long without it
    rerequest_s: float = 0.05
    #: a vehicle that hangs: after this many items it neither requests nor acknowledges
    stall_upload_after: int | None = None
    #: the text an arming refusal sends; longer than 50 characters it goes in chunks
    prearm_text: str = "PreArm: Need 3D Fix"
    #: what the vehicle makes of each item it stores (its storage rules, or a fault)
    store: Callable[[MissionItem], MissionItem] | None = None
    #: False: AUTOPILOT_VERSION lacks MAV_PROTOCOL_CAPABILITY_MISSION_INT (an old autopilot)
    mission_int: bool = True
    #: items refused as duplicates with MISSION_ACK(INVALID_SEQUENCE), as ArduPilot does
    invalid_sequence_acks: int = 0
    #: MISSION_ITEM_INT / float MISSION_ITEM received
    items_int: int = 0
    items_float: int = 0
    #: MISSION_ACKs the station sent, by result
    station_acks: list[int] = field(default_factory=list)
    missions: dict[int, list[MissionItem]] = field(default_factory=dict)
    commands_seen: list[int] = field(default_factory=list)
    armed: bool = False
    custom_mode: int = 0
    current_seq: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.encoder = Encoder(self.sysid, self.compid, self.signing)
        self.decoder = Decoder(self.signing)
        self.mav = self.encoder.mav
        self._upload: tuple[int, int, list[MissionItem]] | None = None  # type, count, received
        self._requested_at = 0.0
        self._now = 0.0

    def _out(self, msgs: list[MavMessage]) -> list[bytes]:
        return [self.encoder.encode(m) for m in msgs if self.rng.random() >= self.loss]

    def heartbeat(self) -> bytes:
        base_mode = 1 | (128 if self.armed else 0)
        return self.encoder.encode(
            self.mav.heartbeat_encode(2, self.autopilot, base_mode, self.custom_mode, 4)
        )

    def telemetry(self, lat_deg: float = 29.05, lon_deg: float = 119.17) -> list[bytes]:
        return self._out(
            [
                self.mav.global_position_int_encode(
                    0, round(lat_deg * 1e7), round(lon_deg * 1e7), 50_000, 10_000, 100, 0, 0, 9000
                ),
                self.mav.sys_status_encode(0, 0, 0, 0, 12_100, 0, 87, 0, 0, 0, 0, 0, 0),
                self.mav.gps_raw_int_encode(0, self.gps_fix, 0, 0, 0, 0, 0, 0, 0, 12),
            ]
        )

    def receive(self, data: bytes, now: float | None = None) -> list[bytes]:
        """Frames from the station in, frames back out (``now``: the clock of :meth:`tick`)."""
        if now is not None:
            self._now = now
        replies: list[MavMessage] = []
        for msg in self.decoder.feed(data, datagram=True):
            if self.rng.random() < self.loss:
                continue
            target = getattr(msg, "target_system", self.sysid)
            if target not in (0, self.sysid):
                continue
            replies.extend(self._handle(msg))
        return self._out(replies)

    @property
    def upload_open(self) -> bool:
        """An upload is in progress (the station has not finished or cancelled it)."""
        return self._upload is not None

    def _stalled(self) -> bool:
        return (
            self._upload is not None
            and self.stall_upload_after is not None
            and len(self._upload[2]) >= self.stall_upload_after
        )

    def tick(self, now: float) -> list[bytes]:
        """Time passes: re-request the item an open upload still wants, as ArduPilot does."""
        self._now = now
        if self._upload is None or self._stalled() or now - self._requested_at < self.rerequest_s:
            return []
        mtype, _count, got = self._upload
        return self._out([self._request(len(got), mtype)])

    def _ack(self, command: int, result: int) -> MavMessage:
        ack: MavMessage = self.mav.command_ack_encode(command, result, 0, 0, 255, 190)
        return ack

    def _handle(self, msg: MavMessage) -> list[MavMessage]:
        kind = msg.get_type()
        if kind in ("COMMAND_LONG", "COMMAND_INT"):
            return self._command(msg)
        if kind == "MISSION_COUNT":
            if msg.count > self.capacity:
                return [self.mav.mission_ack_encode(255, 190, 4, msg.mission_type)]  # NO_SPACE
            self._upload = (msg.mission_type, msg.count, [])
            if msg.count == 0:
                self.missions[msg.mission_type] = []
                self._upload = None
                return [self.mav.mission_ack_encode(255, 190, 0, msg.mission_type)]
            return [self._request(0, msg.mission_type)]
        if kind == "MISSION_ITEM_INT":
            self.items_int += 1
        elif kind == "MISSION_ITEM":
            self.items_float += 1
        if kind in ("MISSION_ITEM_INT", "MISSION_ITEM") and self._upload is not None:
            mtype, count, got = self._upload
            if msg.seq != len(got):
                self.invalid_sequence_acks += 1
                return [self.mav.mission_ack_encode(255, 190, 13, mtype)]  # INVALID_SEQUENCE
            item = from_message(msg)
            got.append(item if self.store is None else self.store(item))
            if self._stalled():
                return []
            if len(got) == count:
                self.missions[mtype] = got
                self._upload = None
                if self.drop_final_acks > 0:
                    self.drop_final_acks -= 1
                    return []
                return [self.mav.mission_ack_encode(255, 190, 0, mtype)]
            return [self._request(len(got), mtype)]
        if kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            if self.silent_after_upload:
                return []
            # upload already complete: the station missed our ACK and resent the last item
            return [self.mav.mission_ack_encode(255, 190, 0, msg.mission_type)]
        if kind == "MISSION_REQUEST_LIST":
            items = self.missions.get(msg.mission_type, [])
            return [self.mav.mission_count_encode(255, 190, len(items), msg.mission_type)]
        if kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            items = self.missions.get(msg.mission_type, [])
            if msg.seq >= len(items):
                return []
            i = items[msg.seq]
            return [
                self.mav.mission_item_int_encode(
                    255, 190, i.seq, i.frame, i.command, i.current, i.autocontinue,
                    i.param1, i.param2, i.param3, i.param4, i.x, i.y, i.z, msg.mission_type,
                )
            ]  # fmt: skip
        if kind == "MISSION_ACK":
            self.station_acks.append(int(msg.type))
            if msg.type == mavlink.MAV_MISSION_OPERATION_CANCELLED:
                self._upload = None  # as PX4 does; ArduPilot 4.7 ignores it and times out
            return []
        if kind == "MISSION_CLEAR_ALL":
            if msg.mission_type == 255:
                self.missions.clear()
            else:
                self.missions.pop(msg.mission_type, None)
            return [self.mav.mission_ack_encode(255, 190, 0, msg.mission_type)]
        if kind == "REQUEST_DATA_STREAM":
            self.data_stream_requests += 1
            return []
        if kind == "SETUP_SIGNING":
            # as ArduPilot: take the key, sign from now on and refuse unsigned commands
            self.signing = SigningConfig(bytes(msg.secret_key), reject_unsigned=True)
            self.signing.apply(self.encoder.mav, outgoing=True)
            self.signing.apply(self.decoder._mav, outgoing=False)
            return []
        if kind == "MISSION_SET_CURRENT":
            self.current_seq = msg.seq
            return [self.mav.mission_current_encode(msg.seq)]
        return []

    def _statustexts(self, severity: int, text: str) -> list[MavMessage]:
        """STATUSTEXT as ArduPilot sends it: 50-character chunks sharing an ``id``."""
        data = text.encode()
        if len(data) <= 50:
            return [self.mav.statustext_encode(severity, data)]
        self.current_text_id = getattr(self, "current_text_id", 0) + 1
        chunks = [data[i : i + 50] for i in range(0, len(data), 50)]
        return [
            self.mav.statustext_encode(severity, chunk, self.current_text_id, seq)
            for seq, chunk in enumerate(chunks)
        ]

    def _request(self, seq: int, mission_type: int) -> MavMessage:
        self._requested_at = self._now
        encode = (
            self.mav.mission_request_encode
            if self.legacy_requests
            else self.mav.mission_request_int_encode
        )
        request: MavMessage = encode(255, 190, seq, mission_type)
        return request

    def _command(self, msg: MavMessage) -> list[MavMessage]:
        command = int(msg.command)
        self.commands_seen.append(command)
        if command == 400:  # ARM_DISARM
            if msg.param1 == 1 and self.gps_fix < 3:
                return [*self._statustexts(3, self.prearm_text),
                        self._ack(command, mavlink.MAV_RESULT_FAILED)]  # fmt: skip
            self.armed = msg.param1 == 1
        elif command == 176:  # DO_SET_MODE
            self.custom_mode = int(msg.param2)
        elif command == 512 and int(msg.param1) == 148:  # REQUEST_MESSAGE AUTOPILOT_VERSION
            caps = mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2
            if self.mission_int:
                caps |= mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT
            version = self.mav.autopilot_version_encode(
                caps, 0, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8, 0, 0, 0, [0] * 18
            )
            return [self._ack(command, mavlink.MAV_RESULT_ACCEPTED), version]
        elif command == 9999 or (
            command == 511 and (self.legacy_streams or int(msg.param1) in self.missing_messages)
        ):
            return [self._ack(command, mavlink.MAV_RESULT_UNSUPPORTED)]
        return [self._ack(command, mavlink.MAV_RESULT_ACCEPTED)]


class FakeVehicleEndpoint:
    """A :class:`FakeAutopilot` on a UDP socket that sends to the station (``udpout``)."""

    def __init__(self, autopilot: FakeAutopilot, station: tuple[str, int], rate_hz: float = 20):
        self.autopilot = autopilot
        self.station = station
        self.period_s = 1.0 / rate_hz
        self.silent_until = 0.0
        self._transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None

    def _send(self, frames: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        if self._transport is None or loop.time() < self.silent_until:
            return
        for frame in frames:
            self._transport.sendto(frame)

    def send_raw(self, data: bytes) -> None:
        """Send arbitrary bytes to the station (garbage tests)."""
        assert self._transport is not None
        self._transport.sendto(data)

    def cut(self, seconds: float) -> None:
        """Go silent both ways for ``seconds``."""
        self.silent_until = asyncio.get_running_loop().time() + seconds

    async def __aenter__(self) -> FakeVehicleEndpoint:
        loop = asyncio.get_running_loop()
        endpoint = self

        class _Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                if loop.time() >= endpoint.silent_until:
                    endpoint._send(endpoint.autopilot.receive(data, loop.time()))

        self._transport, _ = await loop.create_datagram_endpoint(_Proto, remote_addr=self.station)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        tick = 0
        loop = asyncio.get_running_loop()
        # the mission timer ticks often enough for its re-requests; telemetry at ``rate_hz``
        step_s = min(self.period_s, self.autopilot.rerequest_s / 2)
        per_telemetry = max(1, round(self.period_s / step_s))
        per_heartbeat = per_telemetry * max(1, round(1 / self.period_s))
        while True:
            if tick % per_heartbeat == 0:
                self._send([self.autopilot.heartbeat()])
            if tick % per_telemetry == 0:
                self._send(self.autopilot.telemetry())
            self._send(self.autopilot.tick(loop.time()))
            tick += 1
            await asyncio.sleep(step_s)

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()


async def run_fake_vehicles(
    port: int, sysids: list[int], seconds: float, host: str = "127.0.0.1", loss: float = 0.0
) -> None:
    """Fly fake vehicles at a station listening on ``host:port`` for ``seconds`` (CLI tests)."""
    async with contextlib.AsyncExitStack() as stack:
        for sysid in sysids:
            autopilot = FakeAutopilot(sysid, loss=loss, seed=sysid)
            await stack.enter_async_context(FakeVehicleEndpoint(autopilot, (host, port)))
        await asyncio.sleep(seconds)


class FakeTcpVehicle:
    """A :class:`FakeAutopilot` behind a TCP port, as SITL or a serial-to-TCP bridge offers one.

    :meth:`stop` closes the port and every connection (the autopilot rebooting);
    :meth:`start` listens again on the same port, for a station that must reconnect by itself.
    Each connection gets heartbeats at 1 Hz and telemetry at ``rate_hz``.
    """

    def __init__(self, autopilot: FakeAutopilot, rate_hz: float = 20, port: int = 0) -> None:
        self.autopilot = autopilot
        self.port = port
        self.period_s = 1.0 / rate_hz
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._clients.values():  # (closing ends each reader; cancelling the
            writer.transport.abort()  # connection task would log an asyncio error on 3.11)
        await asyncio.gather(*self._clients, return_exceptions=True)

    async def __aenter__(self) -> FakeTcpVehicle:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients[task] = writer
        self.connections += 1
        autopilot = self.autopilot
        autopilot.decoder = Decoder(autopilot.signing)  # nothing half-read survives a connection

        async def talk() -> None:
            tick = 0
            while True:
                if tick % max(1, round(1 / self.period_s)) == 0:
                    writer.write(autopilot.heartbeat())
                writer.write(b"".join(autopilot.telemetry()))
                tick += 1
                await asyncio.sleep(self.period_s)

        sender = asyncio.create_task(talk())
        try:
            while data := await reader.read(4096):
                writer.write(b"".join(autopilot.receive(data)))
        except ConnectionError:
            pass
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            writer.close()
            self._clients.pop(task, None)
