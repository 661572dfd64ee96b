"""The command centre's connection to the broker: every station's events into its store.

:class:`Centre` subscribes to every station's events (and the handover messages between
stations) with QoS 1 and a persistent session,
stores each once (the envelope's id is the key: a copy sent again after a lost PUBACK, or
delivered again after a reconnect, is dropped), keeps each vehicle's latest state, records the
ACKs of its commands, and sends commands. It acknowledges an event to the broker only after
the event is committed, so a centre that stops in between receives it again. The centre
audits each command it sends and each answer it gets in ``fed_commands``; the station audits
them in its own chain. The store is :class:`~.store.CentreStore`; each event newly stored is
passed on to the listeners (the centre's live feed) once committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

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

#: told of every event just stored (the centre's live feed), after the commit
StoredListener = Callable[[Stored], Awaitable[None]]


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
    ) -> None:
        self.store = store
        self.listeners = list(listeners or [])
        self._host, self._port, self._username = host, port, username
        self._password, self._ca_file = password, ca_file
        self._client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.stored = asyncio.Condition()
        #: events dropped because the store refused them (not an outage: bad data or a bug)
        self.not_stored = 0

    async def run(self) -> None:
        """Stay connected and store what the stations send."""
        delay = 0.5
        while True:
            try:
                client = self._mqtt()
                # PUBACK only once the event is committed: a centre that dies in between gets
                # it again from its session. aiomqtt 2.5 has no option for this: paho's own.
                client._client.manual_ack_set(True)
                async with client:
                    await client.subscribe(f"{ROOT}/+/events/#", qos=1)
                    await client.subscribe(f"{ROOT}/+/handover/+", qos=1)
                    self._client, delay = client, 0.5
                    self.connected.set()
                    async for message in client.messages:
                        await self._receive(message)
                        client._client.ack(message.mid, message.qos)
            except aiomqtt.MqttError as exc:
                log.warning("centre: broker unreachable: %s", exc)
            finally:
                self._client = None
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _mqtt(self) -> aiomqtt.Client:
        return mqtt.client(
            host=self._host, port=self._port, username=self._username, password=self._password,
            ca_file=self._ca_file, client_id=self._username,
        )  # fmt: skip

    async def _receive(self, message: aiomqtt.Message) -> None:
        payload = message.payload
        if not isinstance(payload, bytes | bytearray):
            return
        try:
            station, _, _ = parse_topic(message.topic.value)
            env = decode(bytes(payload))
        except ProtocolError as exc:
            log.warning("centre: dropped %s: %s", message.topic.value, exc)
            return
        if env.station != station:
            log.warning("centre: %s sent as %s: dropped", station, env.station)
            return
        delay, stored = 0.5, None
        while True:
            try:
                stored = await self.store.store_event(env)
                break
            except (OperationalError, InterfaceError) as exc:  # the store is away: wait for it
                log.warning("centre: store unreachable, retrying %s: %s", env.id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except (SQLAlchemyError, KeyError, TypeError, ValueError):
                log.exception("centre: event %s from %s not stored", env.id, env.station)
                self.not_stored += 1
                break
        async with self.stored:
            self.stored.notify_all()
        if stored is not None:
            for listener in self.listeners:
                await listener(stored)

    async def send(self, station: str, command: Command) -> None:
        """Audit `command` and send it to `station`; its ACK arrives as an event."""
        client = self._client
        if client is None:
            raise aiomqtt.MqttError("the centre is not connected to the broker")
        await self.store.record_command(station, command)
        env = Envelope(station=station, seq=0, kind="command", data=command.model_dump())
        await client.publish(command_topic(station), env.model_dump_json().encode(), qos=1)
