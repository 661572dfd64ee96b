"""Arming refused by the autopilot, through the station service: the pilot gets the autopilot's
own reason (HTTP 409), on our simulator as on ArduCopter SITL."""

from __future__ import annotations

import pytest

from tests.conformance.backends import vehicles
from tests.conformance.pilot import station_pilot

pytestmark = pytest.mark.e2e


async def test_arming_refused_with_the_autopilots_reason(autopilot, tmp_path):
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        # the battery (SITL's 3S 12.6 V, our simulator's 12S 50.4 V) is below what this
        # vehicle is set to need for arming
        await fleet.set_param(1, "BATT_ARM_VOLT", 55.0)
        r = await pilot.command(1, "arm")
        assert r.status_code == 409, r.text
        assert "Battery 1 below minimum arming voltage" in r.json()["detail"]
        assert (await pilot.vehicle_live(1))["armed"] is False

        await fleet.set_param(1, "BATT_ARM_VOLT", 0.0)
        r = await pilot.command(1, "arm")
        assert r.status_code == 200, r.text
        r = await pilot.command(1, "disarm")
        assert r.status_code == 200, r.text
