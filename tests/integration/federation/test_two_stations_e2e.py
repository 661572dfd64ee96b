"""Two station services, each flying its own simulator, joined to a centre through Mosquitto."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from groundstation.federation.protocol import Command
from groundstation.federation.store import CentreStore
from simulator.base import LONGYOU_STATION
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import (
    RIVER_B_HOME,
    TwoStations,
    admin_headers,
    outbox_state,
    running_centre,
    station_service,
    wait_for,
)

pytestmark = pytest.mark.e2e


async def test_two_stations_and_a_centre(store: CentreStore, two_stations: TwoStations) -> None:
    """Both stations' drones reach the centre; the nearest free drone to river-b's dock is
    river-b's; an RTL for river-a is carried out there and audited in its chain, while river-b
    (no pilot on duty) refuses one; the centre records both answers."""
    centre, a = two_stations.centre, two_stations.a
    near = await store.nearest_free(*RIVER_B_HOME[:2], limit=10)
    assert [d.station for d in near] == ["river-b", "river-b", "river-a", "river-a"]
    assert near[0].distance_m < 200 < 5000 < near[2].distance_m < 6500

    to_a = Command(kind="rtl", sysid=1, issued_by="officer-c")
    to_b = Command(kind="rtl", sysid=1, issued_by="officer-c")
    await centre.send("river-a", to_a)
    await centre.send("river-b", to_b)

    async def answered() -> bool:
        records = [await store.command(c.id) for c in (to_a, to_b)]
        return all(r is not None and r.result is not None for r in records)

    await wait_for(answered, timeout_s=30)
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as client:
        headers = await admin_headers(client)
        audit_a = (await client.get("/api/audit", headers=headers)).json()["data"]
    rec_a, rec_b = await store.command(to_a.id), await store.command(to_b.id)
    assert rec_a is not None
    assert rec_b is not None
    assert (rec_a.result, rec_a.reason) == ("done", None), rec_a
    assert (rec_b.result, rec_b.reason) == ("refused", "no pilot on duty at the station")
    mine = [e for e in audit_a if e["command"] == "federation.rtl"]
    assert [(e["username"], e["result"], e["params"]["command_id"]) for e in mine] == [
        ("centre:officer-c", "done", to_a.id)
    ]


async def test_broker_outage_under_a_flying_station(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """The broker stops for a few seconds while a station's drones send frames: afterwards the
    centre holds every event the station made, each once, in the station's order."""
    outbox = tmp_path / "a" / "data" / "federation-outbox.db"
    async with running_centre(broker, store) as centre:
        await asyncio.wait_for(centre.connected.wait(), 20)
        async with station_service(broker, "river-a", tmp_path / "a", home=LONGYOU_STATION):
            await wait_for(lambda: _has_frames(store), timeout_s=60)
            broker.stop()
            before = (await asyncio.to_thread(outbox_state, outbox))[1]
            await asyncio.sleep(4)
            waiting, during = await asyncio.to_thread(outbox_state, outbox)
            assert waiting > 0  # frames kept coming while the broker was away
            broker.start()

            async def drained() -> bool:
                waiting, last = await asyncio.to_thread(outbox_state, outbox)
                seqs = [e.seq for e in await store.events("river-a")]
                return waiting == 0 and seqs[-1:] == [last]

            await wait_for(drained, timeout_s=60)
            last = (await asyncio.to_thread(outbox_state, outbox))[1]
            seqs = [e.seq for e in await store.events("river-a")]
    assert seqs == list(range(1, last + 1))  # none lost, none twice, in order
    assert during > before


async def _has_frames(store: CentreStore) -> bool:
    return any(e.kind == "vehicle.frame" for e in await store.events("river-a"))
