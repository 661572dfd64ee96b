"""A vehicle that holds less fence than the station thought, over real MAVLink (simulator).

The simulated vehicle is made to hold 50 fence items; the shipped site's shoreline fence (fitted
to ArduCopter's 70) is refused with NO_SPACE, and the station learns, refits and sends again.
"""

from __future__ import annotations

import os

import pytest

from geodata.site import load_site
from groundstation.link import Fleet, LinkConfig, MissionTiming
from groundstation.patrol.fence_upload import FenceBudgets, upload_fence
from groundstation.patrol.planning import make_plan, row_to_item
from groundstation.patrol.request import PlanRequest
from simulator import mission_items
from simulator.ardupilot_storage import StorageLimits
from simulator.fleet import SimConfig, SimFleet

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
FAST_MISSION = MissionTiming(min_timeout_s=0.005, max_timeout_s=0.5, max_retries=30)


async def test_no_space_teaches_the_station_a_smaller_fence():
    plan = make_plan(
        load_site(None), PlanRequest(kind="shore", altitude_m=60, speed_m_s=15, endurance_s=3300)
    )
    s = max(plan.sorties, key=lambda s: len(s.fence))  # the biggest fence of the plan
    mission = [row_to_item(r) for r in s.items]
    fence = [row_to_item(r) for r in s.fence]
    assert len(fence) > 50
    storage = StorageLimits(fence_bytes=407)  # AC_PolyFence_loader: 407 // 8 = 50 items
    assert storage.fence_items == 50
    config = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=20.0, seed=1, storage=storage)
    async with SimFleet(config) as sim:
        link = LinkConfig(url=f"udpout:127.0.0.1:{sim.ports[0]}")
        async with Fleet([link], mission_timing=FAST_MISSION) as fleet:
            await fleet.wait_for_vehicles(1, timeout_s=10 * FACTOR)
            sysid = next(iter(fleet.vehicles))
            handle = fleet.vehicle(sysid)
            budgets = FenceBudgets()
            sent = await upload_fence(handle, mission, fence, budgets, sysid, verify=False)
            held = sim.vehicles[sysid].autopilot.mission.items[mission_items.FENCE]
            assert sent.learned is not None
            assert "NO_SPACE" in sent.message
            assert len(held) == len(sent.items) <= 50
            assert [(i.command, i.x, i.y) for i in held] == [
                (i.command, i.x, i.y) for i in sent.items
            ]
            # the next fence for this vehicle fits what was learned: sent once, accepted
            again = await upload_fence(handle, mission, fence, budgets, sysid, verify=False)
            assert again.learned is None
            assert len(again.items) <= budgets.learned[sysid].max_items
