"""The station's side of the federation: events out through the outbox, commands in.

:class:`StationLink` is one background service. :meth:`StationLink.emit` puts an event into
the :class:`~groundstation.federation.outbox.Outbox` (never blocks on the network); :meth:`run`
keeps a connection to the broker, sends the outbox oldest first with QoS 1 (one at a time, each
removed after its PUBACK, so order holds across outages; at most ``send_rate_max_hz`` a second,
so a backlog after an outage does not crowd out the other stations' live frames on their way
to the centre: :mod:`.pace`), and carries out the centre's commands.

A command is the centre asking: the station decides under its own rules. With no pilot on duty
(``accept_commands`` off) it refuses; a command older than ``command_max_age_s`` (it waited
at the broker while the station was offline) is refused as expired; otherwise its
:data:`Executor` carries it out and may refuse too. Every command, done or refused, is
audited locally (:data:`Auditor`) and answered with an ``ack`` event carrying the command's
id. A command delivered twice is answered twice with the first answer and carried out once.

:meth:`forward_hub` feeds the station's live hub into :meth:`emit`: vehicle frames at most
``frame_rate_hz`` per vehicle, patrol states, incidents and alerts as they happen, and the
notifier's "report ready" notices as ``report.ready``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import aiomqtt

from groundstation.config import FederationSettings
from groundstation.federation import mqtt
from groundstation.federation.outbox import Outbox
from groundstation.federation.pace import Pace
from groundstation.federation.protocol import (
    Command,
    CommandAck,
    Envelope,
    Handover,
    ProtocolError,
    ReasonCode,
    StationStatus,
    command_topic,
    decode,
    event_topic,
    handover_inbox,
    handover_topic,
    parse_topic,
)
from groundstation.telemetry.hub import ClientClosed, Hub

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the station's executor made of a command (the ACK's result, reason, code, refs)."""

    result: Literal["done", "refused", "failed"]
    reason: str | None = None
    code: ReasonCode | None = None
    refs: dict[str, Any] = field(default_factory=dict)


#: Carries out a command the station accepted.
Executor = Callable[[Command], Awaitable[Outcome]]
#: Takes a handover message from another station: (kind, handover, sender).
HandoverInbox = Callable[[str, Handover, str], Awaitable[None]]
#: Writes a command and the station's answer into the station's audit chain.
Auditor = Callable[[Command, CommandAck], Awaitable[None]]

#: Hub message types forwarded to the centre, and the event kind each becomes.
FORWARDED = {
    "vehicle.frame": "vehicle.frame",
    "patrol.state": "patrol.state",
    "incident.created": "incident.created",
    "incident.updated": "incident.updated",
    "alert": "alert",
}
_REMEMBERED_COMMANDS = 1024


class StationLink:
    """A station's connection to the centre (see the module docstring)."""

    def __init__(
        self,
        settings: FederationSettings,
        outbox: Outbox,
        execute: Executor,
        audit: Auditor,
        *,
        vehicles: Callable[[], int] = lambda: 0,
    ) -> None:
        self.settings = settings
        self.station = settings.station_id
        self.outbox = outbox
        self._execute = execute
        self._audit = audit
        self._vehicles = vehicles
        self._wake = asyncio.Event()
        self._answered: OrderedDict[str, CommandAck] = OrderedDict()
        self._frame_sent: dict[str, float] = {}
        self.connected = asyncio.Event()
        #: receives the handover messages other stations send this one (None: none taken)
        self.handovers: HandoverInbox | None = None
        #: whether this station commands a vehicle: only those vehicles' frames are forwarded
        #: (a drone heard by two stations reaches the centre from the one commanding it)
        self.commands_vehicle: Callable[[int], bool] = lambda sysid: True

    def emit(self, kind: str, data: dict[str, Any], *, at: datetime | None = None) -> Envelope:
        """Queue one event for the centre; it is sent when the broker can be reached. `at` is
        when the station made it (default: now)."""
        env = Envelope(
            station=self.station, seq=self.outbox.next_seq(), kind=kind, data=data,
            at=at or datetime.now(UTC),
        )  # fmt: skip
        seq = self.outbox.put(event_topic(self.station, kind), env.model_dump_json().encode())
        assert seq == env.seq, "the outbox has one writer"
        self._wake.set()
        return env

    def send_to_station(self, to: str, kind: str, handover: Handover) -> Envelope:
        """Queue a handover message for station `to` (through the outbox: in order, kept
        across outages and restarts; the centre reads it too)."""
        env = Envelope(
            station=self.station, seq=self.outbox.next_seq(), kind=kind, data=handover.model_dump()
        )
        seq = self.outbox.put(handover_topic(self.station, to), env.model_dump_json().encode())
        assert seq == env.seq, "the outbox has one writer"
        self._wake.set()
        return env

    async def run(self) -> None:
        """Stay connected (reconnecting with backoff), send the outbox, answer commands."""
        delay = 0.5
        while True:
            try:
                async with self._client() as client:
                    delay = 0.5
                    await client.subscribe(command_topic(self.station), qos=1)
                    await client.subscribe(handover_inbox(self.station), qos=1)
                    self.emit("station.status", self._status(online=True))
                    self.connected.set()
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(self._drain(client))
                        tg.create_task(self._commands(client))
            except* aiomqtt.MqttError as group:
                log.warning("federation: broker unreachable: %s", group.exceptions[0])
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max_s)

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        return mqtt.client(
            host=s.broker_host,
            port=s.broker_port,
            username=self.station,
            password=s.password.get_secret_value() if s.password else None,
            ca_file=s.ca_file,
            client_id=f"station-{self.station}",
        )

    def _status(self, *, online: bool) -> dict[str, Any]:
        status = StationStatus(
            online=online,
            accept_commands=self.settings.accept_commands,
            vehicles=self._vehicles(),
        )
        return status.model_dump()

    async def _drain(self, client: aiomqtt.Client) -> None:
        pace = Pace(self.settings.send_rate_max_hz)
        while True:
            self._wake.clear()
            batch = self.outbox.oldest(64)
            for item in batch:
                await pace.wait()
                await client.publish(item.topic, item.payload, qos=1, timeout=5.0)
                self.outbox.remove(item.seq)
            if not batch:
                await self._wake.wait()

    async def _commands(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            try:
                sender, channel, _ = parse_topic(message.topic.value)
                env = decode(bytes(payload))
                if channel == "handover":
                    if env.station != sender:
                        raise ProtocolError(f"{sender} sent a message as {env.station}")
                    if self.handovers is not None:
                        await self.handovers(env.kind, Handover.model_validate(env.data), sender)
                    continue
                command = Command.model_validate(env.data)
            except (ProtocolError, ValueError) as exc:
                log.warning("federation: dropped a bad message: %s", exc)
                continue
            await self.handle(command)

    async def handle(self, command: Command) -> CommandAck:
        """Decide on one command, carry it out if accepted, audit it, queue the ACK."""
        ack = self._answered.get(command.id)
        if ack is None:
            ack = await self._decide(command)
            await self._audit(command, ack)
            self._answered[command.id] = ack
            while len(self._answered) > _REMEMBERED_COMMANDS:
                self._answered.popitem(last=False)
        self.emit("ack", ack.model_dump())
        return ack

    async def _decide(self, command: Command) -> CommandAck:
        def answer(outcome: Outcome) -> CommandAck:
            return CommandAck(
                command_id=command.id,
                kind=command.kind,
                sysid=command.sysid,
                result=outcome.result,
                reason=outcome.reason,
                code=outcome.code,
                refs=outcome.refs,
            )

        if not self.settings.accept_commands:
            return answer(Outcome("refused", "no pilot on duty at the station", "no_pilot"))
        age_s = (datetime.now(UTC) - command.issued_at).total_seconds()
        if age_s > self.settings.command_max_age_s:
            return answer(Outcome("refused", f"expired: issued {age_s:.0f} s ago", "expired"))
        try:
            outcome = await self._execute(command)
        except Exception as exc:  # any failure is the station's answer
            log.exception("federation: command %s failed", command.id)
            return answer(Outcome("failed", f"{type(exc).__name__}: {exc}", "error"))
        return answer(outcome)

    async def forward_hub(self, hub: Hub) -> None:
        """Send what the station's live hub shows to the centre (frames rate-limited). Each
        event's ``at`` is the hub message's ``ts``: for a frame, when the station built it from
        the telemetry it had just received, not when the forwarder got to it. The rate limit
        goes by that time too, so a forwarder that falls behind for a moment (a busy machine)
        does not drop frames made at the rate it lets through."""
        min_gap_s = 1.0 / self.settings.frame_rate_hz
        while True:
            with hub.subscription() as queue, contextlib.suppress(ClientClosed):
                while True:
                    msg = await queue.get()
                    kind = FORWARDED.get(msg.type)
                    if kind is None:
                        continue
                    live = json.loads(msg.text)  # the hub's envelope: its ts is the receipt
                    at = datetime.fromisoformat(live["ts"])
                    if kind == "vehicle.frame" and msg.key is not None:
                        made = at.timestamp()
                        gap = made - self._frame_sent.get(msg.key, made - min_gap_s)
                        if 0 <= gap < min_gap_s:  # (a clock stepped back: send, start again)
                            continue
                        self._frame_sent[msg.key] = made
                    data = live["data"]
                    if kind == "vehicle.frame" and not self.commands_vehicle(data["sysid"]):
                        continue
                    if kind == "alert" and data.get("kind") == "report_ready":
                        kind = "report.ready"  # the notifier's notice, as its own event
                    self.emit(kind, data, at=at)
            log.warning("federation: the hub dropped the forwarder; subscribing again")
            await asyncio.sleep(0.1)
