"""End-to-end live stream: N vehicles at 10 Hz into the service, M websocket viewers, some slow.

    .venv/bin/python bench/live.py [--vehicles 100] [--viewers 50] [--slow 5] [--rate 10]
                                   [--seconds 15] [--warmup 8] [--client-procs 2]
                                   [--max-rate 10] [--deflate] [--links 1] [--target-ms 100]

The county case (issue 21): 250 vehicles x 4 Hz over two links = the frames per second of
500 x 2 Hz, which one station cannot hold as 500 distinct vehicles (see ``MAX_VEHICLES``):

    .venv/bin/python bench/live.py --vehicles 250 --rate 4 --links 2 \
        --target-ms 250

Starts ``ecopatrol serve`` as a subprocess on a throwaway store with ``--links`` MAVLink
``udpin`` endpoints. One process per link plays its share of the vehicles: HEARTBEAT at 1 Hz
and GLOBAL_POSITION_INT at ``--rate`` from every system id, all from one UDP socket per link,
the fleet spread over the period in 10 slices (real drones are not synchronised). Its send time
(``time.monotonic()`` in ms, modulo 100 s; the clock is system-wide on Linux) is written into
the longitude's last digits (1e-7 degree each, a 1 km band), so a viewer reads the latency
straight from each vehicle frame (a ``vehicle.frame`` or each entry of a ``vehicle.frames``
batch).

``--client-procs`` processes run the viewers: bare websocket clients that frame by hand and find
the longitude with a byte search (the websockets library and json.loads in the viewers would
otherwise be the bottleneck on a small machine; ``--deflate`` uses the library instead, with
permessage-deflate as browsers negotiate it). Slow viewers read one chunk every 0.2 s.

Prints, for the measured window: p50 / p99 / max latency vehicle send -> viewer receive (fast
viewers only), messages per second in and out, the service's CPU (share of one core) and its
resident memory, and the machine's load average (other work on it skews every figure).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import multiprocessing as mp
import os
import re
import signal
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from pymavlink.dialects.v20 import ardupilotmega as mavlink2
from station_process import UNSIGNED_FLEET, register_vehicles, start_service

LON0_E7 = 1191800000
LAT0_E7 = 290500000
WRAP_MS = 100_000
SLOW_SLEEP_S = 0.2
GROUPS = 10
MAX_VEHICLES = 254  # MAVLink system ids 1..254 (255 is the station's)


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- vehicles ------------------------------------------------------------------------------------


def vehicles_main(port: int, sysids: range, rate: float, stop_at: float, out: Any) -> None:
    asyncio.run(_vehicles(port, sysids, rate, stop_at, out))


async def _vehicles(port: int, sysids: range, rate: float, stop_at: float, out: Any) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    addr = ("127.0.0.1", port)
    links = []
    for sysid in sysids:
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
                lat = LAT0_E7 + k * 1000
                if tick % max(1, round(rate)) == 0:
                    hb = mav.heartbeat_encode(2, 3, 217, 3, 4)  # quad, ArduPilot, armed, AUTO
                    sock.sendto(hb.pack(mav), addr)
                    # a healthy fleet: a 3D fix, or the safety watch raises an alert per vehicle
                    gps = mav.gps_raw_int_encode(0, 3, lat, LON0_E7, 60000, 80, 120, 500, 0, 14)
                    sock.sendto(gps.pack(mav), addr)
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

_LON = re.compile(rb'"lon_deg":(null|[-+0-9.eE]+)')


def _lons_deg(raw: bytes | str) -> list[float]:
    """The longitudes of a ``vehicle.frame`` or ``vehicle.frames`` message, [] for others.

    >>> _lons_deg(b'{"v":1,"type":"vehicle.frame","data":{"lon_deg":119.18,"x":1}}')
    [119.18]
    >>> _lons_deg(b'{"type":"vehicle.frames","data":[{"lon_deg":1.5,"a":1},{"lon_deg":null}]}')
    [1.5]
    """
    data = raw if isinstance(raw, bytes) else raw.encode()
    if b'"type":"vehicle.frame' not in data:
        return []
    return [float(m[1]) for m in _LON.finditer(data) if m[1] != b"null"]


def viewers_main(
    url: str, fast: int, slow: int, start_at: float, stop_at: float, deflate: bool, out: Any
) -> None:
    if deflate:
        asyncio.run(_viewers(url, fast, slow, start_at, stop_at, deflate, out))
    else:
        asyncio.run(_raw_viewers(url, fast, slow, start_at, stop_at, out))


class _RawViewer(asyncio.Protocol):
    """A bare websocket client (RFC 6455 framing by hand, no extensions) so the bench's own
    per-message cost stays far below the service's; a slow one reads a chunk every 0.2 s."""

    def __init__(self, path: str, host: str, slow: bool, sink: _Sink) -> None:
        self.path, self.host, self.slow, self.sink = path, host, slow, sink
        self.buf = bytearray()
        self.open = False
        self.snapshot_seen = False
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(f"websocket refused: {bytes(buf[:80])!r}")
            del buf[: end + 4]
            self.open = True
        pos = 0
        while len(buf) - pos >= 2:
            opcode, n, off = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, off = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, off = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if len(buf) - pos < off + n:
                break
            payload = bytes(buf[pos + off : pos + off + n])
            pos += off + n
            if opcode == 1:
                if self.snapshot_seen:
                    self.sink.text(payload, now, self.slow)
                self.snapshot_seen = True
            elif opcode == 9 and self.transport is not None:  # ping: a masked pong
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
            elif opcode == 8:
                self.sink.counts["closed"] += 1
                why = f"closed: {payload[2:].decode(errors='replace') or '?'}"  # (after the code)
                self.sink.counts[why] = self.sink.counts.get(why, 0) + 1
        del buf[:pos]
        if self.slow and self.transport is not None:
            self.transport.pause_reading()
            asyncio.get_running_loop().call_later(SLOW_SLEEP_S, self.transport.resume_reading)


class _Sink:
    def __init__(self, start_at: float) -> None:
        self.start_at = start_at
        self.latencies: list[float] = []
        self.counts = {"fast": 0, "frames": 0, "slow": 0, "closed": 0}

    def text(self, payload: bytes, now: float, slow: bool) -> None:
        if now < self.start_at:
            return
        if slow:
            self.counts["slow"] += 1
            return
        self.counts["fast"] += 1
        for lon in _lons_deg(payload):
            self.counts["frames"] += 1
            sent_ms = round(lon * 1e7) - LON0_E7
            self.latencies.append(((int(now * 1000) - sent_ms) % WRAP_MS) / 1000.0)


async def _raw_viewers(
    url: str, fast: int, slow: int, start_at: float, stop_at: float, out: Any
) -> None:
    rest = url.removeprefix("ws://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    sink = _Sink(start_at)
    loop = asyncio.get_running_loop()
    viewers = []
    for i in range(fast + slow):
        _, proto = await loop.create_connection(
            functools.partial(_RawViewer, "/" + path, hostport, i < slow, sink), host, int(port)
        )
        viewers.append(proto)
    await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
    for v in viewers:
        if v.transport is not None:
            v.transport.close()
    out.put(("viewers", sink.latencies, sink.counts))


async def _viewers(
    url: str, fast: int, slow: int, start_at: float, stop_at: float, deflate: bool, out: Any
) -> None:
    latencies: list[float] = []
    counts = {"fast": 0, "frames": 0, "slow": 0, "closed": 0}

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
                    # a string search: json.loads would dominate the bench
                    for lon in _lons_deg(raw):
                        counts["frames"] += 1
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
    workdir: Path, http_port: int, mav_ports: list[int], max_rate_hz: float
) -> asyncio.subprocess.Process:
    env = {
        "ECOPATROL_ADMIN_USERNAME": "bench",
        "ECOPATROL_ADMIN_PASSWORD": "bench-password",
        "ECOPATROL_PASSWORD_HASH_PROFILE": "cheapest",
        "ECOPATROL_LIVE_MAX_RATE_HZ": str(max_rate_hz),
        **UNSIGNED_FLEET,
    }
    links = [arg for port in mav_ports for arg in ("--mavlink", f"udpin:127.0.0.1:{port}")]
    return await start_service(workdir, http_port, env, links)


def split_fleet(vehicles: int, links: int) -> list[range]:
    """System ids 1..``vehicles`` in ``links`` consecutive runs, as even as can be.

    >>> split_fleet(5, 2)
    [range(1, 4), range(4, 6)]
    """
    base, extra = divmod(vehicles, links)
    runs, first = [], 1
    for k in range(links):
        n = base + (1 if k < extra else 0)
        runs.append(range(first, first + n))
        first += n
    return runs


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ecopatrol-bench-") as tmp:
        workdir = Path(tmp)
        http_port = _free_port()
        mav_ports = [_free_port(socket.SOCK_DGRAM) for _ in range(args.links)]
        proc = await _start_service(workdir, http_port, mav_ports, args.max_rate)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client:
                r = await client.post(
                    "/api/auth/login", json={"username": "bench", "password": "bench-password"}
                )
                token = r.json()["access_token"]
                await register_vehicles(client, token, range(1, args.vehicles + 1))
            url = f"ws://127.0.0.1:{http_port}/ws/live?token={token}"
            ctx = mp.get_context("spawn")
            out = ctx.Queue()
            t0 = time.monotonic()
            start_at = t0 + args.warmup
            stop_at = start_at + args.seconds
            procs = [
                ctx.Process(target=vehicles_main, args=(port, run, args.rate, stop_at, out))
                for port, run in zip(mav_ports, split_fleet(args.vehicles, args.links), strict=True)
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
    counts = {"fast": 0, "frames": 0, "slow": 0, "closed": 0}
    sent = 0
    for item in results:
        if item[0] == "vehicles":
            sent += item[1]
        else:
            latencies += item[1]
            for key, value in item[2].items():
                counts[key] = counts.get(key, 0) + value
    window = args.seconds
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    rows = [
        ("vehicles x rate", f"{args.vehicles} x {args.rate:g} Hz"),
        ("MAVLink links (udpin ports)", f"{args.links}"),
        ("viewers (slow)", f"{args.viewers} ({args.slow})"),
        ("frames per vehicle per viewer", f"<= {args.max_rate:g} Hz"),
        ("permessage-deflate", "on" if args.deflate else "off"),
        ("position frames sent /s", f"{sent / (window + args.warmup):.0f}"),
        ("messages received /s, fast", f"{counts['fast'] / window:.0f}"),
        ("vehicle frames received /s, fast", f"{counts['frames'] / window:.0f}"),
        ("messages received /s, slow", f"{counts['slow'] / window:.0f}"),
        ("latency p50 (fast viewers)", f"{q[49] * 1000:.1f} ms"),
        ("latency p99 (fast viewers)", f"{q[98] * 1000:.1f} ms"),
        ("latency max", f"{latencies[-1] * 1000:.1f} ms" if latencies else "-"),
        ("viewers closed by the station", f"{counts['closed']}"),
        *((f"  {key}", f"{value}") for key, value in counts.items() if key.startswith("closed:")),
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
    ok = latencies and q[98] < args.target_ms / 1000
    # (the latencies are the surviving viewers' own: a viewer the station closed is a failure
    # too, beyond the slow ones it may drop)
    dropped = counts["closed"] > args.slow
    verdict = "met" if ok and not dropped else "NOT met"
    why = f" ({counts['closed']} viewers closed, {args.slow} slow)" if dropped else ""
    print(f"  target p99 < {args.target_ms:g} ms for non-slow viewers: {verdict}{why}")


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
        "--links",
        type=int,
        default=1,
        help="MAVLink udpin ports the station listens on; the fleet is split across them,"
        " one sender process per link",
    )
    parser.add_argument("--target-ms", type=float, default=100.0, help="p99 target for verdict")
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="library viewers with permessage-deflate (as browsers); costs CPU on both ends",
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        default=10.0,
        help="frames per vehicle per viewer (live_max_rate_hz)",
    )
    args = parser.parse_args()
    if not 0 <= args.slow <= args.viewers or args.vehicles < 1 or args.links < 1:
        parser.error("need at least 1 vehicle and 1 link, and 0 <= slow <= viewers")
    if args.vehicles > MAX_VEHICLES:
        parser.error(
            f"{args.vehicles} vehicles: one station holds at most {MAX_VEHICLES}, whatever its"
            " links: it knows a vehicle by its MAVLink system id alone (the registry's unique"
            " sysid 1..254, the link Fleet's vehicles by sysid, the live page's vehicle key), so"
            " a second link carrying sysid 1 is the same vehicle 1. A 500-vehicle fleet needs"
            " two stations (and a centre), or --rate x2 on 250 for the same frames per second."
        )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
