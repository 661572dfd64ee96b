"""The command centre's side of the federation: every station's events into one store.

:class:`CentreStore` is the merged store on PostgreSQL (its own tables, ``fed_*``, made by
:meth:`CentreStore.setup`; PostGIS when the server has it, for the vehicles' positions).
:class:`Centre` subscribes to every station's events with QoS 1 and a persistent session,
stores each once (the envelope's id is the key: a copy sent again after a lost PUBACK, or
delivered again after a reconnect, is dropped), keeps each vehicle's latest state, records the
ACKs of its commands, and sends commands. It acknowledges an event to the broker only after
the event is committed, so a centre that stops in between receives it again. The centre
audits each command it sends and each answer it gets in ``fed_commands``; the station audits
them in its own chain.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from groundstation.federation import mqtt
from groundstation.federation.protocol import (
    ROOT,
    Command,
    CommandAck,
    Envelope,
    ProtocolError,
    command_topic,
    decode,
    parse_topic,
)

log = logging.getLogger(__name__)

_TABLES = [
    """CREATE TABLE IF NOT EXISTS fed_events (
        id TEXT PRIMARY KEY,
        station TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        arrival BIGSERIAL,
        data JSONB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fed_events_station_seq ON fed_events (station, seq)",
    """CREATE TABLE IF NOT EXISTS fed_vehicles (
        station TEXT NOT NULL,
        sysid INTEGER NOT NULL,
        name TEXT,
        lat_deg DOUBLE PRECISION,
        lon_deg DOUBLE PRECISION,
        armed BOOLEAN,
        battery_pct DOUBLE PRECISION,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (station, sysid)
    )""",
    """CREATE TABLE IF NOT EXISTS fed_commands (
        id TEXT PRIMARY KEY,
        station TEXT NOT NULL,
        kind TEXT NOT NULL,
        sysid INTEGER NOT NULL,
        issued_by TEXT NOT NULL,
        sent_at TIMESTAMPTZ NOT NULL,
        result TEXT,
        reason TEXT,
        acked_at TIMESTAMPTZ
    )""",
    # a command's parameters, and the station's reason code and references (a dispatch's
    # incident at the station): added after the first stores were made
    "ALTER TABLE fed_commands ADD COLUMN IF NOT EXISTS params JSONB NOT NULL DEFAULT '{}'",
    "ALTER TABLE fed_commands ADD COLUMN IF NOT EXISTS code TEXT",
    "ALTER TABLE fed_commands ADD COLUMN IF NOT EXISTS refs JSONB NOT NULL DEFAULT '{}'",
    "CREATE INDEX IF NOT EXISTS fed_commands_sent ON fed_commands (sent_at)",
]
_POSTGIS = [
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "ALTER TABLE fed_vehicles ADD COLUMN IF NOT EXISTS position geography(Point, 4326)",
    "CREATE INDEX IF NOT EXISTS fed_vehicles_position ON fed_vehicles USING gist (position)",
]


@dataclass(frozen=True, slots=True)
class FreeDrone:
    """A drone the centre could ask its station to dispatch."""

    station: str
    sysid: int
    name: str | None
    distance_m: float
    battery_pct: float | None


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command as the centre audited it, and the station's answer (None until it comes)."""

    id: str
    station: str
    kind: str
    sysid: int
    issued_by: str
    result: str | None
    reason: str | None
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    acked_at: datetime | None = None


class CentreStore:
    """The merged store of every station's events (PostgreSQL, PostGIS when available)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgis = False

    async def setup(self) -> None:
        """Create the tables (idempotent); use PostGIS if the server has it."""
        async with self.engine.begin() as conn:
            for ddl in _TABLES:
                await conn.execute(text(ddl))
            has = await conn.scalar(
                text("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
            )
            self.postgis = bool(has)
            if self.postgis:
                for ddl in _POSTGIS:
                    await conn.execute(text(ddl))

    async def store(self, env: Envelope) -> bool:
        """Keep `env` unless it is already kept; True if it was new."""
        async with self.engine.begin() as conn:
            new = await conn.scalar(
                text(
                    "INSERT INTO fed_events (id, station, seq, kind, at, received_at, data) "
                    "VALUES (:id, :station, :seq, :kind, :at, :now, CAST(:data AS JSONB)) "
                    "ON CONFLICT (id) DO NOTHING RETURNING id"
                ),
                {
                    "id": env.id, "station": env.station, "seq": env.seq, "kind": env.kind,
                    "at": env.at, "now": datetime.now(UTC),
                    "data": _json(env.data),
                },
            )  # fmt: skip
            if new is None:
                return False
            if env.kind == "vehicle.frame":
                await self._vehicle(conn, env)
            elif env.kind == "ack":
                ack = CommandAck.model_validate(env.data)
                await conn.execute(
                    text(
                        "UPDATE fed_commands SET result = :result, reason = :reason, "
                        "code = :code, refs = CAST(:refs AS JSONB), acked_at = :now "
                        "WHERE id = :id AND station = :station"
                    ),
                    {
                        "result": ack.result, "reason": ack.reason, "code": ack.code,
                        "refs": _json(ack.refs), "now": datetime.now(UTC),
                        "id": ack.command_id, "station": env.station,
                    },
                )  # fmt: skip
        return True

    async def _vehicle(self, conn: Any, env: Envelope) -> None:
        d = env.data
        position = (
            ", position = ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision), "
            "CAST(:lat AS double precision)), 4326)::geography"
            if self.postgis
            else ""
        )
        await conn.execute(
            text(
                "INSERT INTO fed_vehicles (station, sysid, updated_at) "
                "VALUES (:station, :sysid, :at) ON CONFLICT (station, sysid) DO NOTHING"
            ),
            {"station": env.station, "sysid": d["sysid"], "at": env.at},
        )
        await conn.execute(
            text(
                "UPDATE fed_vehicles SET name = :name, lat_deg = :lat, lon_deg = :lon, "
                f"armed = :armed, battery_pct = :battery, updated_at = :at{position} "
                "WHERE station = :station AND sysid = :sysid AND updated_at <= :at"
            ),
            {
                "station": env.station, "sysid": d["sysid"], "name": d.get("name"),
                "lat": d.get("lat_deg"), "lon": d.get("lon_deg"), "armed": d.get("armed"),
                "battery": d.get("battery_pct"), "at": env.at,
            },
        )  # fmt: skip

    async def events(self, station: str | None = None) -> list[Envelope]:
        """The stored events in the order they arrived (of one station, or all)."""
        where = "WHERE station = :station" if station else ""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    f"SELECT id, station, seq, kind, at, data FROM fed_events {where} "
                    "ORDER BY arrival"
                ),
                {"station": station},
            )
            return [
                Envelope(id=r.id, station=r.station, seq=r.seq, kind=r.kind, at=r.at, data=r.data)
                for r in rows
            ]

    async def nearest_free(
        self, lat_deg: float, lon_deg: float, *, min_battery_pct: float = 50.0, limit: int = 1
    ) -> list[FreeDrone]:
        """The free drones (disarmed, charged) of every station, nearest first."""
        distance = (
            "ST_Distance(position, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)"
            if self.postgis
            else "6371008.8 * 2 * asin(sqrt(power(sin(radians(lat_deg - :lat) / 2), 2) + "
            "cos(radians(:lat)) * cos(radians(lat_deg)) * "
            "power(sin(radians(lon_deg - :lon) / 2), 2)))"
        )
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    f"SELECT station, sysid, name, battery_pct, {distance} AS d FROM fed_vehicles "
                    "WHERE armed IS FALSE AND battery_pct >= :min_battery "
                    "AND lat_deg IS NOT NULL AND lon_deg IS NOT NULL ORDER BY d LIMIT :limit"
                ),
                {"lat": lat_deg, "lon": lon_deg, "min_battery": min_battery_pct, "limit": limit},
            )
            return [FreeDrone(r.station, r.sysid, r.name, float(r.d), r.battery_pct) for r in rows]

    async def record_command(self, station: str, command: Command) -> None:
        """Audit a command the centre is about to send (its answer comes with the ACK)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO fed_commands "
                    "(id, station, kind, sysid, issued_by, sent_at, params) "
                    "VALUES (:id, :station, :kind, :sysid, :by, :now, CAST(:params AS JSONB))"
                ),
                {
                    "id": command.id, "station": station, "kind": command.kind,
                    "sysid": command.sysid, "by": command.issued_by, "now": datetime.now(UTC),
                    "params": _json(command.params),
                },
            )  # fmt: skip

    async def command(self, command_id: str) -> CommandRecord | None:
        """The centre's record of one command and the station's answer (None: unknown)."""
        found = await self.commands(command_id=command_id)
        return found[0] if found else None

    async def commands(
        self,
        *,
        station: str | None = None,
        kind: str | None = None,
        command_id: str | None = None,
        limit: int = 100,
    ) -> list[CommandRecord]:
        """The commands the centre sent, newest first, with each station's answer."""
        where = [
            clause
            for clause, value in (
                ("station = :station", station),
                ("kind = :kind", kind),
                ("id = :id", command_id),
            )
            if value is not None
        ]
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT id, station, kind, sysid, issued_by, result, reason, code, params, "
                    "refs, sent_at, acked_at FROM fed_commands "
                    f"{'WHERE ' + ' AND '.join(where) if where else ''} "
                    "ORDER BY sent_at DESC, id LIMIT :limit"
                ),
                {"station": station, "kind": kind, "id": command_id, "limit": limit},
            )
            return [_record(r) for r in rows]


def _record(r: Any) -> CommandRecord:
    return CommandRecord(
        r.id, r.station, r.kind, r.sysid, r.issued_by, r.result, r.reason, r.code,
        r.params, r.refs, r.sent_at, r.acked_at,
    )  # fmt: skip


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, separators=(",", ":"), default=str)


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
    ) -> None:
        self.store = store
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
        delay = 0.5
        while True:
            try:
                await self.store.store(env)
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

    async def send(self, station: str, command: Command) -> None:
        """Audit `command` and send it to `station`; its ACK arrives as an event."""
        client = self._client
        if client is None:
            raise aiomqtt.MqttError("the centre is not connected to the broker")
        await self.store.record_command(station, command)
        env = Envelope(station=station, seq=0, kind="command", data=command.model_dump())
        await client.publish(command_topic(station), env.model_dump_json().encode(), qos=1)
