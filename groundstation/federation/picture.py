"""The centre's live picture read from its store, for the page's snapshot and the API.

Every read takes the stations the reader may see (``None``: all), so a station-scoped
officer's snapshot and lists hold only that station's drones, patrols, incidents and alerts.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from groundstation.federation.view import alert_view, incident_view, patrol_view, vehicle_view

#: patrol states after which a patrol is no longer shown
TERMINAL_PATROL_STATES = ("reported", "aborted", "failed")
_TERMINAL = "(" + ", ".join(f"'{s}'" for s in TERMINAL_PATROL_STATES) + ")"


def _where(stations: Collection[str] | None, column: str = "station") -> str:
    return "" if stations is None else f" AND {column} IN :stations"


async def _rows(
    engine: AsyncEngine, sql: str, stations: Collection[str] | None, **params: Any
) -> list[Any]:
    statement = text(sql)
    if stations is not None:
        statement = statement.bindparams(bindparam("stations", expanding=True))
        params["stations"] = list(stations)
    async with engine.connect() as conn:
        return list((await conn.execute(statement, params)).all())


async def vehicles(
    engine: AsyncEngine, stations: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Each vehicle's latest frame (the centre's view), by station then station's sysid."""
    rows = await _rows(
        engine,
        "SELECT key, station, frame FROM fed_vehicles WHERE frame IS NOT NULL"
        f"{_where(stations)} ORDER BY station, sysid",
        stations,
    )
    return [vehicle_view(r.station, r.key, r.frame) for r in rows]


async def incidents(
    engine: AsyncEngine, stations: Collection[str] | None = None, *, resolved: bool = False
) -> list[dict[str, Any]]:
    """The incidents not resolved (or all), oldest first."""
    open_only = "" if resolved else " AND status <> 'resolved'"
    rows = await _rows(
        engine,
        f"SELECT key, station, data FROM fed_incidents WHERE true{open_only}{_where(stations)} "
        "ORDER BY (data->>'created_at'), key",
        stations,
    )
    return [incident_view(r.station, r.key, r.data) for r in rows]


async def patrols(
    engine: AsyncEngine, stations: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The patrols not finished, with their vehicles' centre keys."""
    rows = await _rows(
        engine,
        "SELECT p.key, p.station, p.data, v.key AS vehicle FROM fed_patrols p "
        "LEFT JOIN fed_vehicles v ON v.station = p.station "
        "AND (v.frame->>'vehicle_id')::int = (p.data->>'vehicle_id')::int "
        f"WHERE p.state NOT IN {_TERMINAL}{_where(stations, 'p.station')} ORDER BY p.key",
        stations,
    )
    return [patrol_view(r.station, r.key, r.data, r.vehicle) for r in rows]


async def alerts(
    engine: AsyncEngine, stations: Collection[str] | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest alerts of the stations, newest first (each with ``ts``: the station's time)."""
    rows = await _rows(
        engine,
        "SELECT e.station, e.at, e.data, v.key AS vehicle FROM fed_events e "
        "LEFT JOIN fed_vehicles v ON v.station = e.station "
        "AND v.sysid = (e.data->>'sysid')::int "
        f"WHERE e.kind IN ('alert', 'report.ready'){_where(stations, 'e.station')} "
        "ORDER BY e.arrival DESC LIMIT :limit",
        stations,
        limit=limit,
    )
    return [{**alert_view(r.station, r.data, r.vehicle), "ts": r.at.isoformat()} for r in rows]


async def stations(engine: AsyncEngine, visible: Collection[str] | None = None) -> list[str]:
    """The stations the centre has heard from (of those in `visible`), in name order."""
    rows = await _rows(
        engine,
        f"SELECT DISTINCT station FROM fed_vehicles WHERE true{_where(visible)} "
        f"UNION SELECT DISTINCT station FROM fed_incidents WHERE true{_where(visible)} "
        "ORDER BY station",
        visible,
    )
    return [r.station for r in rows]
