"""The centre's spatial questions on PostGIS: nearest free drone, incidents in an area, and
the freshness of the whole river merged from every station's.

Each takes the stations a user may see (``stations=None``: all of them), so a scoped officer's
answer never holds another station's drones or incidents.

Merging freshness: a point of the river was last seen when the station that saw it most
recently saw it, so it is ``fresh`` if any station has it fresh, else ``stale`` if any has it
stale, else ``never`` (the union of each class minus the classes above it). Each station
classes its own cells with its own ``max_age_h``; the merged layer says which it used.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

_HERE = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography"


@dataclass(frozen=True, slots=True)
class FreeDrone:
    """A drone the centre could ask its station to dispatch."""

    station: str
    sysid: int
    name: str | None
    distance_m: float
    battery_pct: float | None


def _scope(stations: Collection[str] | None, column: str = "station") -> str:
    return "" if stations is None else f" AND {column} IN :stations"


def _bind(sql: str, stations: Collection[str] | None) -> Any:
    statement = text(sql)
    if stations is not None:
        statement = statement.bindparams(bindparam("stations", expanding=True))
    return statement


async def nearest_free(
    engine: AsyncEngine,
    lat_deg: float,
    lon_deg: float,
    *,
    min_battery_pct: float = 50.0,
    limit: int = 1,
    stations: Collection[str] | None = None,
) -> list[FreeDrone]:
    """The free drones (disarmed, battery at least `min_battery_pct`, not handed over to
    another station), nearest first."""
    sql = (
        f"SELECT station, sysid, name, battery_pct, ST_Distance(position, {_HERE}) AS d "
        "FROM fed_vehicles WHERE armed IS FALSE AND battery_pct >= :min_battery "
        "AND position IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fed_control c "
        "WHERE c.sysid = fed_vehicles.sysid AND c.station <> fed_vehicles.station)"
        f"{_scope(stations)} ORDER BY position <-> {_HERE} LIMIT :limit"
    )
    params: dict[str, Any] = {
        "lat": lat_deg, "lon": lon_deg, "min_battery": min_battery_pct, "limit": limit,
    }  # fmt: skip
    if stations is not None:
        params["stations"] = list(stations)
    async with engine.connect() as conn:
        rows = await conn.execute(_bind(sql, stations), params)
        return [FreeDrone(r.station, r.sysid, r.name, float(r.d), r.battery_pct) for r in rows]


async def incidents_in_area(
    engine: AsyncEngine,
    area: dict[str, Any],
    *,
    stations: Collection[str] | None = None,
    include_resolved: bool = False,
) -> list[tuple[int, str, dict[str, Any]]]:
    """``(key, station, incident)`` of the incidents inside `area` (a GeoJSON Polygon or
    MultiPolygon in WGS84), oldest first."""
    open_only = "" if include_resolved else " AND status <> 'resolved'"
    sql = (
        "SELECT key, station, data FROM fed_incidents WHERE ST_Covers("
        "ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326), position::geometry)"
        f"{open_only}{_scope(stations)} ORDER BY (data->>'created_at'), key"
    )
    params: dict[str, Any] = {"area": json.dumps(area)}
    if stations is not None:
        params["stations"] = list(stations)
    async with engine.connect() as conn:
        rows = await conn.execute(_bind(sql, stations), params)
        return [(r.key, r.station, r.data) for r in rows]


async def merged_freshness(
    engine: AsyncEngine, *, stations: Collection[str] | None = None
) -> dict[str, Any]:
    """Every station's latest freshness classes merged into one GeoJSON FeatureCollection
    (``fresh``, ``stale``, ``never``; see the module docstring), with each class's area."""
    sql = (
        "WITH u AS (SELECT class, ST_Union(geom) AS g FROM fed_freshness "
        f"WHERE true{_scope(stations)} GROUP BY class), "
        "f AS (SELECT COALESCE((SELECT g FROM u WHERE class = 'fresh'), "
        "  ST_GeomFromText('POLYGON EMPTY', 4326)) AS g), "
        "s AS (SELECT ST_Difference(COALESCE((SELECT g FROM u WHERE class = 'stale'), "
        "  ST_GeomFromText('POLYGON EMPTY', 4326)), f.g) AS g FROM f), "
        "n AS (SELECT ST_Difference(ST_Difference(COALESCE((SELECT g FROM u WHERE class = "
        "  'never'), ST_GeomFromText('POLYGON EMPTY', 4326)), f.g), s.g) AS g FROM f, s) "
        "SELECT c, ST_AsGeoJSON(g, 7) AS geometry, ST_Area(g::geography) AS m2 FROM ("
        "SELECT 'fresh' AS c, g FROM f UNION ALL SELECT 'stale', g FROM s "
        "UNION ALL SELECT 'never', g FROM n) AS classes WHERE NOT ST_IsEmpty(g)"
    )
    info = (
        f"SELECT station, max(max_age_h) AS h, max(at) AS at FROM fed_freshness "
        f"WHERE true{_scope(stations)} GROUP BY station ORDER BY station"
    )
    params: dict[str, Any] = {} if stations is None else {"stations": list(stations)}
    async with engine.connect() as conn:
        rows = (await conn.execute(_bind(sql, stations), params)).all()
        per_station = (await conn.execute(_bind(info, stations), params)).all()
    order = {"fresh": 0, "stale": 1, "never": 2}
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(r.geometry),
            "properties": {"class": r.c, "area_km2": round(float(r.m2) / 1e6, 6)},
        }
        for r in sorted(rows, key=lambda r: order[r.c])
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {
            "stations": [
                {"station": r.station, "max_age_h": r.h, "at": r.at.isoformat()}
                for r in per_station
            ]
        },
    }
