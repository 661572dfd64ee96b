"""Do logins and the live stream wait on planning? Heavy plans running vs login and frame gaps.

    .venv/bin/python bench/planning_isolation.py [--plans 8] [--seconds 20] [--per-user 8]

Starts ``ecopatrol serve`` (throwaway store, a MAVLink ``udpin`` endpoint), one simulated drone
sending GLOBAL_POSITION_INT at 10 Hz from this process, one websocket viewer, and a login loop
(one login every 0.2 s, the station's real argon2 cost). It measures a quiet window, then a
window in which ``--plans`` heavy previews (the whole patrol zone at a 25 m swath) are posted at
once by one pilot (``--per-user``: how many the station lets one user run; the default of the
station is 2, the old attack was 8). Prints per window: login p50 / p99 / max, the longest gap
between two of the drone's frames at the viewer, and what the previews answered.
Before the planning workers (threads, shared GIL and thread pool): a login took 65 s and the
live stream stopped for 1.8 s with 8 heavy previews.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from pymavlink.dialects.v20 import ardupilotmega as mavlink2
from station_process import UNSIGNED_FLEET, register_vehicles, start_service

USER, PASSWORD = "bench", "isolation-bench-7f3a"
HEAVY = {"name": "zone", "kind": "coverage", "area": "patrol_zone", "altitude_m": 60,
         "swath_width_m": 25, "speed_m_s": 15, "endurance_s": 3300, "max_items": 650}  # fmt: skip


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start(
    workdir: Path, port: int, mav_port: int, per_user: int
) -> asyncio.subprocess.Process:
    env = {
        "ECOPATROL_ADMIN_USERNAME": USER,
        "ECOPATROL_ADMIN_PASSWORD": PASSWORD,
        "ECOPATROL_PLANNING__PER_USER": str(per_user),
        "ECOPATROL_LOGIN__FREE_FAILURES": "1000",
        **UNSIGNED_FLEET,
    }
    return await start_service(workdir, port, env, ["--mavlink", f"udpin:127.0.0.1:{mav_port}"])


async def _drone(mav_port: int, stop: asyncio.Event) -> None:
    """System 1: a heartbeat a second and a position at 10 Hz."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
    tick = 0
    while not stop.is_set():
        if tick % 10 == 0:
            sock.sendto(mav.heartbeat_encode(2, 3, 217, 3, 4).pack(mav), ("127.0.0.1", mav_port))
        msg = mav.global_position_int_encode(tick * 100, 290500000, 1191800000 + tick, 60000,
                                             30000, 500, 0, 0, 9000)  # fmt: skip
        sock.sendto(msg.pack(mav), ("127.0.0.1", mav_port))
        tick += 1
        await asyncio.sleep(0.1)
    sock.close()


async def _viewer(url: str, arrivals: list[float], stop: asyncio.Event) -> None:
    async with websockets.connect(url, max_queue=None) as ws:
        await ws.recv()  # snapshot
        while not stop.is_set():
            try:
                async with asyncio.timeout(0.5):
                    raw = await ws.recv(decode=False)
            except TimeoutError:
                continue
            if b'"type":"vehicle.frame' in raw and b'"sysid":1' in raw:
                arrivals.append(time.monotonic())


async def _logins(client: httpx.AsyncClient, out: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        t0 = time.monotonic()
        r = await client.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        if r.status_code == 200:
            out.append((time.monotonic() - t0) * 1000)
        await asyncio.sleep(0.2)


def _gap_ms(arrivals: list[float], start: float, stop: float) -> float:
    times = [t for t in arrivals if start <= t <= stop]
    return max((b - a for a, b in itertools.pairwise(times)), default=float("nan")) * 1000


def _line(name: str, logins: list[float], gap_ms: float) -> str:
    if len(logins) < 2:
        return f"  {name:<28} logins: {len(logins)} finished  frame gap max {gap_ms:7.0f} ms"
    p99 = statistics.quantiles(logins, n=100)[98]
    return (
        f"  {name:<28} login p50 {statistics.median(logins):6.0f} ms  p99 {p99:6.0f} ms  "
        f"max {max(logins):6.0f} ms  ({len(logins)})   frame gap max {gap_ms:6.0f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ecopatrol-bench-iso-") as tmp:
        workdir, port, mav_port = Path(tmp), _free_port(), _free_port(socket.SOCK_DGRAM)
        proc = await _start(workdir, port, mav_port, args.per_user)
        stop = asyncio.Event()
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=600) as client:
                r = await client.post(
                    "/api/auth/login", json={"username": USER, "password": PASSWORD}
                )
                headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
                await register_vehicles(client, r.json()["access_token"], range(1, 2))
                tasks = [asyncio.create_task(_drone(mav_port, stop))]
                await asyncio.sleep(2)  # the drone is heard
                arrivals: list[float] = []
                url = f"ws://127.0.0.1:{port}/ws/live?token={r.json()['access_token']}"
                tasks.append(asyncio.create_task(_viewer(url, arrivals, stop)))
                quiet: list[float] = []
                logins = asyncio.create_task(_logins(client, quiet, stop))
                t0 = time.monotonic()
                await asyncio.sleep(args.seconds / 2)
                t1 = time.monotonic()
                loaded_start = len(quiet)
                plans = [
                    asyncio.create_task(
                        client.post("/api/plans/preview", json=HEAVY, headers=headers)
                    )
                    for _ in range(args.plans)
                ]
                await asyncio.sleep(args.seconds)
                t2 = time.monotonic()
                stop.set()
                await logins
                answers: collections.Counter[str] = collections.Counter()
                for task in plans:
                    task.cancel()
                for result in await asyncio.gather(*plans, return_exceptions=True):
                    answers[getattr(result, "status_code", "still running")] += 1
                await asyncio.gather(*tasks, return_exceptions=True)
            print(
                f"bench/planning_isolation.py: {args.plans} heavy previews, per-user cap "
                f"{args.per_user}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
            )
            print(_line("quiet", quiet[:loaded_start], _gap_ms(arrivals, t0, t1)))
            print(_line("while planning", quiet[loaded_start:], _gap_ms(arrivals, t1, t2)))
            print(f"  previews answered (status: count) after {args.seconds:g} s: {dict(answers)}")
        finally:
            proc.terminate()
            await proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--per-user", type=int, default=8)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
