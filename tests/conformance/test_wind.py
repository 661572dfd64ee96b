"""WIND (168) as the station reads it, from our simulator and from ArduCopter SITL.

ArduCopter estimates the wind only in flight and only with EKF3 drag fusion configured
(EK3_DRAG_BCOEF_X/Y); otherwise it sends speed 0 "from" -180 (seen on SITL 90700977, 2026-12).
Its direction is where the wind comes from, in -180..180 (a west wind: about -90). The
simulator sends its wind model's wind the same way, on the ground too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from groundstation.link import Fleet, LinkConfig, VehicleHandle
from simulator.fleet import SimConfig, SimFleet
from tests.sitl import FACTOR, SPEEDUP, SitlFactory

pytestmark = pytest.mark.e2e

WIND = {"SIM_WIND_SPD": 8.0, "SIM_WIND_DIR": 270.0, "SIM_WIND_TURB": 0.0}
DRAG = {"EK3_DRAG_BCOEF_X": 20.0, "EK3_DRAG_BCOEF_Y": 20.0, "EK3_DRAG_MCOEF": 0.2}


@contextlib.asynccontextmanager
async def _vehicle(kind: str, factory: SitlFactory | None) -> AsyncIterator[str]:
    if kind == "sim":
        config = SimConfig(drones=1, listen="tcpin:127.0.0.1:0", speedup=SPEEDUP, wind=(8, 270, 0))
        async with SimFleet(config) as sim:
            yield f"tcp:127.0.0.1:{sim.ports[0]}"
        return
    assert factory is not None
    sitl = await asyncio.to_thread(factory, 1, params={**WIND, **DRAG})
    try:
        yield sitl.url
    finally:
        sitl.stop()


def _off_west(from_deg: float) -> float:
    return abs((from_deg - 270.0 + 180.0) % 360.0 - 180.0)


async def _wait_wind(h: VehicleHandle, timeout_s: float) -> tuple[float, float]:
    async with asyncio.timeout(timeout_s):
        async for st in h.states():
            if st.wind_speed_m_s and st.wind_speed_m_s > 4.0 and st.wind_dir_deg is not None:
                return st.wind_speed_m_s, st.wind_dir_deg
    raise AssertionError("no wind")


async def test_a_west_wind_reads_as_from_270(autopilot, tmp_path: Path) -> None:
    """An 8 m/s wind from the west reaches the station as about 8 m/s from 270 degrees, in
    flight, from both autopilots (the station keeps the direction as 0-360)."""
    kind, factory = autopilot
    async with (
        _vehicle(kind, factory) as url,
        Fleet([LinkConfig(url=url)]) as fleet,
    ):
        [sysid] = await fleet.wait_for_vehicles(1, 60 * FACTOR)
        h = fleet.vehicle(sysid)
        await h.wait_for(lambda s: s.gps_fix >= 3 and s.home is not None, timeout_s=90 * FACTOR)
        await h.arm()
        await h.takeoff(30.0)
        speed, from_deg = await _wait_wind(h, 90 * FACTOR)
        assert 4.0 < speed < 11.0
        assert _off_west(from_deg) < 25.0, from_deg
        await h.land()
