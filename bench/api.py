"""Bounded concurrent load on the station's main read endpoints: requests/s, p50 and p99.

    .venv/bin/python bench/api.py [--clients 20] [--seconds 5] [--plans 3] [--area patrol_zone]

Starts ``ecopatrol serve`` as a subprocess on a throwaway store, signs in, stores ``--plans``
coverage plans of ``--area`` (whole-zone plans carry routes of ~150 KB each, which is what made the
plan list stall the server), then for each endpoint runs ``--clients`` concurrent clients for
``--seconds`` (after a one-second warm-up) and prints requests/s, p50 / p99 latency and errors.
Also timed while the plan list is under load: ``/api/me`` (does a heavy list stall the rest?).
Every figure shares the machine with the load generator (same process, one core at most): read
them as the station's floor on this machine, and quote the load average printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from station_process import start_service

ENDPOINTS = (
    "/api/me",
    "/api/vehicles",
    "/api/plans",
    "/api/sites/current",
    "/api/sites/current/layers/patrol_areas",
    "/api/freshness",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start_service(workdir: Path, port: int) -> asyncio.subprocess.Process:
    env = {
        "ECOPATROL_ADMIN_USERNAME": "bench",
        "ECOPATROL_ADMIN_PASSWORD": "load-test-7f3a-secret",
        "ECOPATROL_PASSWORD_HASH_PROFILE": "cheapest",
    }
    return await start_service(workdir, port, env)


async def _load(
    client: httpx.AsyncClient, path: str, clients: int, seconds: float
) -> tuple[int, list[float], int]:
    """(requests done in the window, their latencies in ms, errors)."""
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 1.0  # warm-up
    stop = start + seconds

    async def one() -> None:
        nonlocal errors
        while (now := loop.time()) < stop:
            try:
                r = await client.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            if now >= start:
                latencies.append((loop.time() - now) * 1000)
                errors += not ok

    await asyncio.gather(*(one() for _ in range(clients)))
    return len(latencies), latencies, errors


def _row(name: str, n: int, lat: list[float], errors: int, seconds: float) -> str:
    if not lat:
        return f"  {name:<44} no request finished"
    p50 = statistics.median(lat)
    p99 = statistics.quantiles(lat, n=100)[98] if len(lat) >= 2 else lat[0]
    return (
        f"  {name:<44} {n / seconds:7.0f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  err {errors}"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ecopatrol-bench-api-") as tmp:
        workdir, port = Path(tmp), _free_port()
        proc = await _start_service(workdir, port)
        try:
            limits = httpx.Limits(max_connections=args.clients * 2)
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
                r = await client.post(
                    "/api/auth/login",
                    json={"username": "bench", "password": "load-test-7f3a-secret"},
                )
                r.raise_for_status()
                client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
                t0 = time.perf_counter()
                sizes = []
                for n in range(args.plans):
                    body = {"name": f"bench {n}", "kind": "coverage", "area": args.area,
                            "altitude_m": 100, "swath_width_m": 150, "speed_m_s": 15,
                            "endurance_s": 3300, "max_items": 600}  # fmt: skip
                    made = await client.post("/api/plans", json=body)
                    if made.status_code != 201:
                        raise SystemExit(f"plan {n} refused: {made.text[:300]}")
                    sizes.append(len((await client.get(f"/api/plans/{made.json()['id']}")).content))
                plan_s = time.perf_counter() - t0
                print(
                    f"bench/api.py: {args.clients} clients x {args.seconds:g} s per endpoint, "
                    f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
                )
                if sizes:
                    print(
                        f"  {args.plans} plans of {args.area} stored in {plan_s:.1f} s; "
                        f"detail view {statistics.mean(sizes) / 1000:.0f} KB each"
                    )
                for path in ENDPOINTS:
                    n, lat, errors = await _load(client, path, args.clients, args.seconds)
                    print(_row(path, n, lat, errors, args.seconds))
                # one endpoint timed while another is loaded: does the plan list stall the rest?
                heavy = asyncio.create_task(_load(client, "/api/plans", args.clients, args.seconds))
                n, lat, errors = await _load(client, "/api/me", 2, args.seconds)
                await heavy
                print(
                    _row(
                        "/api/me (2 clients) while /api/plans loaded", n, lat, errors, args.seconds
                    )
                )
        finally:
            proc.terminate()
            await proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--plans", type=int, default=3)
    parser.add_argument("--area", default="patrol_zone")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
