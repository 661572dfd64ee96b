"""A TCP link whose vehicle goes away (an autopilot rebooting) is connected again by itself."""

from __future__ import annotations

import asyncio
import logging

from groundstation.link import Backoff, Fleet, FleetEvent, LinkConfig
from groundstation.link.testing import FakeAutopilot, FakeTcpVehicle
from groundstation.link.transport import TcpTransport

SET_MESSAGE_INTERVAL = 511
QUICK = Backoff(first_s=0.05, factor=2.0, cap_s=0.4)


class Recorder:
    """Every fleet event from the moment it is created (a subscription starts when iterated)."""

    def __init__(self, fleet: Fleet) -> None:
        self.queue: asyncio.Queue[FleetEvent] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(fleet))

    async def _run(self, fleet: Fleet) -> None:
        async for ev in fleet.events():
            self.queue.put_nowait(ev)

    async def next(self, kind: str) -> FleetEvent:
        async with asyncio.timeout(10):
            while (ev := await self.queue.get()).kind != kind:
                pass
        return ev

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_vehicle_rebooting_is_lost_at_once_then_regained_with_its_streams(caplog):
    caplog.set_level(logging.INFO, logger="groundstation.link.transport")
    async with FakeTcpVehicle(FakeAutopilot(sysid=3)) as vehicle:
        # lost_after_s is long: the loss below comes from the closed connection, not silence
        fleet = Fleet([LinkConfig(url=f"tcp:127.0.0.1:{vehicle.port}")], lost_after_s=60,
                      backoff=QUICK)  # fmt: skip
        async with fleet:
            await fleet.wait_for_vehicles(1, timeout_s=5)
            handle = fleet.vehicle(3)
            await handle.wait_for(lambda s: s.position is not None, 5)
            first_boot = vehicle.autopilot
            async with asyncio.timeout(5):
                while SET_MESSAGE_INTERVAL not in first_boot.commands_seen:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            events = Recorder(fleet)
            await asyncio.sleep(0)  # (subscribed)
            transport = fleet.links[0].transport
            assert isinstance(transport, TcpTransport)

            await vehicle.stop()  # the autopilot reboots: its port closes
            lost = await events.next("lost")
            assert lost.sysid == 3
            assert lost.text == "connection closed"
            assert handle.is_lost
            assert handle.state.link.status == "lost"
            async with asyncio.timeout(5):
                # refused attempts, backing off; the 1 Hz heartbeat meanwhile is dropped, counted
                while transport.attempts < 3 or transport.send_errors == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            assert not transport.connected

            vehicle.autopilot = FakeAutopilot(sysid=3)  # after a reboot it knows no streams
            await vehicle.start()
            regained = await events.next("regained")
            assert regained.sysid == 3
            assert not handle.is_lost
            async with asyncio.timeout(5):
                while SET_MESSAGE_INTERVAL not in vehicle.autopilot.commands_seen:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            assert vehicle.connections == 2
            assert transport.reconnects == 1
            await events.close()
        # closed with the fleet: no reconnect attempt outlives it
        assert not transport.connected

    messages = [r.getMessage() for r in caplog.records]
    assert any("connection lost; reconnecting" in m for m in messages)
    assert any("reconnect attempt 1 failed" in m and "next in 0.10 s" in m for m in messages)
    assert any("reconnected (attempt" in m for m in messages)


async def test_back_off_doubles_up_to_its_cap():
    assert list(QUICK.delays(6)) == [0.05, 0.1, 0.2, 0.4, 0.4, 0.4]


async def test_reconnect_keeps_trying_while_the_vehicle_is_away_and_stops_when_closed():
    async with FakeTcpVehicle(FakeAutopilot(sysid=1)) as vehicle:
        fleet = Fleet([LinkConfig(url=f"tcp:127.0.0.1:{vehicle.port}")], backoff=QUICK)
        async with fleet:
            await fleet.wait_for_vehicles(1, timeout_s=5)
            transport = fleet.links[0].transport
            assert isinstance(transport, TcpTransport)
            await vehicle.stop()
            async with asyncio.timeout(5):
                while transport.attempts < 6:  # noqa: ASYNC110 (past the cap: still trying)
                    await asyncio.sleep(0.02)
        tries = transport.attempts
        await asyncio.sleep(0.6)
        assert transport.attempts == tries, "a closed fleet does not reconnect"
