"""The safety watch end to end: the station service as a subprocess, the simulator at speed-up.

A drone dispatched by hand (no patrol) drains its battery: warning then critical alerts, kept
and shown to a page opened afterwards until a pilot acknowledges them; the vehicle's own
failsafe RTL is told with its reason. At the critical reach-the-shore margin the station
commands the return itself and says why, except for a drone whose pilot has taken manual
control, which is told instead.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
import pytest
import websockets

from simulator.fleet import SimConfig, SimFleet
from simulator.modes import POSHOLD
from tests.e2e.service.station import ADMIN, PASSWORD, StationProcess
from tests.e2e.service.test_patrol_e2e import FACTOR, SPEEDUP, bearer, login

pytestmark = pytest.mark.e2e

#: 1.5 km east of the station, along the river's north bank
FAR = (29.0560, 119.1972)


async def _pilot(client: httpx.AsyncClient) -> dict[str, str]:
    admin = bearer(await login(client, *ADMIN))
    body = {"username": "pilot1", "password": PASSWORD, "role": "pilot"}
    assert (await client.post("/api/users", json=body, headers=admin)).status_code == 201
    return bearer(await login(client, "pilot1"))


async def _fly_to(client: httpx.AsyncClient, pilot: dict[str, str], vid: int, at: Any) -> None:
    for path, body in (
        ("arm", None),
        ("takeoff", {"alt_m": 30.0}),
        ("goto", {"lat_deg": at[0], "lon_deg": at[1], "alt_rel_m": 30.0}),
    ):
        r = await client.post(f"/api/vehicles/{vid}/commands/{path}", json=body, headers=pilot)
        assert r.status_code == 200, r.text
        if path == "takeoff":
            await asyncio.sleep(3.0 / SPEEDUP * 10)


async def _until_alert(
    client: httpx.AsyncClient, pilot: dict[str, str], kind: str, sysid: int, limit_s: float
) -> dict[str, Any]:
    async with asyncio.timeout(limit_s * FACTOR):
        while True:
            r = await client.get(f"/api/alerts?kind={kind}&sysid={sysid}", headers=pilot)
            assert r.status_code == 200, r.text
            if r.json()["data"]:
                return dict(r.json()["data"][0])
            await asyncio.sleep(0.2)


async def _snapshot_alerts(station: StationProcess, token: str) -> list[dict[str, Any]]:
    async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
        snap = json.loads(await ws.recv())
    assert snap["type"] == "snapshot"
    return list(snap["data"]["alerts"])


async def test_battery_alerts_wait_for_a_pilot_and_a_failsafe_rtl_is_told(tmp_path):
    """Dispatched, no patrol: battery low then critical, then the vehicle's own battery
    failsafe RTL; a page opened afterwards still lists them until they are acknowledged."""
    config = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=SPEEDUP, seed=5)
    env = {"ECOPATROL_SAFETY__MARGIN_WATCH": "false"}  # the vehicle's failsafe, not the margin
    async with SimFleet(config) as sim:
        station = StationProcess(
            tmp_path, [f"udpout:127.0.0.1:{sim.ports[0]}"], FACTOR, env, enrol=[1]
        )
        await station.start()
        try:
            async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
                pilot = await _pilot(client)
                vid = station.vehicle_ids[1]
                await _fly_to(client, pilot, vid, (29.0540, 119.1840))
                sim.faults.battery_sag(1, 71.0)  # 29 %: under the 30 % warning
                low = await _until_alert(client, pilot, "battery_low", 1, 20)
                assert low["level"] == "warning"
                assert low["patrol_id"] is None
                assert "电池电量低" in low["text_zh"]
                sim.faults.battery_sag(1, 11.0)  # 18 %: critical
                crit = await _until_alert(client, pilot, "battery_critical", 1, 20)
                assert crit["level"] == "critical"
                sim.faults.battery_sag(1, 5.0)  # 13 %: the vehicle's own battery failsafe
                fs = await _until_alert(client, pilot, "failsafe", 1, 20)
                assert fs["details"]["to_mode"] == "RTL"
                assert "Battery" in fs["details"]["reason"]  # the vehicle's own words
                assert "电池低电量保护" in fs["text_zh"]
                assert "Battery" not in fs["text_zh"]  # no raw MAVLink text in Chinese

                token = await login(client, "pilot1")
                later = {a["kind"]: a for a in await _snapshot_alerts(station, token)}
                assert {"battery_low", "battery_critical", "failsafe"} <= set(later)
                assert all(a["open"] for a in later.values())

                r = await client.post(
                    f"/api/alerts/{low['id']}/acknowledge",
                    json={"note": "seen, pack swap after landing"},
                    headers=pilot,
                )
                assert r.status_code == 200, r.text
                assert r.json()["acknowledged_by"] == "pilot1"
                again = await client.post(
                    f"/api/alerts/{low['id']}/acknowledge", json={}, headers=pilot
                )
                assert again.status_code == 409
                kinds = {a["kind"] for a in await _snapshot_alerts(station, token)}
                assert "battery_low" not in kinds
                assert "battery_critical" in kinds
                history = (await client.get(f"/api/alerts?vehicle_id={vid}", headers=pilot)).json()
                assert history["count"] >= 3
                admin = bearer(await login(client, *ADMIN))
                audit = (await client.get("/api/audit?limit=50", headers=admin)).json()["data"]
                acked = [e for e in audit if e["command"] == "alert.acknowledge"]
                assert acked
                assert acked[0]["params"]["note"] == "seen, pack swap after landing"
        finally:
            await station.stop()


async def test_station_returns_at_the_critical_margin_unless_the_pilot_flies(tmp_path):
    """Two drones 1.5 km out lose most of their pack: the station sends drone 1 home (RTL)
    and says why; drone 2's pilot has switched to POSHOLD, so the station only tells."""
    homes = ((29.05253, 119.181841, 40.0), (29.05253, 119.18204, 40.0))
    config = SimConfig(drones=2, listen="udpin:127.0.0.1:0", speedup=SPEEDUP, seed=6, homes=homes)
    async with SimFleet(config) as sim:
        station = StationProcess(
            tmp_path, [f"udpout:127.0.0.1:{sim.ports[0]}"], FACTOR, enrol=[1, 2]
        )
        await station.start()
        try:
            async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
                pilot = await _pilot(client)
                for sysid in (1, 2):
                    await _fly_to(client, pilot, station.vehicle_ids[sysid], FAR)
                async with asyncio.timeout(120 * FACTOR):
                    while not all(_metres(sim.vehicles[s].state, FAR) < 100 for s in (1, 2)):  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
                # the pilot of drone 2 takes the sticks (the RC mode switch)
                sim.vehicles[2].autopilot.set_mode(POSHOLD)
                await _until_alert(client, pilot, "manual_control", 2, 20)
                for sysid in (1, 2):  # 1.5 km out with 22 %: no reserve left for the way home
                    sim.faults.battery_sag(sysid, 78.0)
                back = await _until_alert(client, pilot, "auto_return", 1, 30)
                assert back["details"]["action"] == "RTL"
                assert "shore margin critical" in back["details"]["reason"]
                suppressed = await _until_alert(client, pilot, "auto_return_suppressed", 2, 30)
                assert "manual control" in suppressed["text"]
                async with asyncio.timeout(20 * FACTOR):
                    while sim.vehicles[1].state.mode != "RTL":  # noqa: ASYNC110
                        await asyncio.sleep(0.1)
                assert sim.vehicles[2].state.mode == "POSHOLD"
                live = (
                    await client.get(f"/api/vehicles/{station.vehicle_ids[1]}/live", headers=pilot)
                ).json()
                assert live["safety"]["return_to"] == "station"
                assert live["safety"]["wind_source"] == "vehicle"
                admin = bearer(await login(client, *ADMIN))
                audit = (await client.get("/api/audit?limit=50", headers=admin)).json()["data"]
                assert any(e["command"] == "safety.auto_return" for e in audit)
        finally:
            await station.stop()


def _metres(st: Any, at: tuple[float, float]) -> float:
    dy = (st.lat_deg - at[0]) * 111_320.0
    dx = (st.lon_deg - at[1]) * 111_320.0 * math.cos(math.radians(at[0]))
    return math.hypot(dx, dy)
