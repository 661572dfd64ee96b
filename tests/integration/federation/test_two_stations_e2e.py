"""Two station services, each flying its own simulator, joined to a centre through Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from groundstation.federation.centre import Centre
from groundstation.federation.protocol import Command
from groundstation.federation.store import CentreStore
from simulator.base import LONGYOU_STATION
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, StationProcess
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import wait_for

pytestmark = pytest.mark.e2e

FACTOR = 1.0
#: river-b's dock, about 5.6 km north of river-a's (the packaged Longyou station)
RIVER_B_HOME = (LONGYOU_STATION[0] + 0.05, LONGYOU_STATION[1], LONGYOU_STATION[2])


@contextlib.asynccontextmanager
async def station(
    broker: Mosquitto, name: str, workdir: Path, home: tuple[float, float, float], *, duty: bool
) -> AsyncIterator[StationProcess]:
    """A station service on its own simulated fleet (2 drones), federation on."""
    await asyncio.to_thread(workdir.mkdir)
    config = SimConfig(drones=2, listen="udpin:127.0.0.1:0", speedup=5.0, seed=3, home=home)
    env = {
        "ECOPATROL_FEDERATION__ENABLED": "true",
        "ECOPATROL_FEDERATION__STATION_ID": name,
        "ECOPATROL_FEDERATION__BROKER_PORT": str(broker.port),
        "ECOPATROL_FEDERATION__PASSWORD": broker.logins[name],
        "ECOPATROL_FEDERATION__CA_FILE": str(broker.ca),
        "ECOPATROL_FEDERATION__ACCEPT_COMMANDS": "true" if duty else "false",
        "ECOPATROL_FEDERATION__FRAME_RATE_HZ": "2",
    }
    async with SimFleet(config) as sim:
        proc = StationProcess(
            workdir, [f"udpout:127.0.0.1:{sim.ports[0]}"], FACTOR, env=env, enrol=[1, 2]
        )
        await proc.start()
        try:
            yield proc
        finally:
            await proc.stop()


@contextlib.asynccontextmanager
async def running_centre(broker: Mosquitto, store: CentreStore) -> AsyncIterator[Centre]:
    """The centre on `store`, logged in to `broker`, running until the block ends."""
    centre = Centre(
        store, host="127.0.0.1", port=broker.port, password=broker.logins["centre"],
        ca_file=broker.ca,
    )  # fmt: skip
    centre_task = asyncio.create_task(centre.run())
    try:
        yield centre
    finally:
        centre_task.cancel()
        await asyncio.gather(centre_task, return_exceptions=True)


async def test_two_stations_and_a_centre(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """Both stations' drones reach the centre; the nearest free drone to river-b's dock is
    river-b's; an RTL for river-a is carried out there and audited in its chain, while river-b
    (no pilot on duty) refuses one; the centre records both answers."""
    async with (
        running_centre(broker, store) as centre,
        station(broker, "river-a", tmp_path / "a", LONGYOU_STATION, duty=True) as a,
        station(broker, "river-b", tmp_path / "b", RIVER_B_HOME, duty=False),
    ):

        async def four_free() -> bool:
            return len(await store.nearest_free(*RIVER_B_HOME[:2], limit=10)) == 4

        await wait_for(four_free, timeout_s=60)
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
            r = await client.post(
                "/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
            )
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
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


def _outbox_state(path: Path) -> tuple[int, int]:
    """(waiting, last seq given) of a station's outbox file, read beside the running station."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        waiting = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        last = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(waiting), int(last[0]) if last else 0


async def test_broker_outage_under_a_flying_station(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """The broker stops for a few seconds while a station's drones send frames: afterwards the
    centre holds every event the station made, each once, in the station's order."""
    outbox = tmp_path / "a" / "data" / "federation-outbox.db"
    async with running_centre(broker, store) as centre:
        await asyncio.wait_for(centre.connected.wait(), 20)
        async with station(broker, "river-a", tmp_path / "a", LONGYOU_STATION, duty=True):
            await wait_for(lambda: _has_frames(store), timeout_s=60)
            broker.stop()
            before = (await asyncio.to_thread(_outbox_state, outbox))[1]
            await asyncio.sleep(4)
            waiting, during = await asyncio.to_thread(_outbox_state, outbox)
            assert waiting > 0  # frames kept coming while the broker was away
            broker.start()

            async def drained() -> bool:
                waiting, last = await asyncio.to_thread(_outbox_state, outbox)
                seqs = [e.seq for e in await store.events("river-a")]
                return waiting == 0 and seqs[-1:] == [last]

            await wait_for(drained, timeout_s=60)
            last = (await asyncio.to_thread(_outbox_state, outbox))[1]
            seqs = [e.seq for e in await store.events("river-a")]
    assert seqs == list(range(1, last + 1))  # none lost, none twice, in order
    assert during > before


async def _has_frames(store: CentreStore) -> bool:
    return any(e.kind == "vehicle.frame" for e in await store.events("river-a"))
