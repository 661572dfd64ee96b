"""Patrols through the station service (``ecopatrol serve``) on our simulator and on ArduCopter
SITL: the lifecycle from planned to reported; pause, continue, RTL, land and resume; a patrol
whose vehicle refuses to arm; the vehicle power-cycled mid-flight."""

from __future__ import annotations

import asyncio

import pytest

from tests.conformance.backends import vehicles
from tests.conformance.pilot import reached, state_is, states_of, station_pilot
from tests.e2e.service.station import ADMIN
from tests.sitl import FACTOR

pytestmark = pytest.mark.e2e


async def test_patrol_lifecycle_planned_to_reported(autopilot, tmp_path):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        plan = await pilot.plan()
        pid = await pilot.start_patrol(plan, 1)
        detail = await pilot.until(pid, state_is("reported"), timeout_s=240)
    assert states_of(detail) == ["preflight", "uploading", "launching", "flying", "returning",
                                 "landed", "reported"]  # fmt: skip
    facts = detail["report"]
    assert facts["covered_frac"] == 1.0
    assert detail["track"]["properties"]["points"] > 20


async def test_pause_continue_rtl_land_and_resume(autopilot, tmp_path):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        plan = await pilot.plan()
        pid = await pilot.start_patrol(plan, 1)
        await pilot.until(pid, reached(2))

        # pause: the drone holds; continue: it flies on along the route
        # (the station holds the paused state: ArduCopter stays in AUTO)
        r = await pilot.command(1, "pause")
        assert r.status_code == 200, r.text
        held = (await pilot.patrol(pid))["last_item_reached"]
        await asyncio.sleep(2)  # (20 s of flight at the speed-up)
        assert (await pilot.patrol(pid))["last_item_reached"] <= held + 1
        live = await pilot.vehicle_live(1)
        assert live["paused"] is True, live
        assert live["mode"] in ("AUTO", "LOITER"), live["mode"]
        r = await pilot.command(1, "continue")
        assert r.status_code == 200, r.text
        assert (await pilot.vehicle_live(1))["paused"] is False
        await pilot.until(pid, reached(held + 2))

        # RTL by the pilot: it comes home, lands, and the patrol can be resumed
        r = await pilot.command(1, "rtl")
        assert r.status_code == 200, r.text
        landed = await pilot.until(pid, state_is("landed"), timeout_s=180)
        assert "resume possible" in landed["reason"]
        last = landed["last_item_reached"]

        r = await pilot.post(f"/api/patrols/{pid}/resume")
        assert r.status_code == 202, r.text
        await pilot.until(pid, reached(last + 1), timeout_s=180)

        # LAND where it is: down and disarmed, resumable again
        r = await pilot.command(1, "land")
        assert r.status_code == 200, r.text
        landed = await pilot.until(pid, state_is("landed", "reported"), timeout_s=180)
        live = await pilot.vehicle_live(1)
        assert live["armed"] is False
    causes = [t["cause"] for t in landed["transitions"]]
    assert any("rtl by pilot1" in c for c in causes), causes
    assert f"mission resumed at item {last + 1}" in causes


async def test_patrol_whose_vehicle_refuses_to_arm_fails_naming_why(autopilot, tmp_path):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        await fleet.set_param(1, "BATT_ARM_VOLT", 55.0)
        plan = await pilot.plan()
        r = await pilot.post("/api/patrols", {"plan_id": plan["id"],
                                              "vehicle_ids": [pilot.ids[1]]})  # fmt: skip
        pid = r.json()["data"][0]["id"]
        r = await pilot.post(f"/api/patrols/{pid}/start")
        if r.status_code == 202:  # (refused at launch, after the upload)
            detail = await pilot.until(pid, state_is("failed"), timeout_s=120)
            reason = detail["reason"]
        else:  # (or already by the preflight checks)
            assert r.status_code == 409, r.text
            reason = r.text
        assert "below minimum arming voltage" in reason
        assert (await pilot.vehicle_live(1))["armed"] is False


async def test_vehicle_power_cycled_mid_flight_is_regained(autopilot, tmp_path):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        plan = await pilot.plan()
        pid = await pilot.start_patrol(plan, 1)
        await pilot.until(pid, reached(2))

        await fleet.power_cycle(1)  # it boots again on the ground, disarmed, at home
        await pilot.until(pid, state_is("landed", "reported"), timeout_s=120)
        async with asyncio.timeout(60 * FACTOR):
            while (await pilot.vehicle_live(1))["link"]["status"] != "ok":  # noqa: ASYNC110
                await asyncio.sleep(0.3)
        live = await pilot.vehicle_live(1)
        assert live["armed"] is False
        detail = await pilot.patrol(pid)
        assert "link_lost" in [e["kind"] for e in detail["events"]]
        assert "resume possible" in detail["reason"]

        # the station flies it again once it is ready after the reboot: the patrol resumes and
        # finishes (a pilot waits for that; right after the boot ArduPilot refuses to arm:
        # "Need Alt Estimate", "AHRS: waiting for home")
        await fleet.wait_ready_to_arm(1)
        r = await pilot.post(f"/api/patrols/{pid}/resume")
        assert r.status_code == 202, r.text
        detail = await pilot.until(pid, state_is("reported"), timeout_s=240)
    assert detail["report"]["covered_frac"] == 1.0


async def test_resume_on_another_drone_then_dispatch_the_one_landed_in_rtl(autopilot, tmp_path):
    """A patrol cut short by the pilot's RTL on drone 1 is resumed on drone 2 from the item
    after the last one reached (audited with the drone); drone 1, landed and still in RTL (not
    armable on ArduCopter), can then be dispatched: the station arms it in GUIDED."""
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1, 2]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        plan = await pilot.plan()
        pid = await pilot.start_patrol(plan, 1)
        await pilot.until(pid, reached(2))
        r = await pilot.command(1, "rtl")
        assert r.status_code == 200, r.text
        landed = await pilot.until(pid, state_is("landed"), timeout_s=180)
        last = landed["last_item_reached"]

        r = await pilot.post(f"/api/patrols/{pid}/resume", {"vehicle_id": pilot.ids[2]})
        assert r.status_code == 202, r.text
        resumed = await pilot.until(pid, reached(last + 1), timeout_s=180)
        assert resumed["vehicle_id"] == pilot.ids[2]
        assert (await pilot.vehicle_live(2))["armed"] is True

        drone1 = await pilot.vehicle_live(1)
        assert drone1["armed"] is False
        assert drone1["mode"] in ("RTL", "LAND"), drone1["mode"]
        body = {"type": "illegal_fishing", "lat_deg": 29.0512, "lon_deg": 119.1818}
        incident = await pilot.post("/api/incidents", body)
        assert incident.status_code == 201, incident.text
        r = await pilot.post(
            f"/api/incidents/{incident.json()['id']}/dispatch",
            {"vehicle_id": pilot.ids[1], "alt_rel_m": 20},
        )
        assert r.status_code == 200, r.text
        async with asyncio.timeout(60 * FACTOR):
            while not (live := await pilot.vehicle_live(1))["armed"]:  # noqa: ASYNC110
                await asyncio.sleep(0.3)
        assert live["mode"] == "GUIDED"
        admin = {"username": ADMIN[0], "password": ADMIN[1]}
        token = (await pilot.client.post("/api/auth/login", json=admin)).json()["access_token"]
        r = await pilot.client.get("/api/audit", headers={"Authorization": f"Bearer {token}"})
        audit = r.json()
    entry = next(e for e in audit["data"] if e["command"] == "patrol.resume")
    assert entry["result"] == "accepted"
    assert entry["params"]["vehicle_id"] == pilot.ids[2]
