"""The station service as a subprocess (``python -m groundstation serve``) for end-to-end tests.

A real uvicorn on a loopback port with the ``websockets`` implementation, a SQLite file and a
data directory that outlive the process, so a test can kill it (SIGKILL, no clean shutdown) and
start it again on the same store.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx

ADMIN = ("root", "admin-password")
PASSWORD = "reed-kingfisher-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def accept_and_enrol(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    sysids: list[int],
    limit_s: float = 30,
    enrol: bool = True,
) -> dict[int, int]:
    """As a pilot does: wait until each system is heard on the link, accept it and enrol it for
    MAVLink signing (the tests' loopback is a trusted link; ``enrol`` False: an unsigned fleet).
    Returns sysid -> vehicle id."""
    ids: dict[int, int] = {}
    async with asyncio.timeout(limit_s):
        while len(ids) < len(sysids):
            r = await client.get("/api/vehicles/heard", headers=headers)
            assert r.status_code == 200, r.text
            for seen in r.json()["data"]:
                if seen["sysid"] in sysids and seen["sysid"] not in ids:
                    r = await client.post(
                        f"/api/vehicles/heard/{seen['sysid']}/accept",
                        json={"link_trusted": True, "enrol": enrol},
                        headers=headers,
                    )
                    assert r.status_code == 201, r.text
                    assert r.json()["signing_generation"] == (1 if enrol else None)
                    ids[seen["sysid"]] = r.json()["id"]
            await asyncio.sleep(0.2)
    return ids


class PortTaken(RuntimeError):
    """The chosen port was taken between picking it and the service binding it."""


class StationProcess:
    def __init__(
        self,
        workdir: Path,
        mavlink: list[str],
        factor: float = 1.0,
        env: dict[str, str] | None = None,
        enrol: list[int] | None = None,
    ) -> None:
        self.workdir = workdir
        self.extra_env = env or {}
        self.mavlink = mavlink
        self.factor = factor
        self.enrol = enrol or []  # system ids to accept and enrol after the first start
        self.vehicle_ids: dict[int, int] = {}
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/live"

    async def start(self, attempts: int = 3) -> None:
        """Start the service; on a port taken meanwhile by another process, try a new one.
        The first time, accept and enrol the systems in ``enrol`` as the admin."""
        for attempt in range(attempts):
            try:
                await self._start_once()
                if self.enrol and not self.vehicle_ids:
                    await self._accept_and_enrol()
                return
            except PortTaken:
                if attempt == attempts - 1:
                    raise
                self.port = free_port()

    async def _start_once(self) -> None:
        self.starts += 1
        env = dict(os.environ)
        env.update(
            ECOPATROL_ADMIN_USERNAME=ADMIN[0],
            ECOPATROL_ADMIN_PASSWORD=ADMIN[1],
            ECOPATROL_PASSWORD_HASH_PROFILE="cheapest",
            ECOPATROL_LINK__LINK_LOST_S="3",
        )
        env.update(self.extra_env)
        args = [
            "serve",
            "--db",
            f"sqlite:///{self.workdir / 'station.db'}",
            "--port",
            str(self.port),
        ]
        args += ["--data-dir", str(self.workdir / "data")]
        for url in self.mavlink:
            args += ["--mavlink", url]
        with (self.workdir / f"service{self.starts}.log").open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "groundstation", *args, stdout=log, stderr=log, env=env
            )
        async with httpx.AsyncClient(base_url=self.url) as client:
            async with asyncio.timeout(60 * self.factor):
                while True:
                    if self.proc.returncode is not None:
                        text = self.log_text()
                        if "address already in use" in text:
                            raise PortTaken(text)
                        raise RuntimeError(f"service exited: {text}")
                    try:
                        r = await client.get("/openapi.json")
                        if r.status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)

    async def _accept_and_enrol(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30 * self.factor) as client:
            r = await client.post(
                "/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
            )
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            self.vehicle_ids = await accept_and_enrol(client, headers, self.enrol, 30 * self.factor)

    def log_text(self) -> str:
        return (self.workdir / f"service{self.starts}.log").read_text(errors="replace")[-4000:]

    async def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, nothing flushed: what a power cut does."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
