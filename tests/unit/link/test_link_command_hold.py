"""A vehicle another station commands: the link sends it what watches it, never a command."""

from __future__ import annotations

import pytest

from groundstation.errors import VehicleHeld
from groundstation.link import CommandTiming, Fleet, LinkConfig
from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint

FAST_CMD = CommandTiming(ack_timeout_s=0.2, retries=3, in_progress_timeout_s=1.0)


async def test_held_vehicle_is_watched_but_not_commanded() -> None:
    """With its commands held, an RTL is refused before anything is sent (the vehicle never
    sees it), streams can still be asked for, and once resumed the RTL goes through."""
    fleet = Fleet([LinkConfig(url="udpin:127.0.0.1:0")], lost_after_s=1.0, command_timing=FAST_CMD)
    async with fleet:
        autopilot = FakeAutopilot(4)
        async with FakeVehicleEndpoint(autopilot, fleet.links[0].local_address):
            await fleet.wait_for_vehicles(1, timeout_s=5)
            vehicle = fleet.vehicle(4)
            fleet.hold_commands(4, "river-b")
            assert fleet.links[0].hold_reason(4) == "handed over to station river-b"
            with pytest.raises(VehicleHeld, match="handed over to station river-b"):
                await vehicle.rtl()
            assert await vehicle.request_streams({33: 2.0}) is True  # watching is allowed
            fleet.resume_commands(4)
            assert fleet.links[0].hold_reason(4) is None
            await vehicle.rtl()
