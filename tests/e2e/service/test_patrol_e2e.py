"""The station service (uvicorn subprocess) flies a patrol on the simulator (3 vehicles)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from groundstation.patrol.track_recorder import haversine_m
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, PASSWORD, StationProcess

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
SPEEDUP = 10.0

#: About 300 m x 300 m just south of the Longyou station (where the simulator's drones stand).
NEAR_STATION = {
    "type": "Polygon",
    "coordinates": [
        [
            [119.18023, 29.04940],
            [119.18331, 29.04935],
            [119.18337, 29.05205],
            [119.18029, 29.05210],
            [119.18023, 29.04940],
        ]
    ],
}


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    r = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def stack(tmp_path) -> AsyncIterator[tuple[SimFleet, StationProcess]]:
    config = SimConfig(drones=3, listen="udpin:127.0.0.1:0", speedup=SPEEDUP, seed=2)
    async with SimFleet(config) as sim:
        station = StationProcess(
            tmp_path, [f"udpout:127.0.0.1:{sim.ports[0]}"], FACTOR, enrol=[1, 2, 3]
        )
        await station.start()
        try:
            yield sim, station
        finally:
            await station.stop()


async def messages(ws: Any) -> AsyncIterator[dict[str, Any]]:
    async for raw in ws:
        yield json.loads(raw)


async def until_patrol(ws: Any, patrol_id: int, done: Any, seen: list[str]) -> dict[str, Any]:
    """Read the live stream until `done(message)` holds for this patrol; record its states."""
    async for msg in messages(ws):
        data = msg["data"]
        if msg["type"] == "patrol.state" and data["id"] == patrol_id:
            seen.append(data["state"])
        mine = msg["type"] in ("patrol.state", "patrol.progress") and data["id"] == patrol_id
        if mine and done(msg):
            return msg
    raise AssertionError("live stream ended")


class Truth:
    """What the simulated drone really did, read from the simulator's own state."""

    def __init__(self, sim: SimFleet, sysid: int) -> None:
        self.vehicle = sim.vehicles[sysid]
        self.photos_before = self.vehicle.state.photos
        self.distance_m = 0.0
        self.battery_at_arming: float | None = None

    async def watch(self) -> None:
        last = None
        while True:
            st = self.vehicle.state
            if st.armed:
                if self.battery_at_arming is None:
                    self.battery_at_arming = st.battery_pct
                if last is not None:
                    self.distance_m += haversine_m(last[0], last[1], st.lat_deg, st.lon_deg)
                last = (st.lat_deg, st.lon_deg)
            await asyncio.sleep(0.02)

    @property
    def photos(self) -> int:
        return self.vehicle.state.photos - self.photos_before


async def test_patrol_flies_survives_a_station_kill_and_files_its_track(tmp_path):
    """Pilot plans and starts a patrol; the station is killed mid-flight; the patrol completes,
    and its report's photos, battery at arming and distance are what the simulator flew."""
    async with stack(tmp_path) as (sim, station):
        async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
            admin = bearer(await login(client, *ADMIN))
            for name, role in (("pilot1", "pilot"), ("officer1", "officer")):
                body = {"username": name, "password": PASSWORD, "role": role}
                assert (
                    await client.post("/api/users", json=body, headers=admin)
                ).status_code == 201
            pilot_token = await login(client, "pilot1")
            pilot, officer = bearer(pilot_token), bearer(await login(client, "officer1"))

            # the three drones register themselves on their first heartbeat
            async with asyncio.timeout(20 * FACTOR):
                while (await client.get("/api/vehicles", headers=pilot)).json()["count"] < 3:  # noqa: ASYNC110 (polling the API is the point)
                    await asyncio.sleep(0.2)
            vehicles = (await client.get("/api/vehicles", headers=pilot)).json()["data"]
            v1 = next(v for v in vehicles if v["sysid"] == 1)

            # an officer may not command a drone; the refusal names the role
            r = await client.post(f"/api/vehicles/{v1['id']}/commands/arm", headers=officer)
            assert r.status_code == 403
            assert not sim.vehicles[1].state.armed

            # an anonymous websocket is closed with 1008
            async with websockets.connect(station.ws_url) as anon:
                await anon.send(json.dumps({"type": "hello"}))
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await anon.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008

            # slow (6 m/s): the flight must outlast a station restart on a loaded machine
            plan_body = {"name": "south square", "kind": "coverage", "altitude_m": 30,
                         "polygon": NEAR_STATION, "swath_width_m": 60, "speed_m_s": 6}  # fmt: skip
            r = await client.post("/api/plans", json=plan_body, headers=pilot)
            assert r.status_code == 201, r.text
            plan = r.json()
            r = await client.post(
                "/api/patrols",
                json={"plan_id": plan["id"], "vehicle_ids": [v1["id"]]},
                headers=pilot,
            )
            patrol = r.json()["data"][0]
            pid = patrol["id"]

            seen: list[str] = []
            truth = Truth(sim, 1)
            watcher = asyncio.create_task(truth.watch())
            async with websockets.connect(f"{station.ws_url}?token={pilot_token}") as ws:
                snapshot = json.loads(await ws.recv())
                assert snapshot["type"] == "snapshot"
                assert {v["sysid"] for v in snapshot["data"]["vehicles"]} == {1, 2, 3}
                r = await client.post(f"/api/patrols/{pid}/start", headers=pilot)
                assert r.status_code == 202, r.text
                async with asyncio.timeout(90 * FACTOR):
                    await until_patrol(
                        ws,
                        pid,
                        lambda m: (
                            m["type"] == "patrol.progress" and m["data"]["last_item_reached"] >= 4
                        ),
                        seen,
                    )
            assert seen[:4] == ["preflight", "uploading", "launching", "flying"]
            assert sim.vehicles[1].state.armed

            # power cut: the station dies mid-flight and comes back on the same store
            await station.kill()
            photos_at_kill = truth.photos
            await asyncio.sleep(1.0)
            assert sim.vehicles[1].state.armed, "the drone flies on without its station"
            await station.start()
            photos_unheard = truth.photos - photos_at_kill  # taken while the station was down

        async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
            pilot_token = await login(client, "pilot1")
            pilot = bearer(pilot_token)
            after: list[str] = []
            async with websockets.connect(f"{station.ws_url}?token={pilot_token}") as ws:
                snapshot = json.loads(await ws.recv())
                open_ids = {p["id"] for p in snapshot["data"]["patrols"]}
                if pid in open_ids:  # (else it already finished while we reconnected)
                    async with asyncio.timeout(180 * FACTOR):
                        await until_patrol(
                            ws,
                            pid,
                            lambda m: (
                                m["type"] == "patrol.state"
                                and m["data"]["state"] in ("reported", "failed", "aborted")
                            ),
                            after,
                        )
            detail = (await client.get(f"/api/patrols/{pid}", headers=pilot)).json()
            assert detail["state"] == "reported", (detail["reason"], station.log_text())
            states = [t["to_state"] for t in detail["transitions"]]
            assert states[-3:] == ["returning", "landed", "reported"]
            track = detail["track"]
            assert track["geometry"]["type"] == "MultiLineString"
            assert track["properties"]["segments"] >= 2, "the restart leaves a marked gap"
            assert track["properties"]["points"] > 50
            lats = [c[1] for line in track["geometry"]["coordinates"] for c in line]
            assert min(lats) < 29.0500, "the track reaches the south of the area"
            facts = detail["report"]
            assert facts["covered_frac"] == 1.0
            assert any(e["kind"] == "reattached" for e in facts["events"])
            assert not sim.vehicles[1].state.armed
            watcher.cancel()

            # nothing the station had heard is lost by the kill: every photo is in the report
            # or counted as missed (taken while the station was down: at most those, plus the
            # ones heard in the last flush interval before the kill: a photo per 60 m, 60 m a
            # wall second here; 2 allows a flush a little late on a loaded machine)
            assert truth.photos > 5
            assert len(facts["photos"]) + facts["photos_missed"] == truth.photos
            assert facts["photos_missed"] <= photos_unheard + 2
            assert truth.battery_at_arming is not None
            assert facts["battery_start_pct"] == pytest.approx(truth.battery_at_arming, abs=1.0)
            assert facts["battery_end_pct"] < facts["battery_start_pct"]
            # one distance: the report's, the summary's and the simulator's agree (across the
            # restart's gap it follows the route's waypoints)
            summary = (await client.post(f"/api/patrols/{pid}/report", headers=pilot)).json()
            assert summary["distance_m"] == pytest.approx(facts["distance_m"], abs=0.1)
            assert facts["distance_m"] == pytest.approx(truth.distance_m, rel=0.03)
            assert summary["battery_used_pct"] == pytest.approx(
                facts["battery_start_pct"] - facts["battery_end_pct"]
            )
