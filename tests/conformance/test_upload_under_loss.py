"""Mission uploads through a link losing 30 % of messages each way, on our simulator and on
ArduCopter SITL, and the vehicle-side rules the station's resend policy relies on.

The station resends the item it last sent on a short timer of its own and, when a resend is
answered INVALID_SEQUENCE, sends the next item (the vehicle's request for it was lost). That is
only safe because ArduPilot stores an item whose seq is the one it wants whether or not it asked
for it yet, answers a copy of an older item with INVALID_SEQUENCE and nothing else, and answers
an item from further ahead the same way (``MissionItemProtocol::handle_mission_item``). The
first test checks those rules on both autopilots, the second the whole upload through the
lossy proxy (``tests/lossy_proxy.py``), read back and compared.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from groundstation.link import Fleet, LinkConfig, MissionTiming
from routes.mission import MissionItem
from tests.conformance.backends import vehicles
from tests.lossy_proxy import LossyProxy

pytestmark = pytest.mark.e2e

HOME = (290525000, 1191818000)


def _mission(n: int) -> list[MissionItem]:
    lat, lon = HOME
    first = MissionItem(seq=0, frame=0, command=16, current=1, x=lat, y=lon, z=0)
    return [first] + [
        MissionItem(seq=i, frame=3, command=16, x=lat + 30 * i, y=lon + (i % 7) * 30, z=40.0)
        for i in range(1, n)
    ]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _probe(port: int) -> list[list[tuple[str, int]]]:
    """COUNT 4; item 0; a copy of item 0; item 3 (ahead); items 1 and 2 back to back; item 3.

    Returns what came back after each step, as (message, seq or result) pairs.
    """
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(f"tcp:127.0.0.1:{port}", source_system=250)
    try:
        conn.wait_heartbeat(timeout=30)
        target = conn.target_system
        items = _mission(4)

        def send(seq: int) -> None:
            i = items[seq]
            conn.mav.mission_item_int_send(target, 1, i.seq, i.frame, i.command, i.current,
                                           i.autocontinue, i.param1, i.param2, i.param3,
                                           i.param4, i.x, i.y, i.z, 0)  # fmt: skip

        asked: set[int] = set()

        def answers(n: int) -> list[tuple[str, int]]:
            """The next ``n`` answers, leaving out re-requests of items already asked for (the
            vehicle's own timer: 0.1 s of wall time apart at SITL's ten-fold speed)."""
            got: list[tuple[str, int]] = []
            while len(got) < n:
                kinds = ["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"]
                m: Any = conn.recv_match(type=kinds, blocking=True, timeout=10)
                assert m is not None, f"no answer after {got}"
                if m.get_type() == "MISSION_ACK":
                    got.append(("ACK", int(m.type)))
                elif int(m.seq) not in asked:
                    asked.add(int(m.seq))
                    got.append(("REQUEST", int(m.seq)))
            return got

        conn.mav.mission_count_send(target, 1, len(items), 0)
        steps = [answers(1)]
        send(0)
        steps.append(answers(1))
        send(0)  # a copy of the item just stored
        steps.append(answers(1))
        send(3)  # one from further ahead
        steps.append(answers(1))
        send(1)
        send(2)  # before the vehicle asked for it
        steps.append(answers(2))
        send(3)
        steps.append(answers(1))
        return steps
    finally:
        conn.close()


async def test_vehicle_takes_the_wanted_item_asked_or_not_and_refuses_others(autopilot):
    """Both autopilots: INVALID_SEQUENCE for a copy and for an item ahead, each alone (no
    request with it), and the next wanted item stored even when sent before it was asked for."""
    kind, factory = autopilot
    async with vehicles(kind, factory, [1]) as fleet:
        got = await asyncio.to_thread(_probe, _port(fleet.urls[0]))
    assert got == [
        [("REQUEST", 0)],
        [("REQUEST", 1)],
        [("ACK", 13)],  # INVALID_SEQUENCE: a copy of item 0
        [("ACK", 13)],  # INVALID_SEQUENCE: item 3, ahead of the wanted 1
        [("REQUEST", 2), ("REQUEST", 3)],  # 1 stored, then 2 before it was asked for
        [("ACK", 0)],  # 3 was the last: ACCEPTED
    ]


async def test_upload_at_30_percent_message_loss_verified(autopilot):
    """120 items through a proxy dropping 30 % of messages each way are stored and read back
    as sent, on both autopilots."""
    kind, factory = autopilot
    items = _mission(120)
    async with vehicles(kind, factory, [1]) as fleet:
        proxy = LossyProxy(("127.0.0.1", _port(fleet.urls[0])), 0.3, seed=7)
        timing = MissionTiming(max_retries=40)
        async with proxy, Fleet([LinkConfig(url=proxy.url)], mission_timing=timing) as station:
            (sysid,) = await station.wait_for_vehicles(1, timeout_s=60)
            async with asyncio.timeout(240):
                await station.vehicle(sysid).upload_mission(items, verify=True)
        assert proxy.dropped > 0
