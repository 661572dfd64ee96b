"""Accepting, enrolling and rotating a simulated drone's key with ``ecopatrol vehicles``.

The station service runs as a subprocess listening on UDP; one simulated drone sends to it.
The CLI talks to the station's API as the admin; the key the drone ends up with is the one
derived from the station key in the data dir and the generation the registry holds.
"""

from __future__ import annotations

import asyncio
import json
import stat

import httpx
import pytest
from typer.testing import CliRunner

from groundstation.cli.main import app as cli
from groundstation.link.signing import vehicle_key
from groundstation.signing_keys import KEY_FILE
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, PASSWORD, StationProcess, free_port
from tests.e2e.service.test_patrol_e2e import FACTOR, SPEEDUP, bearer, login

pytestmark = pytest.mark.e2e

runner = CliRunner()


async def _cli(station: StationProcess, *args: str) -> str:
    env = {"ECOPATROL_PASSWORD": ADMIN[1]}
    argv = ["vehicles", *args, "--url", station.url, "-u", ADMIN[0]]
    result = await asyncio.to_thread(runner.invoke, cli, argv, env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_cli_accepts_enrols_and_rotates_a_drone_key_kept_across_restarts(tmp_path):
    port = free_port()
    config = SimConfig(
        drones=1, listen=None, connect=f"udpout:127.0.0.1:{port}", speedup=SPEEDUP, seed=11
    )
    async with SimFleet(config) as sim:
        station = StationProcess(tmp_path, [f"udpin:127.0.0.1:{port}"], FACTOR)
        await station.start()
        try:
            async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
                admin = bearer(await login(client, *ADMIN))
                key_path = tmp_path / "data" / KEY_FILE
                assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
                station_key = bytes.fromhex(key_path.read_text().strip())

                async with asyncio.timeout(20 * FACTOR):
                    while "system 1:" not in await _cli(station, "heard"):  # noqa: ASYNC110
                        await asyncio.sleep(0.3)
                assert (await client.get("/api/vehicles", headers=admin)).json()["count"] == 0

                body = {"username": "officer1", "password": PASSWORD, "role": "officer"}
                assert (
                    await client.post("/api/users", json=body, headers=admin)
                ).status_code == 201
                officer = bearer(await login(client, "officer1"))
                r = await client.post("/api/vehicles/heard/1/accept", json={}, headers=officer)
                assert r.status_code == 403
                r = await client.post("/api/vehicles/heard/1/accept", json={}, headers=admin)
                assert (
                    r.status_code == 422
                )  # the key would travel in clear: say the link is trusted
                assert "link_trusted" in r.json()["detail"]
                r = await client.post("/api/vehicles/heard/99/accept", json={}, headers=admin)
                assert r.status_code == 404

                row = json.loads(await _cli(station, "accept", "1", "--name", "heron-1",
                                            "--link-trusted"))  # fmt: skip
                assert row["signing_generation"] == 1
                assert sim.vehicles[1].signing.key == vehicle_key(station_key, 1, 1)
                row = json.loads(await _cli(station, "rotate", str(row["id"]), "--link-trusted"))
                assert row["signing_generation"] == 2
                assert sim.vehicles[1].signing.key == vehicle_key(station_key, 1, 2)
                vid = row["id"]
                r = await client.post(f"/api/vehicles/{vid}/commands/arm", headers=admin)
                assert r.status_code == 200, r.text
                link = json.loads(await _cli(station, "link", str(vid)))
                assert link["security"]["signed"] is True
                assert link["security"]["held"] is False

                audit = (await client.get("/api/audit", headers=admin)).json()["data"]
                done = [(e["command"], e["result"]) for e in audit if e["vehicle_sysid"] == 1]
                assert ("vehicle.accept", "accepted") in done
                assert ("signing.enrol", "accepted") in done
                assert ("signing.rotate", "accepted") in done

            await station.stop()  # the generation is in the store, the key in the data dir
            await station.start()
            async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
                admin = bearer(await login(client, *ADMIN))
                async with asyncio.timeout(20 * FACTOR):
                    while True:
                        r = await client.get(f"/api/vehicles/{vid}/link", headers=admin)
                        if r.json()["heard"]:
                            break
                        await asyncio.sleep(0.2)
                r = await client.post(f"/api/vehicles/{vid}/commands/disarm", headers=admin)
                assert r.status_code == 200, r.text
                assert not sim.vehicles[1].state.armed
                link = (await client.get(f"/api/vehicles/{vid}/link", headers=admin)).json()
                assert link["security"]["dropped"]["total"] == 0
        finally:
            await station.stop()
