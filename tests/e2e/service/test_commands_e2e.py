"""Pilot commands, a lost drone, incident dispatch and an RTL-interrupted patrol resumed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets

from tests.e2e.service.station import ADMIN, PASSWORD
from tests.e2e.service.test_patrol_e2e import (
    FACTOR,
    NEAR_STATION,
    SPEEDUP,
    bearer,
    login,
    stack,
    until_patrol,
)

pytestmark = pytest.mark.e2e


def state_in(*states: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == "patrol.state" and m["data"]["state"] in states


def reached_item(seq: int) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == "patrol.progress" and m["data"]["last_item_reached"] >= seq


async def test_commands_lost_drone_dispatch_and_resume_after_rtl(tmp_path):
    """Commands are audited; a lost drone is 409; dispatch picks the nearest free drone; a
    patrol cut short by RTL lands resumable and, resumed, finishes from its last item."""
    async with (
        stack(tmp_path) as (sim, station),
        httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client,
    ):
        admin = bearer(await login(client, *ADMIN))
        for name, role in (("pilot1", "pilot"), ("officer1", "officer")):
            body: dict[str, Any] = {"username": name, "password": PASSWORD, "role": role}
            assert (await client.post("/api/users", json=body, headers=admin)).status_code == 201
        token = await login(client, "pilot1")
        pilot, officer = bearer(token), bearer(await login(client, "officer1"))
        async with asyncio.timeout(20 * FACTOR):
            while (await client.get("/api/vehicles", headers=pilot)).json()["count"] < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
        ids = {
            v["sysid"]: v["id"]
            for v in (await client.get("/api/vehicles", headers=pilot)).json()["data"]
        }

        plan_body: dict[str, Any] = {"name": "south", "kind": "coverage", "altitude_m": 30,
                         "polygon": NEAR_STATION, "swath_width_m": 60}  # fmt: skip
        plan = (await client.post("/api/plans", json=plan_body, headers=pilot)).json()
        body = {"plan_id": plan["id"], "vehicle_ids": [ids[1]]}
        pid = (await client.post("/api/patrols", json=body, headers=pilot)).json()["data"][0]["id"]

        async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
            await ws.recv()  # snapshot
            r = await client.post(f"/api/patrols/{pid}/start", headers=pilot)
            assert r.status_code == 202, r.text

            # vehicle 2 by hand: arm, take off (both audited); a loaded machine may take more
            # than the default 10 simulated seconds between the two: no auto-disarm meanwhile
            sim.vehicles[2].autopilot.params.set("DISARM_DELAY", 0)
            v2 = f"/api/vehicles/{ids[2]}/commands"
            assert (await client.post(f"{v2}/arm", headers=pilot)).status_code == 200
            r = await client.post(f"{v2}/takeoff", json={"alt_m": 20}, headers=pilot)
            assert r.status_code == 200, r.text
            # a patrol cannot start on a drone someone is flying
            body = {"plan_id": plan["id"], "vehicle_ids": [ids[2]]}
            r = await client.post("/api/patrols", json=body, headers=pilot)
            busy = r.json()["data"][0]["id"]
            r = await client.post(f"/api/patrols/{busy}/start", headers=pilot)
            assert r.status_code == 409
            checks = {c["name"]: c["ok"] for c in r.json()["fields"]["checks"]}
            assert checks["vehicle_free"] is False
            events = (await client.get(f"/api/patrols/{busy}", headers=pilot)).json()["events"]
            assert events[-1]["kind"] == "preflight"
            assert events[-1]["level"] == "warning"
            assert "vehicle_free" in events[-1]["text"]

            # vehicle 3 goes silent: commands to it are refused with 409
            sim.faults.cut_link(3, 120.0 * SPEEDUP)
            async with asyncio.timeout(20 * FACTOR):
                while True:
                    r = await client.post(f"/api/vehicles/{ids[3]}/commands/arm", headers=pilot)
                    if r.status_code == 409:
                        break
                    await asyncio.sleep(0.5)
            assert "link lost" in r.json()["detail"]

            # an incident south of the station: the nearest free drone is vehicle 2
            body = {"type": "illegal_fishing", "lat_deg": 29.0500, "lon_deg": 119.1820}
            inc = (await client.post("/api/incidents", json=body, headers=officer)).json()
            r = await client.post(f"/api/incidents/{inc['id']}/dispatch", headers=pilot)
            assert r.status_code == 200, r.text
            assert r.json()["sysid"] == 2
            incident = (await client.get(f"/api/incidents/{inc['id']}", headers=officer)).json()
            assert incident["vehicle_id"] == ids[2]
            r = await client.post(
                f"/api/incidents/{inc['id']}/dispatch",
                json={"capability": "thermal"},
                headers=pilot,
            )
            assert r.status_code == 409, "no drone lists a thermal camera"

            seen: list[str] = []
            async with asyncio.timeout(90 * FACTOR):
                await until_patrol(ws, pid, reached_item(8), seen)
            # the pilot calls it back: the patrol returns and lands, resumable
            r = await client.post(f"/api/vehicles/{ids[1]}/commands/rtl", headers=pilot)
            assert r.status_code == 200
            async with asyncio.timeout(90 * FACTOR):
                await until_patrol(ws, pid, state_in("landed"), seen)
            landed = (await client.get(f"/api/patrols/{pid}", headers=pilot)).json()
            assert "resume possible" in landed["reason"]
            reached = landed["last_item_reached"]
            assert 8 <= reached < plan["sorties"][0]["mission_items"] - 2

            r = await client.post(f"/api/patrols/{pid}/resume", headers=pilot)
            assert r.status_code == 202, r.text
            async with asyncio.timeout(120 * FACTOR):
                await until_patrol(ws, pid, state_in("reported", "failed"), seen)

        detail = (await client.get(f"/api/patrols/{pid}", headers=pilot)).json()
        assert detail["state"] == "reported", detail["reason"]
        causes = [t["cause"] for t in detail["transitions"]]
        assert f"mission resumed at item {reached + 1}" in causes
        assert any("RTL at item" in c and "rtl by pilot1" in c for c in causes)
        assert detail["report"]["covered_frac"] == 1.0

        audit = (await client.get("/api/audit", headers=admin)).json()["data"]
        done = {(a["command"], a["vehicle_sysid"], a["result"].split(":")[0]) for a in audit}
        assert {("arm", 2, "accepted"), ("takeoff", 2, "accepted"), ("rtl", 1, "accepted"),
                    ("dispatch", 2, "accepted"), ("arm", 3, "error")} <= done  # fmt: skip
