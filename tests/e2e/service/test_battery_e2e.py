"""The station learns a drone's battery use from its first patrol and plans and checks the next
one with it (the service as a subprocess, flying the simulator and its battery model)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

import httpx
import pytest

from simulator.fleet import SimConfig, SimFleet
from simulator.vehicle import DRAG_A_PER_M2_S2, HOVER_A
from tests.e2e.service.station import ADMIN, PASSWORD, StationProcess
from tests.e2e.service.test_patrol_e2e import FACTOR, NEAR_STATION, SPEEDUP, bearer, login

pytestmark = pytest.mark.e2e

SPEED_M_S = 8.0


async def until_state(
    client: httpx.AsyncClient, headers, pid: int, states: set[str]
) -> dict[str, Any]:
    while True:
        detail = (await client.get(f"/api/patrols/{pid}", headers=headers)).json()
        if detail["state"] in states:
            return dict(detail)
        await asyncio.sleep(0.3)


async def test_second_patrol_is_planned_and_checked_with_the_learned_rates(tmp_path):
    config = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=SPEEDUP, seed=3)
    async with SimFleet(config) as sim:
        env = {  # learn from one flight (the default asks for 3 flights and 10 minutes)
            "ECOPATROL_PATROL__LEARN_MIN_FLIGHTS": "1",
            "ECOPATROL_PATROL__LEARN_MIN_MINUTES": "1",
        }
        station = StationProcess(
            tmp_path, [f"udpout:127.0.0.1:{sim.ports[0]}"], FACTOR, env, enrol=[1]
        )
        await station.start()
        try:
            async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
                admin = bearer(await login(client, *ADMIN))
                body = {"username": "pilot1", "password": PASSWORD, "role": "pilot"}
                assert (
                    await client.post("/api/users", json=body, headers=admin)
                ).status_code == 201
                pilot = bearer(await login(client, "pilot1"))
                async with asyncio.timeout(20 * FACTOR):
                    while (await client.get("/api/vehicles", headers=pilot)).json()["count"] < 1:  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
                v1 = (await client.get("/api/vehicles", headers=pilot)).json()["data"][0]

                plan_body = {
                    "name": "south square", "kind": "coverage", "altitude_m": 30,
                    "polygon": NEAR_STATION, "swath_width_m": 60, "speed_m_s": SPEED_M_S,
                    "vehicle_id": v1["id"],
                }  # fmt: skip
                r = await client.post("/api/plans", json=plan_body, headers=pilot)
                assert r.status_code == 201, r.text
                first_plan = r.json()
                battery = first_plan["stats"]["battery"]
                assert battery["source"] == "configured"
                assert "0 flights" in battery["basis"]

                r = await client.post(
                    "/api/patrols",
                    json={"plan_id": first_plan["id"], "vehicle_ids": [v1["id"]]},
                    headers=pilot,
                )
                pid = r.json()["data"][0]["id"]
                mah_before = sim.vehicles[1].autopilot.battery.consumed_mah
                r = await client.post(f"/api/patrols/{pid}/start", headers=pilot)
                assert r.status_code == 202, r.text
                async with asyncio.timeout(180 * FACTOR):
                    done = await until_state(client, pilot, pid, {"reported", "failed", "aborted"})
                assert done["state"] == "reported", done["reason"]
                mah_flown = sim.vehicles[1].autopilot.battery.consumed_mah - mah_before
                flight = done["report"]["flights"][0]
                # the flight's charge is what the simulator's battery gave (less its idle draw)
                assert flight["consumed_mah"] == pytest.approx(mah_flown, rel=0.03, abs=5)
                first_checks = next(e for e in done["events"] if e["kind"] == "preflight")
                model = next(c for c in first_checks["data"]["checks"] if c["name"] == "battery")
                assert model["data"]["model"]["source"] == "configured"

                # the second plan for this drone is split by what it learned
                r = await client.post("/api/plans", json=plan_body, headers=pilot)
                learned_plan = r.json()["stats"]["battery"]
                assert learned_plan["source"] == "learned", learned_plan
                assert learned_plan["flights"] == 1
                assert learned_plan["basis"] == f"vehicle {v1['name']}"

                # and the second patrol's preflight checks the battery with the learned rates
                r = await client.post(
                    "/api/patrols",
                    json={"plan_id": first_plan["id"], "vehicle_ids": [v1["id"]]},
                    headers=pilot,
                )
                second = r.json()["data"][0]["id"]
                r = await client.post(f"/api/patrols/{second}/start", headers=pilot)
                assert r.status_code == 202, r.text
                detail = (await client.get(f"/api/patrols/{second}", headers=pilot)).json()
                checks = next(e for e in detail["events"] if e["kind"] == "preflight")
                check = next(c for c in checks["data"]["checks"] if c["name"] == "battery")
                learned = check["data"]["model"]
                assert learned["source"] == "learned"
                assert learned["flights"] == 1
                assert "learned from 1 flights" in check["reason"]

                # in flight, a battery down to the way home's need (plus 10 %) sends it home:
                # the simulator's own battery failsafe is off, a sag leaves 12 %
                async with asyncio.timeout(120 * FACTOR):
                    while True:
                        d = (await client.get(f"/api/patrols/{second}", headers=pilot)).json()
                        if d["state"] == "flying" and d["last_item_reached"] >= 3:
                            break
                        await asyncio.sleep(0.2)
                ap = sim.vehicles[1].autopilot
                ap.params.set("BATT_LOW_MAH", 0)
                ap.params.set("BATT_CRT_MAH", 0)
                sim.vehicles[1].sag_battery(ap.battery.remaining_pct - 12.0)
                async with asyncio.timeout(120 * FACTOR):
                    back = await until_state(client, pilot, second, {"landed", "failed"})
                assert back["state"] == "landed", back["reason"]
                assert "RTL by the patrol (battery)" in back["reason"]
                assert "resume possible" in back["reason"]
                returned = next(e for e in back["events"] if e["kind"] == "battery_return")
                assert returned["data"]["model"]["source"] == "learned"
                assert returned["data"]["battery_pct"] <= 13.0
                assert sim.vehicles[1].state.battery_pct > 5.0, "home with battery to spare"

            # the rates against the simulator's battery model (simulator/vehicle.py): hovering
            # draws HOVER_A, cruising adds DRAG_A_PER_M2_S2 v^2 A; climbs (counted as hover)
            # draw more.
            # Cruise (moving at 2 m/s or more, flight_log.py) is not all at the plan's speed:
            # ArduCopter ignores NAV_WAYPOINT's acceptance radius (WPNAV_RADIUS, 2 m), so the
            # copter slows into each corner and speeds up out of it, and a km of cruise takes
            # longer than at 8 m/s. So the model is charged at the first flight's own mean
            # cruise speed (its row in the station's database).
            with contextlib.closing(sqlite3.connect(tmp_path / "station.db")) as db:
                cruise_s, cruise_m = db.execute(
                    "SELECT cruise_s, cruise_m FROM flights ORDER BY id LIMIT 1"
                ).fetchone()
            mean_speed = cruise_m / cruise_s
            assert 2.0 < mean_speed <= SPEED_M_S + 0.5
            capacity = sim.vehicles[1].autopilot.battery.capacity_mah
            hover_pct_min = 100.0 * HOVER_A * 60 / 3.6 / capacity
            cruise_a = HOVER_A + DRAG_A_PER_M2_S2 * mean_speed**2
            cruise_pct_km = 100.0 * cruise_a * (1000.0 / mean_speed) / 3.6 / capacity
            print(
                f"learned cruise {learned['cruise_mean_pct_per_km']:.3f} %/km "
                f"(upper {learned['cruise_pct_per_km']:.3f}), model {cruise_pct_km:.3f} "
                f"at a mean cruise speed of {mean_speed:.2f} m/s; "
                f"hover {learned['hover_mean_pct_per_min']:.3f} %/min "
                f"(upper {learned['hover_pct_per_min']:.3f}), model {hover_pct_min:.3f}"
            )
            assert learned["cruise_mean_pct_per_km"] == pytest.approx(cruise_pct_km, rel=0.25)
            assert learned["hover_mean_pct_per_min"] == pytest.approx(hover_pct_min, rel=0.35)
            assert learned["cruise_pct_per_km"] > learned["cruise_mean_pct_per_km"]
        finally:
            await station.stop()
