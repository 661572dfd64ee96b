"""End-to-end live stream: N vehicles at 10 Hz into the service, M websocket viewers, some slow.

    .venv/bin/python bench/live.py [--vehicles 100] [--viewers 50] [--slow 5] [--rate 10]
                                   [--seconds 15] [--warmup 8] [--client-procs 2]
                                   [--max-rate 10]

Starts ``ecopatrol serve`` as a subprocess on a throwaway store with a MAVLink ``udpin`` endpoint.
One process plays the vehicles: HEARTBEAT at 1 Hz and GLOBAL_POSITION_INT at ``--rate`` from
every system id, all from one UDP socket, the fleet spread over the period in 10 slices (real
drones are not synchronised). Its send time (``time.monotonic()`` in ms, modulo
100 s; the clock is system-wide on Linux) is written into the longitude's last digits (1e-7
degree each, a 1 km band), so a viewer reads the latency straight from each ``vehicle.frame``.
``--client-procs`` processes run the viewers (the bench's own JSON parsing would otherwise be
the bottleneck); slow viewers sleep 0.2 s per message. Prints, for the measured window: p50 /
p99 / max latency vehicle send -> viewer receive (fast viewers only), messages per second in
and out, the service's CPU (share of one core) and resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

LON0_E7 = 1191800000
LAT0_E7 = 290500000
WRAP_MS = 100_000
SLOW_SLEEP_S = 0.2
GROUPS = 10


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- vehicles ------------------------------------------------------------------------------------


def vehicles_main(port: int, n: int, rate: float, stop_at: float, out: Any) -> None:
    asyncio.run(_vehicles(port, n, rate, stop_at, out))


async def _vehicles(port: int, n: int, rate: float, stop_at: float, out: Any) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    addr = ("127.0.0.1", port)
    links = []
    for sysid in range(1, n + 1):
        mav = mavlink2.MAVLink(None, srcSystem=sysid, srcComponent=1)
        links.append(mav)
    sent = 0
    period = 1.0 / rate
    next_at = time.monotonic()
    tick = 0
    # real drones are not synchronised: spread the fleet over the period in GROUPS slices
    groups = [links[g::GROUPS] for g in range(GROUPS)]
    while time.monotonic() < stop_at:
        for g, group in enumerate(groups):
            now_ms = int(time.monotonic() * 1000) % WRAP_MS
            for mav in group:
                k = mav.srcSystem - 1
                if tick % max(1, round(rate)) == 0:
                    hb = mav.heartbeat_encode(2, 3, 217, 3, 4)  # quad, ArduPilot, armed, AUTO
                    sock.sendto(hb.pack(mav), addr)
                lat = LAT0_E7 + k * 1000
                lon = LON0_E7 + now_ms
                pos = mav.global_position_int_encode(
                    now_ms, lat, lon, 60000, 30000, 500, 0, 0, 9000
                )
                sock.sendto(pos.pack(mav), addr)
                sent += 1
            slot_at = next_at + (g + 1) * period / GROUPS
            await asyncio.sleep(max(0.0, slot_at - time.monotonic()))
        tick += 1
        next_at += period
    sock.close()
    out.put(("vehicles", sent))


# --- viewers -------------------------------------------------------------------------------------

_LON = b'"lon_deg":'


def _lon_deg(raw: bytes | str) -> float | None:
    """The longitude of a ``vehicle.frame`` message, None for other messages.

    >>> _lon_deg(b'{"v":1,"type":"vehicle.frame","data":{"lon_deg":119.18,"x":1}}')
    119.18
    """
    data = raw if isinstance(raw, bytes) else raw.encode()
    if b'"type":"vehicle.frame"' not in data:
        return None
    at = data.find(_LON)
    if at < 0:
        return None
    end = data.find(b",", at)
    text = data[at + len(_LON) : end]
    return None if text == b"null" else float(text)


def viewers_main(
    url: str, fast: int, slow: int, start_at: float, stop_at: float, deflate: bool, out: Any
) -> None:
    asyncio.run(_viewers(url, fast, slow, start_at, stop_at, deflate, out))


async def _viewers(
    url: str, fast: int, slow: int, start_at: float, stop_at: float, deflate: bool, out: Any
) -> None:
    latencies: list[float] = []
    counts = {"fast": 0, "slow": 0, "closed": 0}

    async def viewer(is_slow: bool) -> None:
        try:
            compression = "deflate" if deflate else None
            async with websockets.connect(url, max_queue=None, compression=compression) as ws:
                await ws.recv()  # snapshot
                while True:
                    remaining = stop_at - time.monotonic()
                    if remaining <= 0:
                        return
                    async with asyncio.timeout(remaining):
                        raw = await ws.recv(decode=False)
                    now = time.monotonic()
                    if now < start_at:
                        continue
                    if is_slow:
                        counts["slow"] += 1
                        await asyncio.sleep(SLOW_SLEEP_S)
                        continue
                    counts["fast"] += 1
                    lon = _lon_deg(raw)  # a string search: json.loads would dominate the bench
                    if lon is None:
                        continue
                    sent_ms = round(lon * 1e7) - LON0_E7
                    lat_ms = (int(now * 1000) - sent_ms) % WRAP_MS
                    latencies.append(lat_ms / 1000.0)
        except TimeoutError:
            return
        except websockets.ConnectionClosed:
            counts["closed"] += 1

    await asyncio.gather(*(viewer(i < slow) for i in range(fast + slow)))
    out.put(("viewers", latencies, counts))


# --- the service ---------------------------------------------------------------------------------


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _start_service(
    workdir: Path, http_port: int, mav_port: int, max_rate_hz: float
) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env.update(
        ECOPATROL_ADMIN_USERNAME="bench",
        ECOPATROL_ADMIN_PASSWORD="bench-password",
        ECOPATROL_PASSWORD_HASH_PROFILE="cheapest",
        ECOPATROL_LIVE_MAX_RATE_HZ=str(max_rate_hz),
    )
    args = ["serve", "--db", f"sqlite:///{workdir / 'bench.db'}", "--port", str(http_port)]
    args += ["--data-dir", str(workdir / "data"), "--mavlink", f"udpin:127.0.0.1:{mav_port}"]
    with (workdir / "service.log").open("wb") as log:
        profile = (
            ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
            if os.environ.get("BENCH_PROFILE")
            else []
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *profile, "-m", "groundstation", *args, stdout=log, stderr=log, env=env
        )
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


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ecopatrol-bench-") as tmp:
        workdir = Path(tmp)
        http_port, mav_port = _free_port(), _free_port(socket.SOCK_DGRAM)
        proc = await _start_service(workdir, http_port, mav_port, args.max_rate)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client:
                r = await client.post(
                    "/api/auth/login", json={"username": "bench", "password": "bench-password"}
                )
                token = r.json()["access_token"]
            url = f"ws://127.0.0.1:{http_port}/ws/live?token={token}"
            ctx = mp.get_context("spawn")
            out = ctx.Queue()
            t0 = time.monotonic()
            start_at = t0 + args.warmup
            stop_at = start_at + args.seconds
            procs = [
                ctx.Process(
                    target=vehicles_main, args=(mav_port, args.vehicles, args.rate, stop_at, out)
                )
            ]
            fast = args.viewers - args.slow
            for k in range(args.client_procs):
                f = fast // args.client_procs + (1 if k < fast % args.client_procs else 0)
                s = args.slow // args.client_procs + (1 if k < args.slow % args.client_procs else 0)
                procs.append(
                    ctx.Process(
                        target=viewers_main, args=(url, f, s, start_at, stop_at, args.deflate, out)
                    )
                )
            for p in procs:
                p.start()
            await asyncio.sleep(max(0.0, start_at - time.monotonic()))
            cpu0, wall0 = _cpu_s(proc.pid), time.monotonic()
            rss = []
            while time.monotonic() < stop_at:
                rss.append(_rss_mb(proc.pid))
                await asyncio.sleep(1.0)
            cpu1, wall1 = _cpu_s(proc.pid), time.monotonic()
            results = [await asyncio.to_thread(out.get, True, 60) for _ in procs]
            for p in procs:
                p.join(timeout=10)
        finally:
            proc.send_signal(signal.SIGINT)  # a clean exit (and the profile, if any)
            await proc.wait()
    latencies: list[float] = []
    counts = {"fast": 0, "slow": 0, "closed": 0}
    sent = 0
    for item in results:
        if item[0] == "vehicles":
            sent = item[1]
        else:
            latencies += item[1]
            for key in counts:
                counts[key] += item[2][key]
    window = args.seconds
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    rows = [
        ("vehicles x rate", f"{args.vehicles} x {args.rate:g} Hz"),
        ("viewers (slow)", f"{args.viewers} ({args.slow})"),
        ("frames per vehicle per viewer", f"<= {args.max_rate:g} Hz"),
        ("permessage-deflate", "on" if args.deflate else "off"),
        ("position frames sent /s", f"{sent / (window + args.warmup):.0f}"),
        ("messages received /s, fast", f"{counts['fast'] / window:.0f}"),
        ("messages received /s, slow", f"{counts['slow'] / window:.0f}"),
        ("latency p50 (fast viewers)", f"{q[49] * 1000:.1f} ms"),
        ("latency p99 (fast viewers)", f"{q[98] * 1000:.1f} ms"),
        ("latency max", f"{latencies[-1] * 1000:.1f} ms" if latencies else "-"),
        ("viewers closed by the station", f"{counts['closed']}"),
        ("service CPU (one core = 100 %)", f"{100 * (cpu1 - cpu0) / (wall1 - wall0):.0f} %"),
        ("service memory (RSS, max)", f"{max(rss):.0f} MB" if rss else "-"),
    ]
    width = max(len(k) for k, _ in rows)
    print(
        f"bench/live.py: {window:g} s measured after {args.warmup:g} s warm-up, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    ok = latencies and q[98] < 0.1
    print(f"  target p99 < 100 ms for non-slow viewers: {'met' if ok else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=100)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--slow", type=int, default=5)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="viewers negotiate permessage-deflate (browsers do; costs CPU on both ends)",
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        default=10.0,
        help="frames per vehicle per viewer (live_max_rate_hz)",
    )
    args = parser.parse_args()
    if not 0 <= args.slow <= args.viewers or args.vehicles < 1 or args.vehicles > 250:
        parser.error("need 1..250 vehicles and 0 <= slow <= viewers")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
