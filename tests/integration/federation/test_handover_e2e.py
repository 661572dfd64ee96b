"""A drone handed over between two station processes that both hear it, signed, through
Mosquitto, with the centre watching."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import httpx
import pytest
import websockets

from groundstation.federation.centre_dispatch import answer, dispatch
from groundstation.federation.protocol import Command, DispatchParams
from groundstation.federation.store import CentreStore
from simulator.base import LONGYOU_STATION
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import StationProcess
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import (
    admin_headers,
    running_centre,
    station_env,
    station_process,
    wait_for,
)

pytestmark = pytest.mark.e2e

#: about 600 m north of river-a's dock, whose zone's edge is 400 m out
RIVER_B = (LONGYOU_STATION[0] + 0.0054, LONGYOU_STATION[1])
#: where the centre sends the drone: past river-a's edge, 200 m short of river-b
TARGET = (LONGYOU_STATION[0] + 0.0072, LONGYOU_STATION[1])


def _env(broker: Mosquitto, name: str, unit_key: str, **more: str) -> dict[str, str]:
    # the unit's signing key: both stations derive the drone's key from it
    return station_env(broker, name, more={"LINK__SIGNING_KEY": unit_key, **more})


async def _commanded_by(station: StationProcess, headers: dict[str, str]) -> object:
    """The ``commanded_by`` of drone 1 in the station's live snapshot (what its page reads)."""
    token = headers["Authorization"].removeprefix("Bearer ")
    async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert snapshot["type"] == "snapshot"
    (drone,) = [v for v in snapshot["data"]["vehicles"] if v["sysid"] == 1]
    return drone["commanded_by"]


async def _steps(client: httpx.AsyncClient, headers: dict[str, str]) -> list[tuple[str, str]]:
    data = (await client.get("/api/audit", headers=headers)).json()["data"]
    return [
        (e["command"], e["result"])
        for e in sorted(data, key=lambda e: e["id"])
        if e["command"].startswith("federation.")
    ]


async def test_drone_handed_over_between_two_stations(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """The centre dispatches river-a's drone past river-a's zone edge; nearing the edge,
    river-a offers it to river-b, which hears it signed on its own link and accepts; river-a
    releases it and refuses commands for it from then on (its pilots and the centre alike),
    river-b commands it; both audit each step and the centre records river-b in command."""
    unit_key = secrets.token_hex(32)
    sim_config = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=5.0, seed=5)
    async with (
        running_centre(broker, store) as centre,
        SimFleet(sim_config) as sim,
        station_process(
            tmp_path / "a",
            sim.ports[0],
            _env(
                broker, "river-a", unit_key,
                FEDERATION__ZONE_LAT_DEG=str(LONGYOU_STATION[0]),
                FEDERATION__ZONE_LON_DEG=str(LONGYOU_STATION[1]),
                FEDERATION__ZONE_RADIUS_M="400",
                FEDERATION__HANDOVER_MARGIN_M="150",
                FEDERATION__NEIGHBOURS=f'{{"river-b": [{RIVER_B[0]}, {RIVER_B[1]}]}}',
            ),
            enrol=[1],
        ) as a,
        station_process(
            tmp_path / "b",
            sim.ports[0],
            _env(broker, "river-b", unit_key, FEDERATION__GUEST_SYSIDS="[1]",
                 LINK__SYSTEM_ID="254"),
            enrol=[1],
        ) as b,
        httpx.AsyncClient(base_url=a.url, timeout=30) as client_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as client_b,
    ):  # fmt: skip
        headers_a, headers_b = await admin_headers(client_a), await admin_headers(client_b)
        vid_a, vid_b = a.vehicle_ids[1], b.vehicle_ids[1]
        # river-b commands nothing of the drone yet: its pilot's button is refused
        r = await client_b.post(f"/api/vehicles/{vid_b}/commands/pause", headers=headers_b)
        assert r.status_code == 409, r.text
        assert "commanded by another station" in r.text

        async def free() -> bool:
            return bool(await store.nearest_free(*TARGET))

        await wait_for(free, timeout_s=60)
        sent = await dispatch(
            centre, DispatchParams(lat_deg=TARGET[0], lon_deg=TARGET[1], alt_rel_m=30), "officer-c"
        )
        assert sent.station == "river-a"  # river-b does not report a guest's frames
        record = await answer(centre, sent.command.id, timeout_s=60)
        assert record is not None
        assert record.result == "done", record

        async def taken() -> bool:
            return await store.commander(1) == "river-b"

        await wait_for(taken, timeout_s=120)
        r = await client_a.post(f"/api/vehicles/{vid_a}/commands/rtl", headers=headers_a)
        assert r.status_code == 409, r.text
        assert "handed over to station river-b" in r.text
        to_a = Command(kind="rtl", sysid=1, issued_by="officer-c")
        to_b = Command(kind="pause", sysid=1, issued_by="officer-c")
        await centre.send("river-a", to_a)
        await centre.send("river-b", to_b)
        rec_a = await answer(centre, to_a.id, timeout_s=30)
        rec_b = await answer(centre, to_b.id, timeout_s=30)
        r = await client_b.post(f"/api/vehicles/{vid_b}/commands/rtl", headers=headers_b)
        assert r.status_code == 200, r.text
        steps_a = await _steps(client_a, headers_a)
        steps_b = await _steps(client_b, headers_b)
    assert rec_a is not None
    assert rec_b is not None
    assert (rec_a.result, rec_a.code) == ("refused", "handed_over")
    assert (rec_b.result, rec_b.code) == ("done", None)
    handovers = await store.handovers(sysid=1)
    assert [(h.giver, h.taker, h.state) for h in handovers][:1] == [("river-a", "river-b", "taken")]
    assert steps_a[:3] == [
        ("federation.dispatch", "done"),
        ("federation.handover.offer", "offered to river-b"),
        ("federation.handover.release", "released to river-b"),
    ]
    assert ("federation.rtl", "refused: handed over to station river-b") in steps_a
    assert steps_b[:2] == [
        ("federation.handover.accept", "accepted from river-a"),
        ("federation.handover.take", "taken from river-a"),
    ]
    assert ("federation.pause", "done") in steps_b


async def test_pilot_hands_a_drone_over_by_hand(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """A pilot at river-a (no zone: only by hand) offers its drone to river-b through the API;
    once river-b hears it signed it accepts, river-a releases it and refuses its own pilot's
    commands from then on; the centre records river-b in command; each station's live frames
    say who commands the drone when it does not (what the page's handover control shows)."""
    unit_key = secrets.token_hex(32)
    sim_config = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=5.0, seed=6)
    neighbours = f'{{"river-b": [{RIVER_B[0]}, {RIVER_B[1]}]}}'
    async with (
        running_centre(broker, store),
        SimFleet(sim_config) as sim,
        station_process(tmp_path / "a", sim.ports[0],
                        _env(broker, "river-a", unit_key, FEDERATION__NEIGHBOURS=neighbours),
                        enrol=[1]) as a,
        station_process(tmp_path / "b", sim.ports[0],
                        _env(broker, "river-b", unit_key, FEDERATION__GUEST_SYSIDS="[1]",
                             LINK__SYSTEM_ID="254",
                             FEDERATION__NEIGHBOURS=f'{{"river-a": {list(LONGYOU_STATION[:2])}}}'),
                        enrol=[1]) as b,
        httpx.AsyncClient(base_url=a.url, timeout=30) as client_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as client_b,
    ):  # fmt: skip
        headers_a, headers_b = await admin_headers(client_a), await admin_headers(client_b)
        vid_a = a.vehicle_ids[1]
        r = await client_a.get("/api/federation/neighbours", headers=headers_a)
        assert r.json() == {"enabled": True, "station": "river-a", "neighbours": ["river-b"]}
        r = await client_b.post(
            f"/api/vehicles/{b.vehicle_ids[1]}/handover", json={"to": "river-a"}, headers=headers_b
        )
        assert r.status_code == 409, r.text  # river-b does not command it yet
        guest_b = await _commanded_by(b, headers_b)
        outcomes: list[tuple[str, str | None]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while loop.time() < deadline:
            r = await client_a.post(
                f"/api/vehicles/{vid_a}/handover", json={"to": "river-b"}, headers=headers_a
            )
            assert r.status_code == 202, r.text
            url = f"/api/vehicles/{vid_a}/handover/{r.json()['id']}"
            state = r.json()
            while state["state"] == "offered":
                await asyncio.sleep(0.3)
                state = (await client_a.get(url, headers=headers_a)).json()
            outcomes.append((state["state"], state["code"]))
            if state["state"] == "released":
                break
            assert (state["state"], state["code"]) == ("refused", "not_heard"), state
            await asyncio.sleep(1)  # river-b has not heard it signed yet: the pilot tries again

        async def taken() -> bool:
            return await store.commander(1) == "river-b"

        await wait_for(taken, timeout_s=30)
        given_a, taken_b = await _commanded_by(a, headers_a), await _commanded_by(b, headers_b)
        r = await client_a.post(f"/api/vehicles/{vid_a}/commands/pause", headers=headers_a)
        steps_a = await _steps(client_a, headers_a)
        steps_b = await _steps(client_b, headers_b)
        log_a = (await client_a.get("/api/audit", headers=headers_a)).json()["data"]
    assert outcomes[-1] == ("released", None), outcomes
    assert (guest_b, given_a, taken_b) == ({"station": None}, {"station": "river-b"}, None)
    assert r.status_code == 409
    assert "handed over to station river-b" in r.text
    assert ("federation.handover.release", "released to river-b") in steps_a
    assert ("federation.handover.take", "taken from river-a") in steps_b
    assert ("handover", "offered to river-b") in [(e["command"], e["result"]) for e in log_a]
