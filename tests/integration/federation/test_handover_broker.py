"""Handover messages between two station links through a real Mosquitto, seen by the centre."""

from __future__ import annotations

import asyncio
from pathlib import Path

from groundstation.federation.authority import Authority
from groundstation.federation.handover import HandoverDesk
from groundstation.federation.protocol import Handover
from groundstation.federation.station import StationLink
from groundstation.federation.store import CentreStore
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import centre_of, running, station, wait_for


def _desk(link: StationLink, folder: Path, guests: list[int], *, on_duty: bool) -> HandoverDesk:
    steps: list[tuple[str, str]] = []

    async def audit(step: str, handover: Handover, result: str) -> None:
        steps.append((step, result))

    desk = HandoverDesk(
        link.station,
        Authority(folder / f"{link.station}-control.db", link.station, None, guests=guests),
        link.send_to_station,
        link.emit,
        audit,
        lambda sysid: None,
        on_duty=lambda: on_duty,
        timeout_s=10.0,
    )
    link.handovers = desk.receive
    link.commands_vehicle = desk.authority.commands
    return desk


async def test_handover_through_the_broker_and_the_centre_knows(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """river-a offers drone 1 to river-b through the broker; river-b accepts, river-a releases,
    river-b commands; the centre's store shows the handover taken and river-b in command. A
    second offer, to river-b with no pilot on duty, is refused and river-b keeps it."""
    a, _ = station(broker, "river-a", tmp_path)
    b, _ = station(broker, "river-b", tmp_path)
    desk_a = _desk(a, tmp_path, guests=[], on_duty=True)
    desk_b = _desk(b, tmp_path, guests=[1], on_duty=True)
    centre = centre_of(broker, store)
    async with running(centre, a, b):
        await asyncio.wait_for(centre.connected.wait(), 20)
        result = await desk_a.offer(1, "river-b", reason="nearing the zone's edge")
        assert result.outcome == "released", result
        await wait_for(lambda: desk_b.authority.commands(1))

        async def centre_knows() -> bool:
            done = await store.handovers(sysid=1)
            return bool(done) and done[0].state == "taken"

        await wait_for(centre_knows)
        assert await store.commander(1) == "river-b"
        # river-a now holds drone 1 as a guest of river-b's: offering it is not its to do
        assert not desk_a.authority.commands(1)
    [record] = await store.handovers(sysid=1)
    assert (record.giver, record.taker, record.state) == ("river-a", "river-b", "taken")
    kinds = [e.kind for e in await store.events()]
    for kind in ("handover.offer", "handover.accept", "handover.release", "handover.taken"):
        assert kind in kinds


async def test_a_refused_handover_is_recorded_at_the_centre(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """river-b has no pilot on duty: it refuses, river-a keeps the drone, and the centre
    records the handover as kept with the refusal's code."""
    a, _ = station(broker, "river-a", tmp_path)
    b, _ = station(broker, "river-b", tmp_path)
    desk_a = _desk(a, tmp_path, guests=[], on_duty=True)
    _desk(b, tmp_path, guests=[1], on_duty=False)
    centre = centre_of(broker, store)
    async with running(centre, a, b):
        await asyncio.wait_for(centre.connected.wait(), 20)
        result = await desk_a.offer(1, "river-b")
        assert (result.outcome, result.reason) == ("refused", "no pilot on duty at the station")

        async def centre_knows() -> bool:
            done = await store.handovers(sysid=1)
            return bool(done) and done[0].state == "kept"

        await wait_for(centre_knows)
    assert desk_a.authority.commands(1)
    [record] = await store.handovers(sysid=1)
    assert (record.state, record.code) == ("kept", "no_pilot")
    assert await store.commander(1) is None
