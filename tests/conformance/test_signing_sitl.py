"""Enrolment against the real ArduCopter SITL: it takes its own key from SETUP_SIGNING, signs
everything with it, obeys the signed station, and then ignores unsigned frames on its other
serial ports (SERIAL0, which ArduPilot assumes is USB, still takes unsigned ones: see README)."""

from __future__ import annotations

import asyncio

import pytest

from groundstation.errors import VehicleHeld
from groundstation.link import CommandTiming, Fleet, LinkConfig
from groundstation.link.admission import Admission
from groundstation.link.signing import vehicle_key
from tests.sitl import FACTOR, SitlError, SitlFactory

pytestmark = pytest.mark.e2e

SYSID = 5


async def test_sitl_enrolled_signs_obeys_the_station_and_ignores_unsigned_radio_frames(
    sitl_factory: SitlFactory,
):
    sitl = sitl_factory(sysid=SYSID)
    # before enrolment the harness's unsigned PARAM_SET on SERIAL2 is taken
    await asyncio.to_thread(sitl.set_params, {"RTL_ALT": 1500})
    admission = Admission(open_fleet=False, require_signing=True, accepted=[SYSID])
    timing = CommandTiming(ack_timeout_s=1.0 * FACTOR, retries=3, in_progress_timeout_s=5.0)
    fleet = Fleet([LinkConfig(url=sitl.url)], admission=admission, command_timing=timing)
    async with fleet:
        await fleet.wait_for_vehicles(1, 30 * FACTOR)
        with pytest.raises(VehicleHeld, match="not enrolled"):
            await fleet.vehicle(SYSID).set_mode("GUIDED")
        key = vehicle_key(bytes(range(32)), SYSID, 1)
        await fleet.set_vehicle_key(SYSID, key, timeout_s=10 * FACTOR)
        await fleet.vehicle(SYSID).set_mode("GUIDED")
        await fleet.vehicle(SYSID).wait_for(lambda s: s.mode == "GUIDED", 10 * FACTOR)
        assert fleet.links[0].counters.signed_ok > 0
        assert fleet.security(SYSID)["signed"] is True
    with pytest.raises(SitlError, match="did not take"):
        await asyncio.to_thread(sitl.set_params, {"RTL_ALT": 2000}, 5.0)
