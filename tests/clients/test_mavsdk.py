"""MAVSDK-Python (mavsdk-grpc with its bundled mavsdk_server) flies the simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.testing import SimConfig, SimFleet
from tests.clients.conftest import TIMEOUT_FACTOR, free_port

_policy = asyncio.get_event_loop_policy()
mavsdk = pytest.importorskip("mavsdk_grpc")
# mavsdk_grpc installs uvloop's policy when imported, which would switch every later test of the
# session to uvloop; keep the suite on the standard loop (grpc.aio works on both).
asyncio.set_event_loop_policy(_policy)
from mavsdk_grpc import System  # type: ignore[import-untyped]  # noqa: E402
from mavsdk_grpc.mission_raw import MissionItem  # type: ignore[import-untyped]  # noqa: E402

pytestmark = [
    pytest.mark.clients,
    pytest.mark.filterwarnings("ignore:path is deprecated:DeprecationWarning"),
]
M = mavlink2


@contextlib.asynccontextmanager
async def mavsdk_on(url: str) -> AsyncIterator[System]:
    drone = System(port=free_port())
    try:
        await drone.connect(system_address=url)
        yield drone
    finally:
        drone._stop_mavsdk_server()


async def first(stream: AsyncIterator[Any], predicate: Any = None) -> Any:
    async for value in stream:
        if predicate is None or predicate(value):
            return value
    raise AssertionError("stream ended")


def _mission(lat: float, lon: float) -> list[MissionItem]:
    def it(
        seq: int, cmd: int, dlat: float = 0, dlon: float = 0, alt: float = 0.0, frame: int = 3
    ) -> MissionItem:
        x = round((lat + dlat) * 1e7) if cmd in (16,) else 0
        y = round((lon + dlon) * 1e7) if cmd in (16,) else 0
        return MissionItem(seq, frame, cmd, 1 if seq == 0 else 0, 1, 0, 0, 0, 0, x, y, alt, 0)

    return [
        it(0, M.MAV_CMD_NAV_WAYPOINT, frame=0),
        it(1, M.MAV_CMD_NAV_TAKEOFF, alt=15),
        it(2, M.MAV_CMD_NAV_WAYPOINT, 0.0004, 0, 15),
        it(3, M.MAV_CMD_NAV_WAYPOINT, 0.0004, 0.0004, 20),
        it(4, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]


async def test_mavsdk_connects_uploads_and_flies_a_mission() -> None:
    """MAVSDK sees a healthy vehicle, uploads via mission_raw, arms, flies it to the end, lands."""
    async with asyncio.timeout(90 * TIMEOUT_FACTOR):
        async with SimFleet(SimConfig(drones=1, speedup=10, seed=3)) as sim:
            v = sim.vehicles[1]
            async with mavsdk_on(f"udpout://127.0.0.1:{sim.ports[0]}") as drone:
                await first(drone.core.connection_state(), lambda s: s.is_connected)
                health = await first(
                    drone.telemetry.health(),
                    lambda h: h.is_global_position_ok and h.is_home_position_ok and h.is_armable,
                )
                assert health.is_local_position_ok
                pos = await first(drone.telemetry.position())
                assert pos.latitude_deg == pytest.approx(v.state.home[0], abs=1e-4)
                assert pos.relative_altitude_m == pytest.approx(0, abs=0.5)
                battery = await first(drone.telemetry.battery())
                assert 95 <= battery.remaining_percent <= 100

                lat, lon, _ = v.state.home
                items = _mission(lat, lon)
                await drone.mission_raw.upload_mission(items)
                assert len(v.state.mission) == len(items)
                downloaded = await drone.mission_raw.download_mission()
                # ArduCopter reads slot 0 back as its own home, altitude included (AMSL, not
                # the 0 uploaded there); the other items as sent (whole-centimetre altitudes)
                home_alt = v.state.home[2]
                want = [(i.command, i.x, i.y, home_alt if i.seq == 0 else i.z) for i in items]
                assert [(i.command, i.x, i.y) for i in downloaded] == [w[:3] for w in want]
                assert [i.z for i in downloaded] == pytest.approx([w[3] for w in want], abs=1e-3)
                assert home_alt > 1  # the check above tells home from the uploaded 0

                await drone.action.arm()
                await drone.mission_raw.start_mission()
                mode = await first(drone.telemetry.flight_mode())
                assert str(mode) == "MISSION"
                await first(drone.telemetry.in_air(), lambda air: air)
                progress = await first(
                    drone.mission_raw.mission_progress(), lambda p: p.current == p.total
                )
                assert progress.total == len(items)
                await first(drone.telemetry.armed(), lambda armed: not armed)
                assert await drone.mission_raw.is_mission_finished()
                assert v.state.landed
                assert v.state.mission_state == M.MISSION_STATE_COMPLETE
                assert v.state.alt_rel_m == pytest.approx(0, abs=0.1)


async def test_mavsdk_actions_takeoff_goto_rtl() -> None:
    """MAVSDK's action plugin: takeoff, goto_location, return_to_launch, land and disarm."""
    async with asyncio.timeout(90 * TIMEOUT_FACTOR):
        async with SimFleet(SimConfig(drones=1, speedup=10, seed=4)) as sim:
            v = sim.vehicles[1]
            async with mavsdk_on(f"udpout://127.0.0.1:{sim.ports[0]}") as drone:
                await first(
                    drone.telemetry.health(), lambda h: h.is_armable and h.is_home_position_ok
                )
                await drone.action.set_takeoff_altitude(12.0)
                await drone.action.arm()
                await drone.action.takeoff()
                await first(drone.telemetry.position(), lambda p: p.relative_altitude_m > 11.0)
                lat, lon, alt = v.state.home
                await drone.action.goto_location(lat + 0.0005, lon + 0.0005, alt + 25.0, 0.0)
                target = await first(
                    drone.telemetry.position(),
                    lambda p: (
                        abs(p.latitude_deg - lat - 0.0005) < 2e-5
                        and abs(p.relative_altitude_m - 25) < 1
                    ),
                )
                assert abs(target.longitude_deg - lon - 0.0005) < 3e-5
                await drone.action.return_to_launch()
                await first(drone.telemetry.armed(), lambda armed: not armed)
                assert v.state.landed
                home_dist = abs(v.state.lat_deg - lat) + abs(v.state.lon_deg - lon)
                assert home_dist < 5e-5
