"""A station flying a patrol on the simulator loses its link to the centre, and things happen
while it is cut: the centre gets all of it afterwards, once each, in order.

The issue's outage is 10 minutes; here the link is cut for ``CUT_S`` seconds of wall time with
the simulator at ``SPEEDUP`` (the patrol flies, is sent home and lands meanwhile). The link is
cut between the station and the broker (:class:`~.cut.CutProxy`: the connection dropped, new
ones refused), so the station itself notices nothing but a broker it cannot reach. For the
10-minute figure see ``bench/federation.py --outage 600``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from groundstation.federation.protocol import Envelope
from groundstation.federation.store import CentreStore
from tests.e2e.service.station import ADMIN
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.cut import CutProxy
from tests.integration.federation.helpers import (
    outbox_state,
    running_centre,
    station_service,
    wait_for,
)

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
SPEEDUP = 10.0
CUT_S = float(os.environ.get("ECOPATROL_OUTAGE_S", "12"))
#: the events a page shows besides frames: every one made during the cut must reach the centre
EVENTS = ("patrol.state", "incident.created", "incident.updated", "alert", "report.ready")

#: About 300 m x 300 m just south of the Longyou station (where the simulator's drones stand).
NEAR_STATION = {
    "type": "Polygon",
    "coordinates": [[
        [119.18023, 29.04940], [119.18331, 29.04935], [119.18337, 29.05205],
        [119.18029, 29.05210], [119.18023, 29.04940],
    ]],
}  # fmt: skip


class StationFeed:
    """The station's own live page: the events its hub shows (what its forwarder reads), with
    the time each was made, to compare with what reached the centre."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []

    async def read(self, url: str) -> None:
        async with websockets.connect(url) as ws:
            async for raw in ws:
                msg = json.loads(raw)
                kind = msg["type"]
                if kind == "alert" and msg["data"].get("kind") == "report_ready":
                    kind = "report.ready"
                if kind in EVENTS:
                    made = _ts(msg["ts"])
                    self.events.append((made, kind, msg["data"]))

    def between(self, start: float, end: float) -> list[tuple[str, dict[str, Any]]]:
        return [(k, d) for t, k, d in self.events if start <= t < end]


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


async def _stored(store: CentreStore) -> list[Envelope]:
    return await store.events("river-a")


async def test_a_cut_link_loses_nothing_of_a_patrol_and_its_incidents(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """Cut mid-patrol: during the cut an officer files an incident and updates it, the pilot
    sends the drone home (an alert, patrol states) and it lands; after the link returns the
    centre holds every event the station made, each once, in the station's order; every
    patrol state, incident and alert the station's own page showed during the cut is there
    with the same content in the same order; each vehicle's frames are in order and kept
    coming during the cut."""
    proxy = CutProxy(broker.port)
    await proxy.open()
    outbox = tmp_path / "a" / "data" / "federation-outbox.db"
    feed = StationFeed()
    async with running_centre(broker, store) as centre:
        await asyncio.wait_for(centre.connected.wait(), 20 * FACTOR)
        async with (
            station_service(
                broker,
                "river-a",
                tmp_path / "a",
                broker_port=proxy.port,
                speedup=SPEEDUP,
                factor=FACTOR,
                more={"FEDERATION__RECONNECT_MAX_S": "1"},
            ) as station,
            httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client,
        ):
            r = await client.post(
                "/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
            )
            token = r.json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            reader = asyncio.create_task(feed.read(f"{station.ws_url}?token={token}"))
            vehicle_id = station.vehicle_ids[1]
            plan = {"name": "south square", "kind": "coverage", "altitude_m": 30,
                    "polygon": NEAR_STATION, "swath_width_m": 60, "speed_m_s": 6}  # fmt: skip
            r = await client.post("/api/plans", json=plan)
            assert r.status_code == 201, r.text
            r = await client.post(
                "/api/patrols", json={"plan_id": r.json()["id"], "vehicle_ids": [vehicle_id]}
            )
            assert r.status_code == 201, r.text
            patrol_id = r.json()["data"][0]["id"]
            r = await client.post(f"/api/patrols/{patrol_id}/start")
            assert r.status_code == 202, r.text

            async def flying_at_centre() -> bool:
                return any(
                    e.kind == "patrol.state" and e.data["state"] == "flying"
                    for e in await _stored(store)
                )

            await wait_for(flying_at_centre, timeout_s=90 * FACTOR)

            # --- the cut -------------------------------------------------------------------
            await proxy.cut()
            cut_at = time.time()
            r = await client.post(
                "/api/incidents",
                json={"type": "illegal_fishing", "lat_deg": 29.0505, "lon_deg": 119.1815,
                      "description": "nets seen during the outage", "vehicle_id": vehicle_id},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            incident_id = r.json()["id"]
            r = await client.patch(f"/api/incidents/{incident_id}", json={"status": "resolved"})
            assert r.status_code == 200, r.text
            r = await client.post(f"/api/vehicles/{vehicle_id}/commands/rtl")
            assert r.status_code < 300, r.text

            async def landed() -> bool:
                r = await client.get(f"/api/patrols/{patrol_id}")
                return r.json()["state"] in ("landed", "reported", "aborted", "failed")

            await wait_for(landed, timeout_s=60 * FACTOR)
            await asyncio.sleep(max(0.0, cut_at + CUT_S - time.time()))
            waiting, _ = await asyncio.to_thread(outbox_state, outbox)
            assert waiting > 0, "the station kept its events while cut off"
            assert not any(cut_at + 0.5 <= e.at.timestamp() for e in await _stored(store))
            await proxy.open(proxy.port)
            restored_at = time.time()

            # --- back ----------------------------------------------------------------------
            async def drained() -> bool:
                waiting, last = await asyncio.to_thread(outbox_state, outbox)
                return waiting == 0 and [e.seq for e in await _stored(store)][-1:] == [last]

            await wait_for(drained, timeout_s=60 * FACTOR)
            last = (await asyncio.to_thread(outbox_state, outbox))[1]
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    events = await _stored(store)  # (the station went on sending until it stopped)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))  # none lost/twice/moved
    assert len(events) >= last
    in_cut = [e for e in events if cut_at <= e.at.timestamp() < restored_at]
    shown = feed.between(cut_at, restored_at)
    kinds = {k for k, _ in shown}
    assert {"patrol.state", "incident.created", "incident.updated", "alert"} <= kinds, kinds
    assert [(e.kind, e.data) for e in in_cut if e.kind in EVENTS] == shown
    assert [e.data["id"] for e in in_cut if e.kind == "incident.created"] == [incident_id]
    frames: dict[int, list[float]] = {}
    for e in events:
        if e.kind == "vehicle.frame":
            frames.setdefault(e.data["sysid"], []).append(e.at.timestamp())
    assert set(frames) == {1, 2}
    assert all(times == sorted(times) for times in frames.values())
    flown = [t for t in frames[1] if cut_at <= t < restored_at]  # the patrol's drone moved
    assert len(flown) >= CUT_S, "its frames (2 Hz) kept coming during the cut"
