"""An autopilot's own battery failsafe RTL, through the station service: a stored critical
alert with the vehicle's words in English and a Chinese reason, on our simulator as on
ArduCopter SITL (whose STATUSTEXT comes before the HEARTBEAT with the new mode)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conformance.backends import vehicles
from tests.conformance.pilot import Pilot, station_pilot
from tests.sitl import FACTOR

pytestmark = pytest.mark.e2e

#: over the pack's voltage at rest: SITL's 3S (12.6 V), our simulator's 12S (~50 V)
LOW_VOLT = {"sitl": 13.5, "sim": 55.0}


async def _failsafe_alert(pilot: Pilot, limit_s: float) -> dict[str, Any]:
    async with asyncio.timeout(limit_s * FACTOR):
        while True:
            page = await pilot.get("/api/alerts?kind=failsafe&sysid=1")
            if page["data"]:
                return dict(page["data"][0])
            await asyncio.sleep(0.3)


async def test_a_battery_failsafe_rtl_is_a_stored_alert_with_the_vehicles_reason(
    autopilot, tmp_path
):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        r = await pilot.command(1, "arm")
        assert r.status_code == 200, r.text
        r = await pilot.command(1, "takeoff", {"alt_m": 15.0})
        assert r.status_code == 200, r.text
        async with asyncio.timeout(60 * FACTOR):
            while ((await pilot.vehicle_live(1)).get("alt_rel_m") or 0.0) < 10.0:  # noqa: ASYNC110
                await asyncio.sleep(0.3)
        await fleet.set_param(1, "BATT_FS_LOW_ACT", 2)  # RTL
        await fleet.set_param(1, "BATT_LOW_VOLT", LOW_VOLT[kind])
        alert = await _failsafe_alert(pilot, 60)
        assert alert["level"] == "critical"
        assert alert["details"]["to_mode"] == "RTL"
        assert "Battery" in alert["details"]["reason"]
        assert "电池低电量保护" in alert["text_zh"]
        assert alert["open"] is True
