"""The centre's spatial answers on PostGIS against hand-computed expectations: incidents in a
box and in a polygon, and the freshness of two stations merged; and signing in to the centre."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from shapely.geometry import box, shape
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.config import DbSettings
from groundstation.federation.protocol import Envelope
from groundstation.federation.store import CentreStore
from tests.integration.federation.centre_web import (
    PASSWORD,
    CentreWeb,
    live,
    running_centre_web,
)

T0 = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)


def incident(incident_id: int, lat: float, lon: float, status: str = "open") -> dict[str, Any]:
    return {
        "id": incident_id, "type": "other", "status": status, "lat_deg": lat, "lon_deg": lon,
        "description": f"#{incident_id}", "created_at": (T0 + timedelta(minutes=incident_id))
        .isoformat(),
    }  # fmt: skip


def classes(**boxes: tuple[float, float, float, float]) -> dict[str, Any]:
    """A station's freshness event data: one box per class (west, south, east, north)."""
    return {
        "max_age_h": 24.0,
        "geojson": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": box(*b).__geo_interface__,
                    "properties": {"class": name},
                }
                for name, b in boxes.items()
            ],
        },
    }


@pytest.fixture
async def centre(pg_cluster, tmp_path: Path) -> AsyncIterator[tuple[CentreWeb, CentreStore]]:
    url = pg_cluster.create_database()
    async with running_centre_web(url, tmp_path, broker=None) as web:
        engine = create_async_engine(DbSettings(url=url).async_url)
        try:
            yield web, CentreStore(engine)
        finally:
            await engine.dispose()


async def put(store: CentreStore, station: str, kind: str, data: dict[str, Any]) -> None:
    assert await store.store_event(Envelope(station=station, seq=1, kind=kind, data=data))


async def test_incidents_in_a_box_and_a_polygon(centre: tuple[CentreWeb, CentreStore]) -> None:
    """Incidents inside a bbox or a triangle, of the stations the user may see, open only
    unless asked; a point on the edge is inside (ST_Covers)."""
    web, store = centre
    await put(store, "river-a", "incident.created", incident(1, 29.00, 119.00))
    await put(store, "river-a", "incident.created", incident(2, 29.02, 119.02))
    await put(store, "river-a", "incident.created", incident(3, 29.10, 119.10))  # outside
    await put(store, "river-b", "incident.created", incident(4, 29.01, 119.01))
    await put(store, "river-b", "incident.created", incident(5, 29.015, 119.015, "resolved"))
    bbox = "118.995,28.995,119.025,29.025"
    async with web.client("chief") as chief, web.client("officer-b") as officer_b:
        got = (await chief.get(f"/api/centre/incidents/area?bbox={bbox}")).json()
        assert [(i["station"], i["station_incident_id"]) for i in got] == [
            ("river-a", 1), ("river-a", 2), ("river-b", 4),
        ]  # fmt: skip
        got = (await chief.get(f"/api/centre/incidents/area?bbox={bbox}&resolved=true")).json()
        assert [i["station_incident_id"] for i in got] == [1, 2, 4, 5]
        got = (await officer_b.get(f"/api/centre/incidents/area?bbox={bbox}")).json()
        assert [(i["station"], i["station_incident_id"]) for i in got] == [("river-b", 4)]
        # a triangle (119.00, 29.00) - (119.03, 29.00) - (119.00, 29.03): 1 is its corner,
        # 2 (119.02, 29.02) is beyond its hypotenuse (x + y = 0.03 above the corner), 4 inside
        triangle = {
            "type": "Polygon",
            "coordinates": [[[119.0, 29.0], [119.03, 29.0], [119.0, 29.03], [119.0, 29.0]]],
        }
        got = (await chief.post("/api/centre/incidents/area", json=triangle)).json()
        assert [i["station_incident_id"] for i in got] == [1, 4]
        r = await chief.get("/api/centre/incidents/area?bbox=119.1,29,119.0,29.1")
        assert r.status_code == 422, r.text  # west > east: refused, not an empty answer


async def test_freshness_merged_over_two_stations(centre: tuple[CentreWeb, CentreStore]) -> None:
    """Fresh anywhere is fresh; stale where no station has it fresh; never only where every
    station that covers it says never. Boxes in degrees along one 0.01 deg strip:

    river-a: fresh 119.00-119.02, never 119.02-119.06
    river-b: stale 119.01-119.03, fresh 119.03-119.05
    merged:  fresh 119.00-119.02 and 119.03-119.05, stale 119.02-119.03, never 119.05-119.06
    """
    web, store = centre
    s, n = 29.0, 29.01
    await put(store, "river-a", "freshness",
              classes(fresh=(119.00, s, 119.02, n), never=(119.02, s, 119.06, n)))  # fmt: skip
    await put(store, "river-b", "freshness",
              classes(stale=(119.01, s, 119.03, n), fresh=(119.03, s, 119.05, n)))  # fmt: skip
    expected = {
        "fresh": box(119.00, s, 119.02, n).union(box(119.03, s, 119.05, n)),
        "stale": box(119.02, s, 119.03, n),
        "never": box(119.05, s, 119.06, n),
    }
    async with web.client("chief") as chief, web.client("officer-a") as officer_a:
        fc = (await chief.get("/api/freshness?max_age_h=24")).json()
        got = {f["properties"]["class"]: shape(f["geometry"]) for f in fc["features"]}
        assert list(got) == ["fresh", "stale", "never"]
        for name, geometry in expected.items():
            assert got[name].symmetric_difference(geometry).area < 1e-12, name
        stale = next(f for f in fc["features"] if f["properties"]["class"] == "stale")
        # 0.01 deg x 0.01 deg at 29 deg N on WGS84: 1108.4 m (a degree of latitude there is
        # 110 836 m) x 974.4 m (a degree of longitude, 97 439 m) = 1.080 km2
        assert stale["properties"]["area_km2"] == pytest.approx(1.080, abs=0.002)
        assert [x["station"] for x in fc["properties"]["stations"]] == ["river-a", "river-b"]
        # an officer of river-a gets river-a's own classes only
        fc = (await officer_a.get("/api/freshness")).json()
        got = {f["properties"]["class"]: shape(f["geometry"]) for f in fc["features"]}
        assert got["never"].symmetric_difference(box(119.02, s, 119.06, n)).area < 1e-12
        assert "stale" not in got
    # a station's newer classes replace its older ones
    await put(store, "river-b", "freshness", classes(fresh=(119.01, s, 119.06, n)))
    async with web.client("chief") as chief:
        fc = (await chief.get("/api/freshness")).json()
    got = {f["properties"]["class"]: shape(f["geometry"]) for f in fc["features"]}
    assert list(got) == ["fresh"]
    assert got["fresh"].symmetric_difference(box(119.00, s, 119.06, n)).area < 1e-12


async def test_centre_sign_in_and_logout(centre: tuple[CentreWeb, CentreStore]) -> None:
    """A wrong password and a missing token are 401; a logout ends the token for the API and
    closes the user's live stream with 1008; failed logins back off as on a station."""
    web, _ = centre
    async with httpx.AsyncClient(base_url=web.url) as anon:
        r = await anon.post("/api/auth/login", json={"username": "chief", "password": "nope"})
        assert r.status_code == 401
        r = await anon.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
        assert r.status_code == 401
        assert (await anon.get("/api/centre/vehicles")).status_code == 401
    async with web.client("officer-b") as client:
        me = (await client.get("/api/me")).json()
        assert (me["username"], me["station"]) == ("officer-b", "river-b")
        async with live(web, "officer-b") as stream:
            assert (await client.post("/api/auth/logout")).status_code == 204
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(stream.ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
        assert (await client.get("/api/me")).status_code == 401
    # four wrong passwords from this address (three free: two above, two here): the next
    # attempt waits a second, even with the right password
    async with httpx.AsyncClient(base_url=web.url) as anon:
        for _ in range(2):
            r = await anon.post("/api/auth/login", json={"username": "chief", "password": "x"})
            assert r.status_code == 401
        r = await anon.post("/api/auth/login", json={"username": "chief", "password": PASSWORD})
        assert r.status_code == 429, r.text
        assert r.headers["Retry-After"] == "1"
        assert "client address" in r.json()["detail"]
        await asyncio.sleep(1.1)
        r = await anon.post("/api/auth/login", json={"username": "chief", "password": PASSWORD})
        assert r.status_code == 200, r.text
