"""Handover between two stations against the real ArduCopter SITL: two fleets on two of its
serial ports, the drone signing with the key the first one gave it; the second adopts that key
without sending SETUP_SIGNING, watches while the first commands, and commands once the first
has let go (docs/federation.md, Handover). ArduPilot has no operator control: the stations'
own links enforce who commands."""

from __future__ import annotations

import pytest

from groundstation.errors import VehicleHeld
from groundstation.link import CommandTiming, Fleet, LinkConfig
from groundstation.link.admission import Admission
from groundstation.link.signing import vehicle_key
from tests.sitl import FACTOR, SitlFactory

pytestmark = pytest.mark.e2e

SYSID = 6


def _fleet(url: str, system_id: int) -> Fleet:
    admission = Admission(open_fleet=False, require_signing=True, accepted=[SYSID])
    timing = CommandTiming(ack_timeout_s=1.0 * FACTOR, retries=3, in_progress_timeout_s=5.0)
    return Fleet(
        [LinkConfig(url=url)], admission=admission, command_timing=timing, system_id=system_id
    )


async def test_second_station_adopts_the_key_watches_then_commands(
    sitl_factory: SitlFactory,
) -> None:
    """Station A (SERIAL0) enrols the drone; station B (SERIAL1) adopts the same derived key
    and hears it signed; B's command is refused while A commands; after the handover A's is
    refused and B's, signed, is obeyed."""
    sitl = sitl_factory(sysid=SYSID)
    key = vehicle_key(bytes(range(32)), SYSID, 1)  # the unit's key, generation 1: both derive it
    giver = _fleet(sitl.url, 255)
    taker = _fleet(f"tcp:127.0.0.1:{sitl.port + 2}", 254)
    taker.hold_commands(SYSID, None)
    async with giver, taker:
        await giver.wait_for_vehicles(1, 30 * FACTOR)
        await giver.set_vehicle_key(SYSID, key, timeout_s=10 * FACTOR)
        await taker.wait_for_vehicles(1, 30 * FACTOR)
        await taker.adopt_vehicle_key(SYSID, key, timeout_s=10 * FACTOR)
        assert taker.security(SYSID)["signed"] is True
        watched = taker.vehicle(SYSID)
        await watched.wait_for(lambda s: s.position is not None, 20 * FACTOR)
        with pytest.raises(VehicleHeld, match="commanded by another station"):
            await watched.set_mode("GUIDED")
        await giver.vehicle(SYSID).set_mode("LOITER")
        await watched.wait_for(lambda s: s.mode == "LOITER", 10 * FACTOR)  # B sees A's doing
        # the handover: A lets go first, then B takes command
        giver.hold_commands(SYSID, "river-b")
        taker.resume_commands(SYSID)
        with pytest.raises(VehicleHeld, match="handed over to station river-b"):
            await giver.vehicle(SYSID).set_mode("GUIDED")
        await watched.set_mode("GUIDED")
        await giver.vehicle(SYSID).wait_for(lambda s: s.mode == "GUIDED", 10 * FACTOR)
        assert taker.links[0].counters.signed_ok > 0
