"""The centre's merged store on PostgreSQL + PostGIS: every station's events, once each.

The schema is the centre's own Alembic chain (:mod:`.migrate`, ``migrations/``).
:meth:`CentreStore.store_events` keeps each event of a batch unless its id is already kept, in
one transaction (a station's backlog costs a few commits, not one per event), and in the same
transaction brings the live picture up to date: each vehicle's latest frame and position, each
incident's and patrol's latest state, each station's freshness classes, and the answers to the
centre's commands. Every vehicle, incident and patrol has a centre-wide ``key`` (stations
number theirs from 1 each) that the centre's live page uses as its id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from groundstation.config import DbSettings
from groundstation.federation.handover_store import STATES as HANDOVER_STATES
from groundstation.federation.handover_store import (
    HandoverRecord,
    commander,
    handovers,
    record_handover,
)
from groundstation.federation.migrate import upgrade_centre
from groundstation.federation.protocol import Command, CommandAck, Envelope
from groundstation.federation.view import alert_view, incident_view, patrol_view, vehicle_view

log = logging.getLogger(__name__)

#: a point from the parameters ``lat`` and ``lon`` (degrees, WGS84)
_POINT = (
    "ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision), CAST(:lat AS double precision)),"
    " 4326)::geography"
)


@dataclass(frozen=True, slots=True)
class Stored:
    """An event just kept: when the centre got it, and what the live page gets for it
    (:mod:`.view`; None when it changes nothing on the map, such as a frame older than the
    one kept, or a command's answer)."""

    envelope: Envelope
    received_at: datetime
    view: dict[str, Any] | None


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
    """The merged store of every station's events (PostgreSQL with PostGIS)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def setup(self) -> None:
        """Bring the store to the newest schema (the centre's Alembic chain, in a thread)."""
        url = self.engine.url.render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade_centre, DbSettings(url=url))

    async def store(self, env: Envelope) -> bool:
        """Keep `env` unless it is already kept; True if it was new."""
        return await self.store_event(env) is not None

    async def store_event(self, env: Envelope) -> Stored | None:
        """Keep `env` and update the live picture; None if it was already kept."""
        return (await self.store_events([env]))[0]

    async def store_events(self, envs: Sequence[Envelope]) -> list[Stored | None]:
        """Keep each of `envs` in order, in one transaction, and update the live picture; for
        each, what was kept, or None if its id was already kept (or came earlier in `envs`)."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            return [await _keep(conn, env, now) for env in envs]

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

    async def handovers(self, sysid: int | None = None, limit: int = 100) -> list[HandoverRecord]:
        """The handovers the centre saw, newest first (see :mod:`.handover_store`)."""
        return await handovers(self.engine, sysid, limit)

    async def commander(self, sysid: int) -> str | None:
        """The station a drone was last handed to (None: never handed over)."""
        return await commander(self.engine, sysid)

    async def nearest_free(
        self, lat_deg: float, lon_deg: float, *, min_battery_pct: float = 50.0, limit: int = 1
    ) -> list[Any]:
        """The free drones of every station, nearest first (see :func:`.spatial.nearest_free`)."""
        from groundstation.federation.spatial import nearest_free

        return await nearest_free(
            self.engine, lat_deg, lon_deg, min_battery_pct=min_battery_pct, limit=limit
        )


async def _keep(conn: AsyncConnection, env: Envelope, now: datetime) -> Stored | None:
    """Insert `env` into ``fed_events`` unless its id is there, then project it (None: a copy)."""
    new = await conn.scalar(
        text(
            "INSERT INTO fed_events (id, station, seq, kind, at, received_at, data) "
            "VALUES (:id, :station, :seq, :kind, :at, :now, CAST(:data AS JSONB)) "
            "ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {
            "id": env.id, "station": env.station, "seq": env.seq, "kind": env.kind,
            "at": env.at, "now": now, "data": _json(env.data),
        },
    )  # fmt: skip
    if new is None:
        return None
    return Stored(env, now, await _project_safely(conn, env, now))


async def _project_safely(
    conn: AsyncConnection, env: Envelope, now: datetime
) -> dict[str, Any] | None:
    """:func:`_project` in a savepoint: an event whose data does not fit (a field missing, a
    geometry PostGIS refuses) is still kept in ``fed_events``, only not drawn, and logged."""
    try:
        async with conn.begin_nested():
            return await _project(conn, env, now)
    except (KeyError, TypeError, ValueError, DBAPIError) as exc:
        log.warning("centre: %s %s from %s kept but not projected: %r", env.kind, env.id,
                    env.station, exc)  # fmt: skip
        return None


async def _project(conn: AsyncConnection, env: Envelope, now: datetime) -> dict[str, Any] | None:
    """Bring the live picture up to date with the new event `env`; the page's view of it."""
    station, d = env.station, env.data
    if env.kind == "vehicle.frame":
        key = await _vehicle(conn, env, now)
        return None if key is None else vehicle_view(station, key, d)
    if env.kind in ("incident.created", "incident.updated"):
        key = await _incident(conn, env)
        return None if key is None else incident_view(station, key, d)
    if env.kind == "patrol.state":
        key = await _patrol(conn, env)
        vehicle = await vehicle_key(conn, station, vehicle_id=d.get("vehicle_id"))
        return None if key is None else patrol_view(station, key, d, vehicle)
    if env.kind in ("alert", "report.ready"):
        return alert_view(station, d, await vehicle_key(conn, station, sysid=d.get("sysid")))
    if env.kind in HANDOVER_STATES:
        await record_handover(conn, env, now)
    elif env.kind == "freshness":
        await _freshness(conn, env)
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
                "refs": _json(ack.refs), "now": now, "id": ack.command_id,
                "station": env.station,
            },
        )  # fmt: skip
    return None


async def vehicle_key(
    conn: AsyncConnection, station: str, *, sysid: Any = None, vehicle_id: Any = None
) -> int | None:
    """The centre's key of a station's vehicle, by its system id or its registry id."""
    if isinstance(sysid, int):
        where, value = "sysid = :value", sysid
    elif isinstance(vehicle_id, int):
        where, value = "(frame->>'vehicle_id')::int = :value", vehicle_id
    else:
        return None
    key: int | None = await conn.scalar(
        text(f"SELECT key FROM fed_vehicles WHERE station = :station AND {where}"),
        {"station": station, "value": value},
    )
    return key


async def _vehicle(conn: AsyncConnection, env: Envelope, now: datetime) -> int | None:
    """The vehicle's latest frame (an older frame arriving late changes nothing)."""
    d = env.data
    key: int | None = await conn.scalar(
        text(
            "INSERT INTO fed_vehicles (station, sysid, name, lat_deg, lon_deg, armed, "
            "battery_pct, updated_at, received_at, frame, position) VALUES (:station, :sysid, "
            ":name, :lat, :lon, :armed, :battery, :at, :now, CAST(:frame AS JSONB), "
            "CASE WHEN CAST(:lat AS double precision) IS NULL OR CAST(:lon AS double precision) "
            f"IS NULL THEN NULL ELSE {_POINT} END) "
            "ON CONFLICT (station, sysid) DO UPDATE SET "
            "name = COALESCE(EXCLUDED.name, fed_vehicles.name), "
            "lat_deg = COALESCE(EXCLUDED.lat_deg, fed_vehicles.lat_deg), "
            "lon_deg = COALESCE(EXCLUDED.lon_deg, fed_vehicles.lon_deg), "
            "position = COALESCE(EXCLUDED.position, fed_vehicles.position), "
            "armed = EXCLUDED.armed, battery_pct = EXCLUDED.battery_pct, "
            "updated_at = EXCLUDED.updated_at, received_at = EXCLUDED.received_at, "
            "frame = EXCLUDED.frame WHERE fed_vehicles.updated_at <= EXCLUDED.updated_at "
            "RETURNING key"
        ),
        {
            "station": env.station, "sysid": d["sysid"], "name": d.get("name"),
            "lat": d.get("lat_deg"), "lon": d.get("lon_deg"), "armed": d.get("armed"),
            "battery": d.get("battery_pct"), "at": env.at, "now": now, "frame": _json(d),
        },
    )  # fmt: skip
    return key


async def _incident(conn: AsyncConnection, env: Envelope) -> int | None:
    """The incident's latest state and place."""
    d = env.data
    key: int | None = await conn.scalar(
        text(
            "INSERT INTO fed_incidents (station, incident_id, status, position, data, "
            f"updated_at) VALUES (:station, :id, :status, {_POINT}, CAST(:data AS JSONB), :at) "
            "ON CONFLICT (station, incident_id) DO UPDATE SET status = EXCLUDED.status, "
            "position = EXCLUDED.position, data = EXCLUDED.data, "
            "updated_at = EXCLUDED.updated_at "
            "WHERE fed_incidents.updated_at <= EXCLUDED.updated_at RETURNING key"
        ),
        {
            "station": env.station, "id": d["id"], "status": d["status"],
            "lat": d["lat_deg"], "lon": d["lon_deg"], "data": _json(d), "at": env.at,
        },
    )  # fmt: skip
    return key


async def _patrol(conn: AsyncConnection, env: Envelope) -> int | None:
    """The patrol's latest state."""
    d = env.data
    key: int | None = await conn.scalar(
        text(
            "INSERT INTO fed_patrols (station, patrol_id, state, data, updated_at) "
            "VALUES (:station, :id, :state, CAST(:data AS JSONB), :at) "
            "ON CONFLICT (station, patrol_id) DO UPDATE SET state = EXCLUDED.state, "
            "data = fed_patrols.data || EXCLUDED.data, updated_at = EXCLUDED.updated_at "
            "WHERE fed_patrols.updated_at <= EXCLUDED.updated_at RETURNING key"
        ),
        {
            "station": env.station, "id": d["id"], "state": d["state"], "data": _json(d),
            "at": env.at,
        },
    )  # fmt: skip
    return key


async def _freshness(conn: AsyncConnection, env: Envelope) -> None:
    """The station's freshness classes, replacing the ones it sent before (if older)."""
    newer = await conn.scalar(
        text("SELECT count(*) FROM fed_freshness WHERE station = :station AND at > :at"),
        {"station": env.station, "at": env.at},
    )
    if newer:
        return
    await conn.execute(
        text("DELETE FROM fed_freshness WHERE station = :station"), {"station": env.station}
    )
    max_age_h = float(env.data["max_age_h"])
    for feature in env.data["geojson"]["features"]:
        await conn.execute(
            text(
                "INSERT INTO fed_freshness (station, class, geom, max_age_h, at) VALUES "
                "(:station, :class, ST_Multi(ST_CollectionExtract(ST_MakeValid("
                "ST_SetSRID(ST_GeomFromGeoJSON(:geometry), 4326)), 3)), :max_age_h, :at)"
            ),
            {
                "station": env.station, "class": feature["properties"]["class"],
                "geometry": json.dumps(feature["geometry"]), "max_age_h": max_age_h,
                "at": env.at,
            },
        )  # fmt: skip


def _record(r: Any) -> CommandRecord:
    return CommandRecord(
        r.id, r.station, r.kind, r.sysid, r.issued_by, r.result, r.reason, r.code,
        r.params, r.refs, r.sent_at, r.acked_at,
    )  # fmt: skip


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)
