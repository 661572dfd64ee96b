"""Three vehicles, each its own autopilot with its own system id, fly one multi-sortie plan
through one station: in parallel across vehicles, in sequence on a vehicle with two sorties."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from tests.conformance.backends import vehicles
from tests.conformance.pilot import TERMINAL, station_pilot
from tests.sitl import FACTOR

pytestmark = pytest.mark.e2e


async def test_three_vehicles_fly_a_multi_sortie_plan_through_one_station(autopilot, tmp_path):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1, 2, 3]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        assert set(pilot.ids) == {1, 2, 3}, "three system ids, three vehicles"
        for sysid in (1, 2, 3):  # the vehicles' own batteries hold every sortie of theirs
            path, body = f"/api/vehicles/{pilot.ids[sysid]}", {"endurance_s": 1500}
            r = await pilot.client.patch(path, json=body, headers=pilot.headers)
            assert r.status_code == 200, r.text
        # short sorties: the square split so that one vehicle flies two in sequence
        plan = await pilot.plan(drones=3, endurance_s=140, reserve_frac=0.1)
        drones = [s["drone"] for s in plan["sorties"]]
        assert len(drones) >= 4, drones
        assert set(drones) == {1, 2, 3}
        r = await pilot.post(
            f"/api/plans/{plan['id']}/fly", {"vehicle_ids": [pilot.ids[s] for s in (1, 2, 3)]}
        )
        assert r.status_code == 202, r.text
        patrols: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(300 * FACTOR):
                while True:
                    listed = await pilot.get(f"/api/patrols?plan_id={plan['id']}")
                    patrols = listed["data"]
                    if all(p["state"] in TERMINAL for p in patrols):
                        break
                    await asyncio.sleep(1.0)
        except TimeoutError:
            states = [(p["vehicle_id"], p["state"], p["reason"]) for p in patrols]
            raise AssertionError(f"{states}\n{pilot.station.log_text()}") from None
    assert [p["state"] for p in patrols] == ["reported"] * len(drones), [
        (p["state"], p["reason"]) for p in patrols
    ]
    flown_by = {p["vehicle_id"] for p in patrols}
    assert flown_by == {pilot.ids[s] for s in (1, 2, 3)}
    by_vehicle: dict[int, list[dict[str, Any]]] = {}
    for p in patrols:
        by_vehicle.setdefault(p["vehicle_id"], []).append(p)
    twice = [ps for ps in by_vehicle.values() if len(ps) > 1]
    assert twice, "some vehicle flew two sorties"
    for ps in twice:
        ps.sort(key=lambda p: p["started_at"])
        for earlier, later in itertools.pairwise(ps):
            assert later["started_at"] >= earlier["ended_at"], "in sequence on one vehicle"
