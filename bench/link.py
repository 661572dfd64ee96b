"""Link speed: decoding throughput and 600-item mission uploads, against the baselines.

    .venv/bin/python bench/link.py                 # everything (MAVProxy part takes minutes)
    .venv/bin/python bench/link.py --no-mavproxy   # decode + our uploads only

1. Decoding: the same recorded datagrams (100 vehicles' telemetry) through raw pymavlink
   ``parse_buffer``, through the station's :class:`Decoder`, and through the whole station path
   (decode, route to the vehicle, fold into state, link health). Prints messages per second on
   one core and the share of a core that 100 vehicles x 10 Hz need.
2. Uploads: a 600-item mission (ArduCopter holds 650) to one simulated vehicle
   (``python -m simulator`` in its own
   process, real time, loss both ways) at 0 % and 30 % loss: ecopatrol's link vs MAVProxy's
   ``wp load`` of the same ``.waypoints`` file to the same simulator.
3. Uploads under loss (``--lossy``): a 650-item mission (all ArduCopter holds) to ArduCopter
   SITL and to our simulator (each in real time, TCP), through a loopback proxy that drops
   whole MAVLink messages each way at 10 % and 30 % (``tests/lossy_proxy.py``; ArduPilot's own
   SIM_UART_LOSS drops bytes, one way). 20 runs per cell, p50/p95/max. Clients: the station's
   link; ``minimal``, a pymavlink client that only answers requests (as ArduPilot's autotest
   does: the vehicle's 1 s re-requests are its only recovery); MAVProxy's ``wp load``.

    ECOPATROL_SITL_BINARY=../shared/sitl/arducopter .venv/bin/python bench/link.py --lossy
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link import Fleet, LinkConfig
from groundstation.link.codec import Decoder, Encoder
from routes.mission import MissionItem
from tests.lossy_proxy import LossyProxy

HOME = (29.0525, 119.1818)


# --- 1. decoding -----------------------------------------------------------------------------


def recorded_datagrams(vehicles: int, seconds: int, seed: int = 1) -> list[bytes]:
    """Telemetry as a copter sends it: ~10 messages per vehicle-second, one per datagram."""
    rng = random.Random(seed)
    encoders = [Encoder(sysid, 1) for sysid in range(1, vehicles + 1)]
    out: list[bytes] = []
    for t in range(seconds * 10):
        for enc in encoders:
            m = enc.mav
            lat = round((HOME[0] + rng.uniform(-0.01, 0.01)) * 1e7)
            lon = round((HOME[1] + rng.uniform(-0.01, 0.01)) * 1e7)
            kind = t % 10
            if kind == 0:
                msg = m.heartbeat_encode(2, 3, 129, 3, 4)
            elif kind in (1, 4, 7):
                msg = m.global_position_int_encode(
                    t * 100, lat, lon, 50_000, 40_000, 300, 0, 0, 9000
                )
            elif kind in (2, 5, 8):
                msg = m.attitude_encode(t * 100, 0.01, -0.02, 1.5, 0, 0, 0)
            elif kind == 3:
                msg = m.sys_status_encode(0, 0, 0, 500, 12_100, 1000, 80, 0, 0, 0, 0, 0, 0)
            elif kind == 6:
                msg = m.gps_raw_int_encode(t * 1000, 3, lat, lon, 50_000, 100, 100, 500, 9000, 14)
            else:
                msg = m.vfr_hud_encode(5.0, 5.0, 90, 50, 40.0, 0.0)
            out.append(enc.encode(msg))
    return out


def bench_decode(vehicles: int = 100, seconds: int = 60) -> None:
    grams = recorded_datagrams(vehicles, seconds)
    n = len(grams)
    print(f"decode: {n} datagrams from {vehicles} vehicles ({sum(map(len, grams))} bytes)")

    raw = mavlink.MAVLink(None)
    raw.robust_parsing = True
    t0 = time.process_time()
    count = 0
    for g in grams:
        count += len(raw.parse_buffer(g) or ())
    raw_s = time.process_time() - t0

    dec = Decoder()
    t0 = time.process_time()
    for g in grams:
        dec.feed(g, datagram=True)
    dec_s = time.process_time() - t0

    fleet = Fleet([LinkConfig(url="udpin:127.0.0.1:0")])
    link = fleet.links[0]
    peer = ("127.0.0.1", 14555)
    t0 = time.process_time()
    for g in grams:
        link._on_data(g, peer, True)  # the transport's callback: decode + dispatch + state
    full_s = time.process_time() - t0
    assert count == n == dec.stats.frames, (count, n, dec.stats.frames)
    assert len(fleet.vehicles) == vehicles
    need = vehicles * 10
    print(f"  {'path':34} {'msg/s/core':>12} {'us/msg':>8} {f'core for {need} msg/s':>20}")
    for name, secs in [
        ("raw pymavlink parse_buffer", raw_s),
        ("station Decoder.feed", dec_s),
        ("station full path (decode+state)", full_s),
    ]:
        rate = n / secs
        print(f"  {name:34} {rate:12,.0f} {1e6 / rate:8.1f} {need / rate:19.1%}")
    print(f"  station overhead over raw decoding: decoder x{dec_s / raw_s:.2f}, "
          f"full path x{full_s / raw_s:.2f}")  # fmt: skip


# --- 2. uploads --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sim(port: int, loss_pct: float) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "simulator", "--drones", "1", "--listen",
           f"udpin:127.0.0.1:{port}", "--speedup", "1", "--seed", "1",
           "--packet-loss", str(loss_pct)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    return proc


def mission(n: int = 600) -> list[MissionItem]:
    lat, lon = round(HOME[0] * 1e7), round(HOME[1] * 1e7)
    items = [MissionItem(seq=0, frame=0, command=16, current=1, x=lat, y=lon, z=0)]
    items += [
        MissionItem(seq=i, frame=3, command=16, x=lat + 30 * i, y=lon + (i % 7) * 30, z=40.0)
        for i in range(1, n)
    ]
    return items


async def _ours(port: int, items: list[MissionItem]) -> tuple[float, float]:
    async with Fleet([LinkConfig(url=f"udpout:127.0.0.1:{port}")]) as fleet:
        (sysid,) = await fleet.wait_for_vehicles(1, timeout_s=20)
        v = fleet.vehicle(sysid)
        t0 = time.perf_counter()
        await v.upload_mission(items, verify=False)
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        got = await v.download_mission()
        down = time.perf_counter() - t0
        assert len(got) == len(items)
        return up, down


def ours(loss_pct: float, items: list[MissionItem]) -> tuple[float, float]:
    port = free_port()
    sim = start_sim(port, loss_pct)
    try:
        return asyncio.run(_ours(port, items))
    finally:
        sim.kill()
        sim.wait()


def mavproxy(loss_pct: float, items: list[MissionItem], limit_s: float) -> str:
    import pexpect

    from routes.formats import waypoints

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.waypoints"
        path.write_text(waypoints.dumps(items))
        port = free_port()
        sim = start_sim(port, loss_pct)
        cmd = (f"{Path(sys.executable).parent / 'mavproxy.py'} "
               f"--master=udpout:127.0.0.1:{port} --source-system=250 --nowait "
               f"--state-basedir={tmp} --logfile={tmp}/mav.tlog")  # fmt: skip
        child = pexpect.spawn(cmd, encoding="utf-8", timeout=30, cwd=tmp)
        try:
            child.expect(["online system", "Detected vehicle", "STABILIZE>"], timeout=30)
            time.sleep(2)
            child.sendline(f"wp load {path}")
            t0 = time.perf_counter()
            idx = child.expect([r"Loaded \d+ waypoints in ([0-9.]+)s", pexpect.TIMEOUT],
                               timeout=limit_s)  # fmt: skip
            if idx == 1:
                return f"did not finish in {limit_s:.0f} s"
            reported = float(child.match.group(1))
            return f"{reported:8.2f} s (wall {time.perf_counter() - t0:.2f} s)"
        finally:
            child.terminate(force=True)
            sim.kill()
            sim.wait()


def bench_uploads(with_mavproxy: bool, limit_s: float, losses: list[float]) -> None:
    items = mission(600)
    print("\nupload: 600-item mission, one simulated vehicle (own process, real time), loopback")
    for loss in losses:
        up, down = ours(loss, items)
        line = f"  loss {loss:4.0f} %  ecopatrol upload {up:8.2f} s (read back {down:.2f} s)"
        if with_mavproxy:
            line += f" | MAVProxy wp load {mavproxy(loss, items, limit_s)}"
        print(line, flush=True)


# --- 3. lossy uploads to the real autopilot and to ours ---------------------------------------


def _items_file(items: list[MissionItem], folder: Path) -> Path:
    from routes.formats import waypoints

    path = folder / f"m{len(items)}.waypoints"
    path.write_text(waypoints.dumps(items))
    return path


async def _station_upload(port: int, items: list[MissionItem], limit_s: float) -> float:
    async with Fleet([LinkConfig(url=f"tcp:127.0.0.1:{port}")]) as fleet:
        (sysid,) = await fleet.wait_for_vehicles(1, timeout_s=20)
        t0 = time.perf_counter()
        async with asyncio.timeout(limit_s):
            await fleet.vehicle(sysid).upload_mission(items, verify=False)
        return time.perf_counter() - t0


def _minimal_upload(port: int, items: list[MissionItem], limit_s: float) -> float:
    """The least a GCS can do: count, then answer whatever is requested, until the ACK."""
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(f"tcp:127.0.0.1:{port}", source_system=250)
    try:
        conn.wait_heartbeat(timeout=20)
        target = conn.target_system
        t0 = time.perf_counter()
        conn.mav.mission_count_send(target, 1, len(items), 0)
        last = time.perf_counter()
        while time.perf_counter() - t0 < limit_s:
            msg = conn.recv_match(type=["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"],
                                  blocking=True, timeout=1)  # fmt: skip
            if msg is None:
                if time.perf_counter() - last > 2:  # (nothing asked: the count was lost)
                    conn.mav.mission_count_send(target, 1, len(items), 0)
                    last = time.perf_counter()
                continue
            last = time.perf_counter()
            if msg.get_type() == "MISSION_ACK":
                if msg.type == 0:
                    return time.perf_counter() - t0
                continue  # (INVALID_SEQUENCE for a duplicate: the upload goes on)
            i = items[msg.seq]
            conn.mav.mission_item_int_send(target, 1, i.seq, i.frame, i.command, i.current,
                                           i.autocontinue, i.param1, i.param2, i.param3, i.param4,
                                           i.x, i.y, i.z, 0)  # fmt: skip
        raise TimeoutError
    finally:
        conn.close()


def _mavproxy_upload(port: int, path: Path, limit_s: float, tmp: Path) -> float:
    import pexpect

    cmd = (f"{Path(sys.executable).parent / 'mavproxy.py'} --master=tcp:127.0.0.1:{port} "
           f"--source-system=250 --default-modules=wp,mode --state-basedir={tmp} "
           f"--logfile={tmp}/mav.tlog")  # fmt: skip
    child = pexpect.spawn(cmd, encoding="utf-8", timeout=30, cwd=tmp)
    try:
        child.expect(["Detected vehicle", "online system", ">"], timeout=30)
        time.sleep(1)
        child.sendline(f"wp load {path}")
        t0 = time.perf_counter()
        idx = child.expect([r"Loaded \d+ waypoints in ([0-9.]+)s", r"MISSION_ACK: TYPE_MISSION: "
                            r"ACCEPTED", pexpect.TIMEOUT], timeout=limit_s)  # fmt: skip
        if idx == 2:
            raise TimeoutError
        return time.perf_counter() - t0
    finally:
        child.terminate(force=True)


@contextlib.contextmanager
def _autopilot(backend: str, tmp: Path) -> Iterator[tuple[str, int]]:
    """ArduCopter SITL (booted at 10x, then real time) or our simulator (real time), on TCP."""
    if backend == "sitl":
        from tests.sitl import Sitl, sitl_binary

        sitl = Sitl(tmp / "sitl", speedup=10, binary=sitl_binary())
        sitl.start()
        try:
            sitl.set_params({"SIM_SPEEDUP": 1})
            yield "127.0.0.1", sitl.port
        finally:
            sitl.stop()
        return
    port = free_port()
    cmd = [sys.executable, "-m", "simulator", "--drones", "1", "--listen",
           f"tcpin:127.0.0.1:{port}", "--speedup", "1", "--seed", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        yield "127.0.0.1", port
    finally:
        proc.kill()
        proc.wait()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_lossy(backends: list[str], clients: list[str], size: int, losses: list[float],
                tries: int, limit_s: float) -> None:  # fmt: skip
    """``tries`` uploads of ``size`` items per loss and client; p50, p95, max and failures."""
    print(f"\nupload of {size} items through a proxy dropping whole messages each way, "
          f"{tries} runs per cell, wall seconds (a failure counts as {limit_s:.0f} s)")  # fmt: skip
    print(f"  {'autopilot':9} {'loss':>5} {'client':16} {'p50':>7} {'p95':>7} {'max':>7} "
          f"{'failed':>6}", flush=True)  # fmt: skip
    items = mission(size)
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp_text:
            tmp = Path(tmp_text)
            path = _items_file(items, tmp)
            with _autopilot(backend, tmp) as target:
                for loss in losses:
                    for name in clients:
                        times: list[float] = []
                        failures = 0
                        for attempt in range(tries):
                            proxy = LossyProxy(target, loss / 100, seed=attempt + 1)
                            try:
                                times.append(_one(name, proxy, items, path, limit_s, tmp))
                            except Exception as exc:  # (a failed upload is a figure too)
                                failures += 1
                                times.append(limit_s)
                                print(f"    ({backend} {name} {loss:.0f} %: {exc!r})", flush=True)
                            # ArduPilot refuses transfers for seconds after an abandoned one
                            time.sleep(10 if failures else 1)
                        p50, p95 = _percentile(times, 0.5), _percentile(times, 0.95)
                        verdict = ""
                        if name == "station" and loss == 30:
                            verdict = "  target p95 < 15 s: " + ("met" if p95 < 15 else "NOT met")
                        print(f"  {backend:9} {loss:4.0f}% {name:16} {p50:7.2f} {p95:7.2f} "
                              f"{max(times):7.2f} {failures:6d}{verdict}", flush=True)  # fmt: skip


def _one(name: str, proxy: LossyProxy, items: list[MissionItem], path: Path, limit_s: float,
         tmp: Path) -> float:  # fmt: skip
    async def run() -> float:
        async with proxy:
            if name == "station":
                return await _station_upload(proxy.port, items, limit_s)
            if name == "minimal":
                return await asyncio.to_thread(_minimal_upload, proxy.port, items, limit_s)
            return await asyncio.to_thread(_mavproxy_upload, proxy.port, path, limit_s, tmp)

    return asyncio.run(run())


def _backends(text: str) -> list[str]:
    """The autopilots to upload to; anything but sitl and sim is refused (an unknown name used
    to run our simulator under that name, so a figure could be quoted for the wrong one).

    >>> _backends("sitl,sim")
    ['sitl', 'sim']
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - {"sitl", "sim"})
    if unknown or not names:
        raise SystemExit(f"--backends: {', '.join(unknown) or text!r}: use sitl, sim or sitl,sim")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mavproxy", action="store_true", help="skip the MAVProxy baseline")
    parser.add_argument("--no-upload", action="store_true", help="decoding figures only")
    parser.add_argument("--mavproxy-limit", type=float, default=300.0, help="seconds")
    parser.add_argument("--losses", default="0,30", help="loss percentages, comma-separated")
    parser.add_argument(
        "--lossy",
        action="store_true",
        help="only the lossy-upload table (ArduCopter SITL and/or our simulator)",
    )
    parser.add_argument(
        "--backends", default="sitl,sim", help="comma-separated: sitl, sim (default both)"
    )
    parser.add_argument(
        "--clients",
        default="station",
        help="station, minimal (pymavlink), mavproxy; comma-separated",
    )
    parser.add_argument(
        "--size", type=int, default=650, help="mission items (ArduCopter holds 650 including home)"
    )
    parser.add_argument("--lossy-losses", default="10,30", help="loss percentages")
    parser.add_argument("--tries", type=int, default=20, help="uploads per cell")
    parser.add_argument("--limit", type=float, default=150.0, help="seconds per upload")
    args = parser.parse_args()
    if args.lossy:
        bench_lossy(
            _backends(args.backends),
            args.clients.split(","),
            args.size,
            [float(v) for v in args.lossy_losses.split(",")],
            args.tries,
            args.limit,
        )
        return
    bench_decode()
    if not args.no_upload:
        losses = [float(v) for v in args.losses.split(",")]
        bench_uploads(not args.no_mavproxy, args.mavproxy_limit, losses)


if __name__ == "__main__":
    main()
