"""A spoofer on another UDP port with a real drone's system id, against the station service.

The station listens (``udpin``) as a real one does for radios; two simulated drones send to it,
and a FakeAutopilot with drone 2's system id sends from another port. Signed fleet: the
spoofer's unsigned frames are dropped and counted, nothing is held, commands and the patrol
upload reach the real drone only. Unsigned fleet (explicit setting): the spoofer's frames raise
an address-change alert and hold drone 2's commands (409) until the pilot refuses the new
address; the drone's address never moves and the spoofer never gets a command or an item.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, StationProcess, accept_and_enrol, free_port
from tests.e2e.service.test_patrol_e2e import FACTOR, NEAR_STATION, SPEEDUP, bearer, login

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def _station(tmp_path, env: dict[str, str]) -> AsyncIterator[tuple[SimFleet, StationProcess]]:
    port = free_port()
    config = SimConfig(
        drones=2, listen=None, connect=f"udpout:127.0.0.1:{port}", speedup=SPEEDUP, seed=5
    )
    async with SimFleet(config) as sim:
        station = StationProcess(tmp_path, [f"udpin:127.0.0.1:{port}"], FACTOR, env=env)
        await station.start()
        try:
            yield sim, station
        finally:
            await station.stop()


async def _alert(ws: Any, kind: str, sysid: int) -> dict[str, Any]:
    async with asyncio.timeout(20 * FACTOR):
        async for raw in ws:
            msg = json.loads(raw)
            data = msg["data"]
            if msg["type"] == "alert" and (data.get("kind"), data.get("sysid")) == (kind, sysid):
                return dict(data)
    raise AssertionError("live stream ended")


async def _start_patrol(client: httpx.AsyncClient, pilot: dict[str, str], vehicle_id: int):
    body = {"name": "spoof test", "kind": "coverage", "altitude_m": 30,
            "polygon": NEAR_STATION, "swath_width_m": 60}  # fmt: skip
    plan = (await client.post("/api/plans", json=body, headers=pilot)).json()
    body = {"plan_id": plan["id"], "vehicle_ids": [vehicle_id]}
    r = await client.post("/api/patrols", json=body, headers=pilot)
    pid = r.json()["data"][0]["id"]
    return await client.post(f"/api/patrols/{pid}/start", headers=pilot)


async def _until_uploaded(sim: SimFleet, sysid: int) -> None:
    async with asyncio.timeout(30 * FACTOR):
        while not sim.vehicles[sysid].autopilot.mission.items[0]:  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def test_signed_fleet_spoofer_is_dropped_and_the_real_drone_flies(tmp_path):
    async with (
        _station(tmp_path, {}) as (sim, station),
        httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client,
    ):
        token = await login(client, *ADMIN)
        pilot = bearer(token)
        ids = await accept_and_enrol(client, pilot, [1, 2], 30 * FACTOR)
        before = (await client.get(f"/api/vehicles/{ids[2]}/link", headers=pilot)).json()
        assert before["security"]["signed"] is True
        spoof = FakeAutopilot(2, seed=7)
        async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
            snapshot = json.loads(await ws.recv())  # subscribed: no alert missed from now on
            assert snapshot["data"]["unknown_vehicles"] == []
            async with FakeVehicleEndpoint(spoof, ("127.0.0.1", station_port(station))):
                alert = await _alert(ws, "frames_dropped", 2)
                assert "unsigned" in alert["text"]
                r = await client.post(f"/api/vehicles/{ids[2]}/commands/arm", headers=pilot)
                assert r.status_code == 200, r.text
                assert sim.vehicles[2].state.armed
                r = await client.post(f"/api/vehicles/{ids[2]}/commands/disarm", headers=pilot)
                assert r.status_code == 200, r.text
                r = await _start_patrol(client, pilot, ids[2])
                assert r.status_code == 202, r.text
                await _until_uploaded(sim, 2)
                link = (await client.get(f"/api/vehicles/{ids[2]}/link", headers=pilot)).json()
        assert link["security"]["address"] == before["security"]["address"]
        assert link["security"]["held"] is False
        assert link["security"]["dropped"]["unsigned"] > 0
        assert spoof.commands_seen == []
        assert spoof.missions == {}
        r = await client.get("/api/vehicles", headers=pilot)
        assert sorted(v["sysid"] for v in r.json()["data"]) == [1, 2]


def station_port(station: StationProcess) -> int:
    return int(station.mavlink[0].rsplit(":", 1)[1])


async def test_unsigned_fleet_spoofer_holds_commands_until_the_pilot_refuses_it(tmp_path):
    env = {"ECOPATROL_LINK__REQUIRE_SIGNING": "false"}
    async with (
        _station(tmp_path, env) as (sim, station),
        httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client,
    ):
        token = await login(client, *ADMIN)
        pilot = bearer(token)
        ids = await accept_and_enrol(client, pilot, [1, 2], 30 * FACTOR, enrol=False)
        before = (await client.get(f"/api/vehicles/{ids[2]}/link", headers=pilot)).json()
        assert before["security"]["signed"] is False
        spoof = FakeAutopilot(2, seed=7)
        async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
            snapshot = json.loads(await ws.recv())  # subscribed: no alert missed from now on
            assert snapshot["data"]["unknown_vehicles"] == []
            async with FakeVehicleEndpoint(spoof, ("127.0.0.1", station_port(station))):
                alert = await _alert(ws, "address_changed", 2)
                assert "commands held" in alert["text"]
                r = await client.post(f"/api/vehicles/{ids[2]}/commands/arm", headers=pilot)
                assert r.status_code == 409, r.text
                assert "held" in r.json()["detail"]
                assert (await _start_patrol(client, pilot, ids[2])).status_code == 409
                link = (await client.get(f"/api/vehicles/{ids[2]}/link", headers=pilot)).json()
                assert link["security"]["held"] is True
                assert link["security"]["address"] == before["security"]["address"]
                r = await client.post(
                    f"/api/vehicles/{ids[2]}/link/address", json={"accept": False}, headers=pilot
                )
                assert r.status_code == 200, r.text
                r = await client.post(f"/api/vehicles/{ids[2]}/commands/arm", headers=pilot)
                assert r.status_code == 200, r.text
                assert sim.vehicles[2].state.armed
                await client.post(f"/api/vehicles/{ids[2]}/commands/disarm", headers=pilot)
                r = await _start_patrol(client, pilot, ids[2])
                assert r.status_code == 202, r.text
                await _until_uploaded(sim, 2)
                link = (await client.get(f"/api/vehicles/{ids[2]}/link", headers=pilot)).json()
        assert link["security"]["address"] == before["security"]["address"]
        assert link["security"]["dropped"]["foreign_address"] > 0
        assert spoof.commands_seen == []
        assert spoof.missions == {}
        r = await client.get("/api/audit", headers=pilot)
        commands = [e["command"] for e in r.json()["data"]]
        assert "link.address_changed" in commands
        assert "link.address" in commands
