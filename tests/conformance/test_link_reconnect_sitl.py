"""The station's TCP link to the real ArduCopter SITL survives the autopilot rebooting."""

from __future__ import annotations

import asyncio
import time

import pytest

from groundstation.link import Backoff, Fleet, FleetEvent, LinkConfig
from groundstation.link.codec import Decoder
from groundstation.link.tlog import read_tlog
from groundstation.link.transport import TcpTransport
from tests.sitl import FACTOR, SitlFactory

pytestmark = pytest.mark.e2e


async def test_sitl_power_cycle_is_lost_then_regained_and_streams_again(
    sitl_factory: SitlFactory, tmp_path
):
    sitl = sitl_factory(sysid=4)
    fleet = Fleet(
        [LinkConfig(url=sitl.url)],
        lost_after_s=30,  # (the loss must come from the closed connection, not from silence)
        backoff=Backoff(first_s=0.1, cap_s=1.0),
        tlog_dir=tmp_path / "tlogs",
    )
    events: asyncio.Queue[FleetEvent] = asyncio.Queue()

    async def record() -> None:
        async for ev in fleet.events():
            events.put_nowait(ev)

    async def next_event(kind: str) -> FleetEvent:
        async with asyncio.timeout(30 * FACTOR):
            while (ev := await events.get()).kind != kind:
                pass
        return ev

    async with fleet:
        recorder = asyncio.create_task(record())
        try:
            await fleet.wait_for_vehicles(1, timeout_s=10 * FACTOR)
            handle = fleet.vehicle(4)
            await handle.wait_for(lambda s: s.position is not None, 20 * FACTOR)
            transport = fleet.links[0].transport
            assert isinstance(transport, TcpTransport)

            await asyncio.to_thread(sitl.restart)  # SIGKILL, then a boot on the same EEPROM
            assert (await next_event("lost")).text == "connection closed"
            assert (await next_event("regained")).sysid == 4
            regained_at = time.time()
            assert transport.reconnects == 1
            async with asyncio.timeout(5 * FACTOR):  # at first contact, then at the regain
                while handle.stream_requests < 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            await asyncio.sleep(3)  # (about 30 s of the vehicle's time)
        finally:
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)

    # A rebooted ArduPilot sends no position until asked: positions after the regain prove the
    # station asked again.
    decoder = Decoder()
    positions = 0
    for path in sorted((tmp_path / "tlogs").iterdir()):
        for micros, frame in read_tlog(path):
            for msg in decoder.feed(frame, datagram=True):
                if msg.get_type() == "GLOBAL_POSITION_INT" and micros / 1e6 > regained_at:
                    positions += 1
    assert positions > 5
