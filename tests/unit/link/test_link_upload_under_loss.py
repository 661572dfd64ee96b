"""The station's upload against ArduPilot's rules at 30 % loss, in one process.

The vehicle is the simulator's sans-I/O :class:`simulator.mission_protocol.MissionProtocol`
(ArduPilot's ``MissionItemProtocol``: an item is stored when its seq is the one wanted, any other
draws INVALID_SEQUENCE, the wanted one is asked again 1 s after the last request). Messages are
dropped each way by a seeded generator; the vehicle answers at once, so the only waits are the
station's own timers and the vehicle's re-requests. The station must recover every loss on its
own timer: the vehicle never needs its 1 s re-request.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.codec import MavMessage
from groundstation.link.mission_client import MissionClient, MissionTiming
from groundstation.link.stored_form import Autopilot
from routes.mission import MissionItem
from simulator.mission_protocol import MissionProtocol

HOME = (290525000, 1191818000)


class LossyArduPilot:
    """A MissionPort whose far end is ArduPilot's mission protocol behind a lossy link."""

    sysid, compid, own_system = 1, 1, 255
    stored_rules = Autopilot.ARDUPILOT
    supports_mission_int = True

    def __init__(self, loss: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.loss = loss
        self.mav = mavlink.MAVLink(None, self.own_system, 190)
        self._vehicle_mav = mavlink.MAVLink(None, self.sysid, self.compid)
        self._to_vehicle = mavlink.MAVLink(None)
        self._to_station = mavlink.MAVLink(None)
        self.vehicle = MissionProtocol(
            self._vehicle_mav, self._emit, lambda text, severity: None, lambda mtype: None,
            home=lambda: (29.0525, 119.1818, 40.0),
        )  # fmt: skip
        self.inbox: asyncio.Queue[MavMessage] | None = None
        self.re_requests = 0

    def _lost(self) -> bool:
        return self.rng.random() < self.loss

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def send_message(self, msg: MavMessage) -> None:
        data = msg.pack(self.mav)
        self.mav.seq = (self.mav.seq + 1) % 256
        if self._lost():
            return
        for m in self._to_vehicle.parse_buffer(data) or []:
            self.vehicle.handle(m, self.now())

    def _emit(self, msg: Any) -> None:
        data = msg.pack(self._vehicle_mav)
        if self._lost() or self.inbox is None:
            return
        for m in self._to_station.parse_buffer(data) or []:
            self.inbox.put_nowait(m)

    @contextlib.asynccontextmanager
    async def mission_inbox(self) -> AsyncIterator[asyncio.Queue[MavMessage]]:
        self.inbox = asyncio.Queue()
        ticker = asyncio.create_task(self._tick())
        try:
            yield self.inbox
        finally:
            ticker.cancel()
            self.inbox = None

    async def _tick(self) -> None:
        """ArduPilot's ``update()``: its re-requests, at the vehicle's 50 Hz or so."""
        while True:
            up = self.vehicle.upload
            asked = up.last_request_s if up is not None else None
            self.vehicle.update(self.now())
            up = self.vehicle.upload
            if up is not None and asked is not None and up.last_request_s != asked:
                self.re_requests += 1
            await asyncio.sleep(0.02)


def _mission(n: int) -> list[MissionItem]:
    lat, lon = HOME
    first = MissionItem(seq=0, frame=0, command=16, current=1, x=lat, y=lon, z=0)
    return [first] + [
        MissionItem(seq=i, frame=3, command=16, x=lat + 30 * i, y=lon, z=40.0) for i in range(1, n)
    ]


@pytest.mark.parametrize("seed", [1, 2])
async def test_upload_at_30_percent_loss_never_waits_for_the_vehicles_re_request(seed: int):
    """80 items at 30 % loss each way are stored and verified well within the time that the
    vehicle's own 1 s re-requests would take (about 1 s for every second item), and the vehicle
    never had to ask again: the station's timer resent each lost item, and an INVALID_SEQUENCE
    answer to a resend sent the next item whose request was lost."""
    port = LossyArduPilot(loss=0.3, seed=seed)
    timing = MissionTiming(max_timeout_s=0.3)  # (the count's timer before any round trip)
    client = MissionClient(port, timing)
    items = _mission(80)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await client.upload(items, verify=True)
    elapsed = loop.time() - t0
    stored = port.vehicle.items[0]
    assert [(i.x, i.y) for i in stored[1:]] == [(i.x, i.y) for i in items[1:]]
    assert port.re_requests == 0
    assert elapsed < 20.0  # (the vehicle's pace alone: ~40 s; this takes well under 1 s)
    assert client.rtt.srtt is not None
    assert client.rtt.srtt < 0.1  # no re-request was ever timed as a round trip
