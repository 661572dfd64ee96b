"""Evidence end to end: a station on a live link (our simulator, and ArduPilot's ArduCopter SITL)
records its .tlog, and an officer's packet of an incident at the drone carries the drone's
telemetry slice and verifies."""

from __future__ import annotations

import asyncio
import contextlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from groundstation.evidence.keys import load_public_pem
from groundstation.evidence.verify import verify_packet
from groundstation.link.tlog import read_tlog
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, PASSWORD, StationProcess, accept_and_enrol
from tests.e2e.service.test_patrol_e2e import FACTOR, SPEEDUP, bearer, login
from tests.sitl import sitl_factory

pytestmark = pytest.mark.e2e
__all__ = ["sitl_factory"]

TLOG = {"ECOPATROL_LINK__TLOG": "true"}


@contextlib.asynccontextmanager
async def simulator_station(tmp_path: Path) -> AsyncIterator[tuple[StationProcess, int]]:
    config = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=SPEEDUP, seed=3)
    async with SimFleet(config) as sim:
        url = f"udpout:127.0.0.1:{sim.ports[0]}"
        station = StationProcess(tmp_path, [url], FACTOR, enrol=[1], env=TLOG)
        await station.start()
        try:
            yield station, station.vehicle_ids[1]
        finally:
            await station.stop()


@contextlib.asynccontextmanager
async def sitl_station(tmp_path: Path, factory: Any) -> AsyncIterator[tuple[StationProcess, int]]:
    sitl = await asyncio.to_thread(factory, 1)
    # unsigned, as the conformance suite: the harness talks to SITL unsigned on SERIAL2
    env = {**TLOG, "ECOPATROL_LINK__REQUIRE_SIGNING": "false"}
    station = StationProcess(tmp_path, [sitl.url], FACTOR, env=env)
    await station.start()
    try:
        async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
            admin = bearer(await login(client, *ADMIN))
            ids = await accept_and_enrol(client, admin, [1], limit_s=60 * FACTOR, enrol=False)
        yield station, ids[1]
    finally:
        await station.stop()


@pytest.mark.parametrize("autopilot", ["simulator", "sitl"])
async def test_an_incident_packet_carries_the_drones_tlog_slice(tmp_path, request, autopilot):
    """With link.tlog on, the packet holds the drone's frames around the incident; it verifies
    with the key the admin reads from the API, and the export is in the audit log."""
    if autopilot == "sitl":
        running = sitl_station(tmp_path, request.getfixturevalue("sitl_factory"))
    else:
        running = simulator_station(tmp_path)
    async with (
        running as (station, vehicle_id),
        httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client,
    ):
        admin = bearer(await login(client, *ADMIN))
        body: dict[str, Any] = {"username": "officer1", "password": PASSWORD, "role": "officer"}
        assert (await client.post("/api/users", json=body, headers=admin)).is_success
        officer = bearer(await login(client, "officer1"))
        await asyncio.sleep(2 * FACTOR)  # a couple of seconds of telemetry
        incident = {"type": "illegal_fishing", "lat_deg": 29.05, "lon_deg": 119.18,
                    "vehicle_id": vehicle_id}  # fmt: skip
        r = await client.post("/api/incidents", json=incident, headers=officer)
        assert r.status_code == 201, r.text
        await asyncio.sleep(1 * FACTOR)
        url = f"/api/incidents/{r.json()['id']}/evidence"
        packet = await client.post(url, headers=officer)
        assert packet.status_code == 200, packet.text
        key = (await client.get("/api/evidence/key", headers=admin)).json()
        audit = (await client.get("/api/audit", headers=admin)).json()["data"]
    public = load_public_pem(key["public_key_pem"].encode())
    report = verify_packet(io.BytesIO(packet.content), public)
    assert report.ok, report.problems
    [tlog] = [f["path"] for f in report.manifest["files"] if f["path"].startswith("tlog/")]
    with zipfile.ZipFile(io.BytesIO(packet.content)) as zf:
        (tmp_path / "slice.tlog").write_bytes(zf.read(tlog))
    assert len(list(read_tlog(tmp_path / "slice.tlog"))) > 10
    assert any(e["command"] == "evidence.export" and e["username"] == "officer1" for e in audit)
