"""``ecopatrol serve`` as a subprocess for the benches: a throwaway store, ready when it answers.

Set ``BENCH_PROFILE=FILE`` to run the service under cProfile (written to FILE at exit).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx


async def start_service(
    workdir: Path, http_port: int, env: dict[str, str], extra_args: list[str] | None = None
) -> asyncio.subprocess.Process:
    """Start the station on `http_port` with its store in `workdir` and `env` added to the
    environment; return once ``/openapi.json`` answers (its log is ``workdir/service.log``)."""
    full_env = {**os.environ, **env}
    args = ["serve", "--db", f"sqlite:///{workdir / 'bench.db'}", "--port", str(http_port)]
    args += ["--data-dir", str(workdir / "data"), *(extra_args or [])]
    profile = os.environ.get("BENCH_PROFILE")
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    with (workdir / "service.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *profiling, "-m", "groundstation", *args,
            stdout=log, stderr=log, env=full_env,
        )  # fmt: skip
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client:
        async with asyncio.timeout(60):
            while True:
                if proc.returncode is not None:
                    raise SystemExit((workdir / "service.log").read_text()[-3000:])
                try:
                    if (await client.get("/openapi.json")).status_code == 200:
                        return proc
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)


#: The benches' vehicles are plain pymavlink senders: they cannot sign, so the station runs them
#: as an explicitly unsigned fleet, and each is registered (accepted) before it is heard.
UNSIGNED_FLEET = {"ECOPATROL_LINK__REQUIRE_SIGNING": "false"}


async def register_vehicles(client: httpx.AsyncClient, token: str, sysids: range) -> None:
    """Put system ids `sysids` in the station's registry, so their frames are accepted."""
    headers = {"Authorization": f"Bearer {token}"}
    for sysid in sysids:
        r = await client.post(
            "/api/vehicles", json={"sysid": sysid, "name": f"bench-{sysid}"}, headers=headers
        )
        if r.status_code != 201:
            raise SystemExit(f"could not register vehicle {sysid}: {r.status_code} {r.text[:200]}")
