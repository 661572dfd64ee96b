"""The centre's API and live stream over a real Mosquitto and PostgreSQL + PostGIS: two
stations' drones, incidents and alerts, the station filter, and station-scoped officers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import websockets

from groundstation.federation.station import StationLink
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.centre_web import (
    broker_login,
    live,
    running_centre_web,
)
from tests.integration.federation.helpers import station, wait_for


def frame(sysid: int, lat: float, lon: float) -> dict[str, Any]:
    return {
        "sysid": sysid, "vehicle_id": sysid, "name": f"drone-{sysid}", "lat_deg": lat,
        "lon_deg": lon, "armed": False, "battery_pct": 90.0, "link": {"status": "ok"},
    }  # fmt: skip


def incident(incident_id: int, lat: float, lon: float, text: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "id": incident_id, "type": "other", "status": "open", "lat_deg": lat, "lon_deg": lon,
        "description": text, "reported_by": 1, "assigned_to": None, "patrol_id": None,
        "vehicle_id": None, "created_at": now, "updated_at": now, "resolved_at": None,
    }  # fmt: skip


def patrol(patrol_id: int, *, vehicle_id: int, state: str) -> dict[str, Any]:
    return {
        "id": patrol_id, "plan_id": 3, "sortie": 1, "vehicle_id": vehicle_id, "state": state,
        "reason": "started by pilot", "last_item_reached": 0,
    }  # fmt: skip


@contextlib.asynccontextmanager
async def stations_running(*links: StationLink) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(link.run()) for link in links]
    try:
        for link in links:
            async with asyncio.timeout(20):
                await link.connected.wait()
        yield
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def of_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


async def test_two_stations_in_the_centre_api_and_live_stream_scoped_and_filtered(
    broker: Mosquitto, pg_cluster, tmp_path: Path
) -> None:
    """Both stations' drones, incidents and alerts reach the centre's officers live and in the
    API, each drone and incident labelled with its station and keyed apart (both stations have
    a drone 1 and an incident 1); ``?station=`` filters; an officer of river-a never gets
    anything of river-b, live or by API, and is refused when asking for it."""
    url = pg_cluster.create_database()
    a, _ = station(broker, "river-a", tmp_path)
    b, _ = station(broker, "river-b", tmp_path)
    async with running_centre_web(url, tmp_path, broker_login(broker)) as web:
        await wait_for(lambda: "Received SUBSCRIBE from centre" in broker.log(), timeout_s=30)
        async with (
            stations_running(a, b),
            live(web, "chief") as chief,
            live(web, "chief", "&station=river-b") as chief_b,
            live(web, "officer-a") as officer_a,
        ):
            a.emit("vehicle.frame", frame(1, 29.05, 119.10))
            b.emit("vehicle.frame", frame(1, 29.06, 119.30))
            a.emit("incident.created", incident(1, 29.051, 119.101, "oil on the water"))
            b.emit("incident.created", incident(1, 29.061, 119.301, "net in the reeds"))
            a.emit("patrol.state", patrol(7, vehicle_id=1, state="flying"))
            b.emit("patrol.state", patrol(7, vehicle_id=1, state="flying"))
            b.emit("patrol.state", patrol(7, vehicle_id=1, state="reported"))
            a.emit("alert", {"level": "warning", "text": "battery low", "sysid": 1})
            b.emit("alert", {"level": "info", "text": "landed", "sysid": 1})

            def full(messages: list[dict[str, Any]]) -> bool:
                return {(m["type"], m.get("station")) for m in messages} >= {
                    (k, s)
                    for k in ("vehicle.frame", "incident.created", "patrol.state", "alert")
                    for s in ("river-a", "river-b")
                }

            got = await chief.until(full)
            await chief_b.until(lambda m: len(of_type(m, "alert")) >= 1)
            await officer_a.until(lambda m: len(of_type(m, "alert")) >= 1)
            await asyncio.gather(chief_b.quiet(0.5), officer_a.quiet(0.5))

        frames = of_type(got, "vehicle.frame")
        assert {f["data"]["station"] for f in frames} == {"river-a", "river-b"}
        assert {f["data"]["station_sysid"] for f in frames} == {1}
        assert len({f["data"]["sysid"] for f in frames}) == 2  # the centre's keys differ
        for f in frames:  # the times a delay is measured with
            assert f["station_at"]
            assert f["centre_at"] >= f["station_at"]
        incidents = of_type(got, "incident.created")
        assert {i["data"]["station"]: i["data"]["description"] for i in incidents} == {
            "river-a": "oil on the water", "river-b": "net in the reeds",
        }  # fmt: skip
        assert len({i["data"]["id"] for i in incidents}) == 2
        alerts = {m["station"]: m["data"] for m in of_type(got, "alert")}
        keys = {f["data"]["station"]: f["data"]["sysid"] for f in frames}
        assert alerts["river-a"]["sysid"] == keys["river-a"]  # about the centre's drone
        patrols = [(m["station"], m["data"]) for m in of_type(got, "patrol.state")]
        assert {(s, p["station_patrol_id"], p["state"]) for s, p in patrols} == {
            ("river-a", 7, "flying"), ("river-b", 7, "flying"), ("river-b", 7, "reported"),
        }  # fmt: skip
        assert len({p["id"] for _, p in patrols}) == 2  # one centre key per station's patrol
        assert all(p["vehicle_id"] == keys[s] for s, p in patrols)  # flown by the centre's drone

        assert {m.get("station") for m in chief_b.messages[1:]} == {"river-b"}
        assert {m.get("station") for m in officer_a.messages[1:]} == {"river-a"}

        # the snapshot on (re)connecting, and the API, scoped the same way
        async with live(web, "officer-a") as again, live(web, "chief") as all_:
            snap_a, snap_all = again.messages[0]["data"], all_.messages[0]["data"]
        assert snap_a["user"]["station"] == "river-a"
        assert {v["station"] for v in snap_a["vehicles"]} == {"river-a"}
        assert {i["station"] for i in snap_a["incidents"]} == {"river-a"}
        assert {x["station"] for x in snap_a["alerts"]} == {"river-a"}
        assert [(p["station"], p["station_patrol_id"]) for p in snap_a["patrols"]] == [
            ("river-a", 7)
        ]
        # river-b's patrol 7 is reported: finished, not in the snapshot
        assert [p["station"] for p in snap_all["patrols"]] == ["river-a"]
        assert snap_a["stations"] == ["river-a"]
        assert {v["station"] for v in snap_all["vehicles"]} == {"river-a", "river-b"}
        assert snap_all["stations"] == ["river-a", "river-b"]

        async with web.client("officer-a") as client:
            r = await client.get("/api/centre/vehicles")
            assert [v["station"] for v in r.json()] == ["river-a"]
            r = await client.get("/api/centre/incidents")
            assert [i["station"] for i in r.json()] == ["river-a"]
            r = await client.get("/api/centre/nearest-free?lat_deg=29.06&lon_deg=119.30")
            assert [d["station"] for d in r.json()] == ["river-a"]  # B's is nearer
            for path in ("/api/centre/vehicles", "/api/centre/incidents"):
                r = await client.get(f"{path}?station=river-b")
                assert r.status_code == 403, r.text
        async with web.client("chief") as client:
            r = await client.get("/api/centre/vehicles?station=river-b")
            assert [v["station"] for v in r.json()] == ["river-b"]
            r = await client.get("/api/centre/nearest-free?lat_deg=29.06&lon_deg=119.30&limit=2")
            assert [d["station"] for d in r.json()] == ["river-b", "river-a"]
            assert r.json()[0]["distance_m"] < 200
            r = await client.get("/api/centre/stations")
            assert r.json() == ["river-a", "river-b"]
        # a scoped officer asking the live stream for another station is refused
        async with websockets.connect(
            f"{web.ws_url}?token={web.tokens['officer-a']}&station=river-b"
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
