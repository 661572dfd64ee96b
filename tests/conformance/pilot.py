"""A pilot at the station service (a real ``ecopatrol serve`` subprocess) over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.conformance.backends import Vehicles
from tests.e2e.service.station import ADMIN, PASSWORD, StationProcess, accept_and_enrol
from tests.sitl import FACTOR

#: About 150 m x 150 m of water just south of the Longyou station, where both autopilots stand.
NEAR_STATION = {
    "type": "Polygon",
    "coordinates": [[[119.18100, 29.05050], [119.18254, 29.05050], [119.18254, 29.05185],
                     [119.18100, 29.05185], [119.18100, 29.05050]]],
}  # fmt: skip
TERMINAL = ("reported", "failed", "aborted")


class Pilot:
    def __init__(self, client: httpx.AsyncClient, station: StationProcess) -> None:
        self.client = client
        self.station = station
        self.headers: dict[str, str] = {}
        self.ids: dict[int, int] = {}

    async def login(self, sysids: list[int]) -> None:
        """An admin makes the pilot; the pilot accepts every vehicle heard (unsigned fleet)."""
        admin = await self._token(*ADMIN)
        body = {"username": "pilot1", "password": PASSWORD, "role": "pilot"}
        r = await self.client.post("/api/users", json=body, headers=admin)
        assert r.status_code == 201, r.text
        self.headers = await self._token("pilot1", PASSWORD)
        await accept_and_enrol(self.client, self.headers, sysids, 60 * FACTOR, enrol=False)
        async with asyncio.timeout(60 * FACTOR):
            while True:
                listed = (await self.client.get("/api/vehicles", headers=self.headers)).json()
                self.ids = {v["sysid"]: v["id"] for v in listed["data"]}
                if set(sysids) <= set(self.ids):
                    break
                await asyncio.sleep(0.3)

    async def _token(self, username: str, password: str) -> dict[str, str]:
        body = {"username": username, "password": password}
        r = await self.client.post("/api/auth/login", json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers)

    async def get(self, path: str) -> Any:
        r = await self.client.get(path, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    async def command(self, sysid: int, name: str, body: Any = None) -> httpx.Response:
        return await self.post(f"/api/vehicles/{self.ids[sysid]}/commands/{name}", body)

    async def plan(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "conformance", "kind": "coverage", "altitude_m": 30,
                "polygon": NEAR_STATION, "swath_width_m": 40, "speed_m_s": 10}  # fmt: skip
        body.update(fields)
        r = await self.post("/api/plans", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def start_patrol(self, plan: dict[str, Any], sysid: int) -> int:
        r = await self.post(
            "/api/patrols", {"plan_id": plan["id"], "vehicle_ids": [self.ids[sysid]]}
        )
        assert r.status_code == 201, r.text
        pid = int(r.json()["data"][0]["id"])
        r = await self.post(f"/api/patrols/{pid}/start")
        assert r.status_code == 202, r.text
        return pid

    async def patrol(self, pid: int) -> dict[str, Any]:
        return dict(await self.get(f"/api/patrols/{pid}"))

    async def until(
        self, pid: int, done: Callable[[dict[str, Any]], bool], timeout_s: float = 180
    ) -> dict[str, Any]:
        """Poll the patrol until ``done(detail)``; a terminal state that is not it fails."""
        async with asyncio.timeout(timeout_s * FACTOR):
            while True:
                detail = await self.patrol(pid)
                if done(detail):
                    return detail
                if detail["state"] in TERMINAL:
                    raise AssertionError(
                        f"patrol {pid} ended {detail['state']}: {detail['reason']}\n"
                        f"{self.station.log_text()}"
                    )
                await asyncio.sleep(0.3)

    async def vehicle_live(self, sysid: int) -> dict[str, Any]:
        return dict(await self.get(f"/api/vehicles/{self.ids[sysid]}/live"))


def state_is(*states: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d["state"] in states


def reached(seq: int) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d["state"] == "flying" and (d["last_item_reached"] or 0) >= seq


def states_of(detail: dict[str, Any]) -> list[str]:
    return [t["to_state"] for t in detail["transitions"]]


@contextlib.asynccontextmanager
async def station_pilot(workdir: Path, fleet: Vehicles) -> AsyncIterator[Pilot]:
    """``ecopatrol serve`` on every vehicle's TCP URL, and a logged-in pilot who sees them all."""
    # an unsigned fleet, explicitly: these scenarios are about the autopilot, and the harness
    # sets parameters unsigned on SERIAL2, which an enrolled ArduPilot ignores (as it should)
    env = {"ECOPATROL_LINK__REQUIRE_SIGNING": "false"}
    station = StationProcess(workdir, list(fleet.urls), FACTOR, env)
    await station.start()
    try:
        async with httpx.AsyncClient(base_url=station.url, timeout=60 * FACTOR) as client:
            pilot = Pilot(client, station)
            await pilot.login(fleet.sysids)
            yield pilot
    finally:
        await station.stop()
