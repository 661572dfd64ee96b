"""A pilot's own flying from the page's buttons, through the station service: take off from a
drone parked in LAND mode (the station arms it in GUIDED, where ArduCopter can arm), switch to
LOITER, land, and the refusals that make sense; on our simulator as on ArduCopter SITL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conformance.backends import vehicles
from tests.conformance.pilot import Pilot, station_pilot
from tests.sitl import FACTOR

pytestmark = pytest.mark.e2e


async def _live_until(
    pilot: Pilot, sysid: int, done: Callable[[dict[str, Any]], bool], timeout_s: float = 60.0
) -> dict[str, Any]:
    """The vehicle's live state once `done` holds (fails after `timeout_s`, scaled)."""
    deadline = time.monotonic() + timeout_s * FACTOR
    while True:
        live = await pilot.vehicle_live(sysid)
        if done(live):
            return live
        assert time.monotonic() < deadline, live
        await asyncio.sleep(0.2)


async def test_takeoff_from_land_mode_loiter_and_land(autopilot, tmp_path):
    """Takeoff arms a drone parked in LAND (in GUIDED), LOITER and LAND follow, a made-up
    mode is refused."""
    kind, factory = autopilot
    async with (
        vehicles(kind, factory, [1]) as fleet,
        station_pilot(tmp_path, fleet) as pilot,
    ):
        r = await pilot.command(1, "mode", {"mode": "LAND"})
        assert r.status_code == 200, r.text
        await _live_until(pilot, 1, lambda v: v["mode"] == "LAND")

        # takeoff on a disarmed drone in LAND: armed in GUIDED first, then up to 15 m
        r = await pilot.command(1, "takeoff", {"alt_m": 15})
        assert r.status_code == 200, r.text
        live = await _live_until(pilot, 1, lambda v: (v["alt_rel_m"] or 0) >= 12)
        assert live["armed"] is True
        assert live["mode"] == "GUIDED"

        r = await pilot.command(1, "mode", {"mode": "LOITER"})
        assert r.status_code == 200, r.text
        await _live_until(pilot, 1, lambda v: v["mode"] == "LOITER")

        r = await pilot.command(1, "land")
        assert r.status_code == 200, r.text
        live = await _live_until(pilot, 1, lambda v: v["armed"] is False, timeout_s=120)
        assert (live["alt_rel_m"] or 0) < 1.5

        # a made-up mode is refused in words, before anything is sent
        r = await pilot.command(1, "mode", {"mode": "WARP"})
        assert r.status_code in (409, 422), r.text
