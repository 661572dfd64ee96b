"""The command centre's connection to the broker: every station's events into its store.

:class:`Centre` subscribes to every station's events (and the handover messages between
stations) with QoS 1 and a persistent session,
stores each once (the envelope's id is the key: a copy sent again after a lost PUBACK, or
delivered again after a reconnect, is dropped), keeps each vehicle's latest state, records the
ACKs of its commands, and sends commands. It stores in batches: the next message and those
the client has already received behind it (up to :data:`BATCH_MAX`), in one transaction, so a
station's backlog after an outage drains in a few commits instead of one per event and the
other stations' live frames do not wait behind it; a quiet link is stored one event at a time,
without waiting for more. It acknowledges events to the broker only after they are committed,
so a centre that stops in between receives them again.

Storing is one path, showing a drone's position another: a reader passes every message on to
the storing loop as it arrives and hands each vehicle frame at once to the frame listeners
(the live feed's fast path, :meth:`~.feed.CentreFeed.frame_received`), before it is stored. A
station that comes back after an outage sends its backlog faster than the store keeps up:
traced through ``bench/federation.py --stations 4 --outage 30``, the other stations' frames
reached this process in time (p99 0.25 s after they were made) and then waited up to 1.3 s,
received, for the storing loop to get through the backlog's batches ahead of them (100 events,
0.1-0.3 s each). Their positions no longer wait for it; their other events still do. The reader
takes what the client has already received at once (:func:`received`): aiomqtt's iterator
waits a loop turn or two per message, which kept the next frame up to 0.4 s more behind a
backlog of a thousand. Last, Mosquitto sends this connection what it has queued for it only
as the centre acknowledges what it has in flight, that is as it stores: the frames reached the
centre in bursts up to 0.9 s apart while a backlog was being stored. So the frames also come by
a second connection of their own (:meth:`Centre.run_frames`: QoS 0, nothing to acknowledge);
with it, the other stations' frames while one catches up from a 60 s cut: p99 46 ms
(``--stations 4 --outage 60``, 2 cores at load 4.6; 1.8 s before all this).

The centre
audits each command it sends and each answer it gets in ``fed_commands``; the station audits
them in its own chain. The store is :class:`~.store.CentreStore`; each event newly stored is
passed on to the listeners (the centre's live feed) once committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import aiomqtt
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from groundstation.federation import mqtt
from groundstation.federation.protocol import (
    ROOT,
    Command,
    Envelope,
    ProtocolError,
    command_topic,
    decode,
    parse_topic,
)
from groundstation.federation.store import CentreStore, Stored

log = logging.getLogger(__name__)

#: the most events stored in one transaction (the broker's in-flight window must allow as many:
#: ``local_broker.MAX_INFLIGHT_MESSAGES``)
BATCH_MAX = 100

#: told of every event just stored (the centre's live feed), after the commit
StoredListener = Callable[[Stored], Awaitable[None]]
#: told of every vehicle frame as soon as it is received, before it is stored (the live feed)
FrameListener = Callable[[Envelope], Awaitable[None]]
#: acknowledges a message to the broker (once its batch is committed)
Ack = Callable[[aiomqtt.Message], None]

_EVENTS = f"{ROOT}/+/events/#"
_FRAMES = f"{ROOT}/+/events/vehicle.frame"
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Centre:
    """The centre's connection to the broker (see the module docstring)."""

    def __init__(
        self,
        store: CentreStore,
        *,
        host: str,
        port: int,
        password: str,
        ca_file: Path | None,
        username: str = "centre",
        listeners: list[StoredListener] | None = None,
        frame_listeners: list[FrameListener] | None = None,
    ) -> None:
        self.store = store
        self.listeners = list(listeners or [])
        self.frame_listeners = list(frame_listeners or [])
        self._host, self._port, self._username = host, port, username
        self._password, self._ca_file = password, ca_file
        self._client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.stored = asyncio.Condition()
        #: events dropped because the store refused them (not an outage: bad data or a bug)
        self.not_stored = 0

    async def run(self) -> None:
        """Stay connected and store what the stations send (and, with frame listeners, keep a
        second connection for the live frames: :meth:`run_frames`)."""
        async with asyncio.TaskGroup() as tg:
            if self.frame_listeners:
                tg.create_task(self.run_frames())
            tg.create_task(self._run_store())

    async def run_frames(self) -> None:
        """A second connection that only hands vehicle frames to the frame listeners: QoS 0, a
        clean session, nothing acknowledged. Mosquitto sends the stored connection what it
        queued for it only as that acknowledges what it has in flight, which it does once
        stored: traced, the other stations' frames reached the centre in bursts, up to 0.9 s
        apart, while a station's backlog was being stored. This connection is never held by
        it; a frame missed here (the link down) still comes by the stored one."""
        delay = 0.5
        while True:
            try:
                async with self._mqtt(live=True) as client:
                    await client.subscribe(_FRAMES, qos=0)
                    delay = 0.5
                    async for message in received(client):
                        env = _envelope(message, quiet=True)  # (logged when stored)
                        if env is not None and env.kind == "vehicle.frame":
                            for listener in self.frame_listeners:
                                await listener(env)
            except aiomqtt.MqttError as exc:
                log.warning("centre: broker unreachable for live frames: %s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _run_store(self) -> None:
        delay = 0.5
        while True:
            try:
                client = self._mqtt()
                # PUBACK only once the event's batch is committed: a centre that dies in between
                # gets it again from its session. aiomqtt 2.5 has no option for this: paho's own.
                client._client.manual_ack_set(True)
                async with client:
                    await client.subscribe(f"{ROOT}/+/events/#", qos=1)
                    await client.subscribe(f"{ROOT}/+/handover/+", qos=1)
                    self._client, delay = client, 0.5
                    self.connected.set()
                    await self.serve(received(client), _acker(client))
            except* aiomqtt.MqttError as group:
                log.warning("centre: broker unreachable: %s", group.exceptions[0])
            finally:
                self._client = None
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _mqtt(self, *, live: bool = False) -> aiomqtt.Client:
        return mqtt.client(
            host=self._host, port=self._port, username=self._username, password=self._password,
            ca_file=self._ca_file, client_id=f"{self._username}-live" if live else self._username,
            persistent=not live,
        )  # fmt: skip

    async def serve(self, messages: AsyncIterator[aiomqtt.Message], ack: Ack) -> None:
        """Read `messages` (one connection's) until they end: each vehicle frame to the frame
        listeners as it arrives; every message to the storing loop behind, which stores them
        in batches and acknowledges each with `ack` once its batch is committed, in order."""
        inbox = Inbox()
        async with asyncio.TaskGroup() as tg:
            storing = tg.create_task(self._store_batches(inbox, ack))
            async for message in messages:
                env = _envelope(message)
                inbox.put_nowait(Incoming(message, env))
                if env is not None and env.kind == "vehicle.frame" and _is_event(message):
                    for listener in self.frame_listeners:
                        await listener(env)
            await inbox.join()  # what was received is stored and acknowledged
            storing.cancel()

    async def _store_batches(self, inbox: Inbox, ack: Ack) -> None:
        while True:
            batch = await take(inbox)
            await self._receive([i.envelope for i in batch if i.envelope is not None])
            for incoming in batch:  # in order, each once its batch is committed
                ack(incoming.message)
                inbox.task_done()

    async def receive(self, batch: list[aiomqtt.Message]) -> None:
        """Store the events of `batch` (in one transaction), then pass them on in order."""
        await self._receive([env for env in map(_envelope, batch) if env is not None])

    async def _receive(self, envs: list[Envelope]) -> None:
        stored = await self._store(envs) if envs else []
        async with self.stored:
            self.stored.notify_all()
        for item in stored:
            if item is not None:
                for listener in self.listeners:
                    await listener(item)

    async def _store(self, envs: list[Envelope]) -> list[Stored | None]:
        """Store `envs` in one transaction, waiting out an outage of the store. If the store
        refuses the batch (bad data or a bug, not an outage), each is stored on its own, so
        only the refused event is lost (logged and counted)."""
        delay = 0.5
        while True:
            try:
                return await self.store.store_events(envs)
            except (OperationalError, InterfaceError) as exc:  # the store is away: wait for it
                log.warning("centre: store unreachable, retrying %d events: %s", len(envs), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except (SQLAlchemyError, KeyError, TypeError, ValueError):
                if len(envs) > 1:
                    return [item for env in envs for item in await self._store([env])]
                log.exception("centre: event %s from %s not stored", envs[0].id, envs[0].station)
                self.not_stored += 1
                return [None]

    async def send(self, station: str, command: Command) -> None:
        """Audit `command` and send it to `station`; its ACK arrives as an event."""
        client = self._client
        if client is None:
            raise aiomqtt.MqttError("the centre is not connected to the broker")
        await self.store.record_command(station, command)
        env = Envelope(station=station, seq=0, kind="command", data=command.model_dump())
        await client.publish(command_topic(station), env.model_dump_json().encode(), qos=1)


class Messages(Protocol[T_co]):
    """What the centre reads messages from (``aiomqtt.Client.messages``, :class:`Inbox`): the
    next one, and how many are already received."""

    def __len__(self) -> int: ...

    async def __anext__(self) -> T_co: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message received and not yet stored, and the event it carries (None: not one the
    centre keeps, logged)."""

    message: aiomqtt.Message
    envelope: Envelope | None


class Inbox(asyncio.Queue[Incoming]):
    """The messages received and not yet stored, oldest first (:class:`Messages`)."""

    def __len__(self) -> int:
        return self.qsize()

    async def __anext__(self) -> Incoming:
        return await self.get()


async def take(messages: Messages[T]) -> list[T]:
    """The next message (waiting for it) and those already received behind it, in order, up to
    :data:`BATCH_MAX`. Never waits for more than the first: batches grow only when messages
    arrive faster than they are stored."""
    batch = [await anext(messages)]
    while len(batch) < BATCH_MAX and len(messages) > 0:
        batch.append(await anext(messages))
    return batch


async def received(client: aiomqtt.Client) -> AsyncIterator[aiomqtt.Message]:
    """``client.messages``, but those already received are handed out at once: aiomqtt 2.5's
    iterator makes a task for each and waits a loop turn or two for it, so a backlog of a
    thousand received messages kept the next live frame behind it for 0.4 s more (traced)."""
    received = client._queue
    while True:
        while not received.empty():
            yield received.get_nowait()
        yield await anext(client.messages)


def _acker(client: aiomqtt.Client) -> Ack:
    """Acknowledges a message to the broker through `client` (its manual PUBACK)."""

    def ack(message: aiomqtt.Message) -> None:
        client._client.ack(message.mid, message.qos)

    return ack


def _is_event(message: aiomqtt.Message) -> bool:
    return message.topic.matches(_EVENTS)


def _envelope(message: aiomqtt.Message, *, quiet: bool = False) -> Envelope | None:
    """The event `message` carries, or None (logged unless `quiet`) if it is not one the
    centre keeps."""
    payload = message.payload
    if not isinstance(payload, bytes | bytearray):
        return None
    try:
        station, _, _ = parse_topic(message.topic.value)
        env = decode(bytes(payload))
    except ProtocolError as exc:
        if not quiet:
            log.warning("centre: dropped %s: %s", message.topic.value, exc)
        return None
    if env.station != station:
        if not quiet:
            log.warning("centre: %s sent as %s: dropped", station, env.station)
        return None
    return env
