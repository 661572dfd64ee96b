"""A multi-sortie plan flown on two drones: in parallel across them, in sequence on each."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.service.station import ADMIN, PASSWORD
from tests.e2e.service.test_patrol_e2e import FACTOR, NEAR_STATION, bearer, login, stack

pytestmark = pytest.mark.e2e


async def test_three_sorties_on_two_drones_parallel_and_in_sequence(tmp_path):
    """Three battery-limited sorties on two drones: the longest alone on one drone, the other
    two in sequence on the other; both drones start at once, the later sortie follows the
    earlier on the same drone once it is reported, and all three are reported."""
    async with (
        stack(tmp_path) as (_sim, station),
        httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client,
    ):
        admin = bearer(await login(client, *ADMIN))
        body = {"username": "pilot1", "password": PASSWORD, "role": "pilot"}
        assert (await client.post("/api/users", json=body, headers=admin)).status_code == 201
        pilot = bearer(await login(client, "pilot1"))
        async with asyncio.timeout(20 * FACTOR):
            while (await client.get("/api/vehicles", headers=pilot)).json()["count"] < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
        vehicles = (await client.get("/api/vehicles", headers=pilot)).json()["data"]
        ids = {v["sysid"]: v["id"] for v in vehicles}
        for sysid in (1, 2):  # a fresh battery for every sortie (what a battery swap gives)
            r = await client.patch(
                f"/api/vehicles/{ids[sysid]}", json={"endurance_s": 1500}, headers=pilot
            )
            assert r.status_code == 200

        plan_body = {"name": "short legs", "kind": "coverage", "altitude_m": 30,
                     "polygon": NEAR_STATION, "swath_width_m": 60, "drones": 2,
                     "endurance_s": 240, "reserve_frac": 0.1, "speed_m_s": 10}  # fmt: skip
        # (the endurance gives this square three sorties; it changes with the planner's choices)
        plan = (await client.post("/api/plans", json=plan_body, headers=pilot)).json()
        drones = [s["drone"] for s in plan["sorties"]]
        assert sorted(drones) == [1, 2, 2]  # the longest sortie alone on drone 1
        solo = drones.index(1)
        before, after = (i for i, d in enumerate(drones) if d == 2)

        r = await client.post(
            f"/api/plans/{plan['id']}/fly", json={"vehicle_ids": [ids[1], ids[2]]}, headers=pilot
        )
        assert r.status_code == 202, r.text
        patrols = r.json()["data"]
        started = [p["state"] != "planned" for p in patrols]
        assert (started[solo], started[before], started[after]) == (True, True, False)

        async with asyncio.timeout(240 * FACTOR):
            while True:
                listed = (
                    await client.get(f"/api/patrols?plan_id={plan['id']}", headers=pilot)
                ).json()
                states = {p["id"]: p for p in listed["data"]}
                if all(p["state"] in ("reported", "failed", "aborted") for p in states.values()):
                    break
                await asyncio.sleep(1.0)
        first, second, third = (states[patrols[i]["id"]] for i in (solo, before, after))
        assert [first["state"], second["state"], third["state"]] == ["reported"] * 3, (
            first["reason"], second["reason"], third["reason"],
        )  # fmt: skip
        assert first["vehicle_id"] == ids[1]
        assert second["vehicle_id"] == third["vehicle_id"] == ids[2]
        assert third["started_at"] >= second["ended_at"], "in sequence on drone 2"
        assert second["started_at"] < first["ended_at"], "in parallel with drone 1"
        assert first["started_at"] < second["ended_at"]
