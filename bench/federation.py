"""Many stations through one broker into the centre, measured at the centre's live websocket.

    .venv/bin/python bench/federation.py [--stations 10] [--drones 20] [--rate 2]
                                         [--seconds 30] [--warmup 8] [--event-every 2]
                                         [--outage 0] [--cut-after 5] [--send-rate R]

Starts, on loopback: PostgreSQL with PostGIS (the tests' throwaway cluster), Mosquitto (TLS, a
login per station, the federation ACL: ``tests/integration/federation/broker.py``, its log cut
to errors and warnings), ``ecopatrol centre`` as its own process (the centre's store, page and
``/ws/live``), and one process of lightweight stations (``bench/federation_stations.py``: the
station's real hub, forwarder, outbox and broker connection, fed with synthetic frames at
``--rate`` per drone, plus a patrol state, incident or alert every ``--event-every`` s each).
A websocket client logged in as a centre officer who sees every station reads ``/ws/live``
as the centre's page would (it reconnects if the centre closes it for falling behind).

Prints, for the frames the stations made in the measured window (``--seconds`` after
``--warmup``): the delay from the station's receipt (the frame's ``station_at``, the time the
station built it) to its arrival at the websocket client, p50 / p99 / max; frames made, sent
by the stations' forwarders (their rate limit may drop one whose predecessor was made late) and
delivered to the page (% of those sent, each counted once), and those that came again or
after a newer frame of the same drone (the page must never see a position go back); the CPU
of the broker, of the centre, of PostgreSQL and of the stations process (% of one core, from
/proc, over the window); the machine's load; a verdict line against p99 < 500 ms, every frame
delivered and no position going back.

``--outage S`` cuts the first station from the broker for S seconds, ``--cut-after`` seconds
into the window (its TCP relay drops the connection and refuses new ones: a blocked port), and
runs the window long enough to see it end. The delay figures are then those of the other
stations (the cut one's frames wait by design), also split into before, during and after the
cut and while the cut station catches up (its backlog shares the broker and the centre with
their live frames); the verdict is then about completeness, not p99. Afterwards the bench
reads the centre's store and checks that every frame, patrol state, incident and alert the cut
station made during the cut and sent (put in its outbox) is there, none twice, each station's
events in its order (``seq`` 1..last with nothing missing), each vehicle's frames in order;
it prints the counts and the catch-up time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import websockets
from federation_stations import EVENT_KINDS, StationPlan, StationResult, load_results
from federation_stations import stations_main as _stations_main
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.config import DbSettings
from groundstation.federation.store import CentreStore
from tests.integration.db.conftest import PgCluster, _pg_bindir
from tests.integration.federation.broker import Mosquitto, free_port, mosquitto_binary

TARGET_P99_MS = 500.0
OFFICER, OFFICER_PASSWORD = "bench-chief", "kingfisher-reed-" + secrets.token_hex(4)
TICKS = os.sysconf("SC_CLK_TCK")


# --- CPU from /proc ------------------------------------------------------------------------------


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
    return out


class CpuMeter:
    """A group of processes' CPU time between :meth:`start` and :meth:`stop`, % of a core
    (children found at each reading count too: PostgreSQL's backends)."""

    def __init__(self, pids: list[int], *, with_children: bool = False) -> None:
        self.pids, self.with_children = pids, with_children
        self._at0, self._t0 = 0.0, 0
        self.percent = 0.0

    def _total(self) -> int:
        pids = list(self.pids)
        if self.with_children:
            pids += [c for p in self.pids for c in _children(p)]
        return sum(_ticks(p) for p in pids)

    def start(self) -> None:
        self._at0, self._t0 = time.monotonic(), self._total()

    def stop(self) -> None:
        seconds = time.monotonic() - self._at0
        self.percent = 100.0 * (self._total() - self._t0) / TICKS / max(seconds, 1e-9)


# --- the centre's page, as a websocket client ----------------------------------------------------


@dataclass
class Arrivals:
    """Every vehicle frame the page got: (station, station's sysid, frame number) -> delay (s),
    the first arrival only; how often the centre closed the page; frames that came again, and
    frames older than one of the same drone that came before them (a position going back)."""

    frames: dict[tuple[str, int, int], tuple[float, float]] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    duplicates: int = 0
    backwards: int = 0
    newest: dict[tuple[str, int], int] = field(default_factory=dict)


async def read_live(url: str, token: str, arrivals: Arrivals, stop: asyncio.Event) -> None:
    """Read ``/ws/live`` until `stop`; reconnect when the centre closes it."""
    while not stop.is_set():
        try:
            async with websockets.connect(f"{url}?token={token}", max_size=2**24) as ws:
                while not stop.is_set():
                    try:
                        text = await asyncio.wait_for(ws.recv(), 0.5)
                    except TimeoutError:
                        continue
                    now = time.time()
                    msg = json.loads(text)
                    if msg["type"] != "vehicle.frame":
                        continue
                    d = msg["data"]
                    key = (msg["station"], d["station_sysid"], d["mission_seq"])
                    made = datetime.fromisoformat(msg["station_at"]).timestamp()
                    if key in arrivals.frames:
                        arrivals.duplicates += 1
                    else:
                        arrivals.frames[key] = (made, now - made)
                    drone, newest = key[:2], arrivals.newest.get(key[:2], -1)
                    if d["mission_seq"] < newest:
                        arrivals.backwards += 1
                    arrivals.newest[drone] = max(newest, d["mission_seq"])
        except websockets.ConnectionClosed as exc:
            arrivals.closed.append(f"{exc.rcvd.code if exc.rcvd else '?'}")
            await asyncio.sleep(0.5)


# --- the run -------------------------------------------------------------------------------------


async def _wait_http(url: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    async with httpx.AsyncClient(base_url=url) as client, asyncio.timeout(90):
        while True:
            if proc.returncode is not None:
                tail = (await asyncio.to_thread(log.read_text))[-3000:]
                raise SystemExit(f"the centre exited:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/web/config.json")).status_code == 200:
                    return
            await asyncio.sleep(0.3)


async def _centre_user(db_url: str, env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "groundstation", "centre-user", "--db", db_url,
        "--username", OFFICER, "--password-stdin", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate(OFFICER_PASSWORD.encode() + b"\n")
    if proc.returncode != 0:
        raise SystemExit(f"centre-user failed: {out.decode()[-2000:]}")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


async def run(args: argparse.Namespace) -> int:
    binary, bindir = mosquitto_binary(), _pg_bindir()
    if binary is None or bindir is None:
        raise SystemExit("needs mosquitto and PostgreSQL (scripts/install-system-deps.sh)")
    names = [f"station-{i:02d}" for i in range(args.stations)]
    broker = Mosquitto(binary, {n: secrets.token_urlsafe(12) for n in [*names, "centre"]})
    quiet = broker.conf.read_text().replace("log_type all", "log_type error\nlog_type warning")
    broker.conf.write_text(quiet)  # a line per message would cost the broker CPU
    pg = PgCluster(bindir)
    work = Path(tempfile.mkdtemp(prefix="ecopatrol-fedbench-"))
    centre_proc: asyncio.subprocess.Process | None = None
    stations_proc: mp.process.BaseProcess | None = None
    try:
        await asyncio.to_thread(pg.start)
        db_url = await asyncio.to_thread(pg.create_database)
        broker.start()
        env = {
            **os.environ, "ECOPATROL_FEDERATION__BROKER_PORT": str(broker.port),
            "ECOPATROL_FEDERATION__PASSWORD": broker.logins["centre"],
            "ECOPATROL_FEDERATION__CA_FILE": str(broker.ca),
            "ECOPATROL_DATA_DIR": str(work / "centre-data"),
            "ECOPATROL_PASSWORD_HASH_PROFILE": "cheapest",
        }  # fmt: skip
        await _centre_user(db_url, env)
        port = free_port()
        log = work / "centre.log"
        with log.open("wb") as out:
            centre_proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "groundstation", "centre", "--db", db_url,
                "--host", "127.0.0.1", "--port", str(port), stdout=out, stderr=out, env=env,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        await _wait_http(url, centre_proc, log)
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.post(
                "/api/auth/login", json={"username": OFFICER, "password": OFFICER_PASSWORD}
            )
            r.raise_for_status()
            token = r.json()["access_token"]
        arrivals, stop = Arrivals(), asyncio.Event()
        ws_url = url.replace("http", "ws") + "/ws/live"
        reader = asyncio.create_task(read_live(ws_url, token, arrivals, stop))

        measure_s = args.seconds
        if args.outage:
            measure_s = max(measure_s, args.cut_after + args.outage + 10)
        drain_s = 120.0 + args.outage  # a cut station's backlog may take a while
        t0 = time.time() + 6  # the stations process imports and connects first
        window = (t0 + args.warmup, t0 + args.warmup + measure_s)
        cut_at = window[0] + args.cut_after
        cut = (cut_at, cut_at + args.outage) if args.outage else None
        plans = [
            StationPlan(
                name=n, password=broker.logins[n], index=i, drones=args.drones,
                rate_hz=args.rate, feed_from=t0, feed_until=window[1], window=window,
                cut=cut if i == 0 else None, drain_s=drain_s, send_rate_max_hz=args.send_rate,
            )
            for i, n in enumerate(names)
        ]  # fmt: skip
        results_path = work / "stations.json"
        stations_proc = mp.get_context("spawn").Process(
            target=_stations_main,
            args=(
                plans,
                broker.port,
                str(broker.ca),
                str(work),
                args.event_every,
                str(results_path),
            ),
        )
        stations_proc.start()
        assert broker.process is not None
        assert stations_proc.pid is not None
        meters = {
            "broker": CpuMeter([broker.process.pid]),
            "centre": CpuMeter([centre_proc.pid]),
            "postgresql": CpuMeter([_postmaster(pg)], with_children=True),
            "stations": CpuMeter([stations_proc.pid]),
        }
        await asyncio.sleep(max(0.0, window[0] - time.time()))
        for m in meters.values():
            m.start()
        await asyncio.sleep(max(0.0, window[1] - time.time()))
        for m in meters.values():
            m.stop()
        load = os.getloadavg()
        print(f"fed for {measure_s:.0f} s (after {args.warmup:.0f} s warm-up); draining ...")
        await asyncio.to_thread(stations_proc.join, drain_s + 60)
        if stations_proc.exitcode != 0:
            raise SystemExit(f"the stations process failed ({stations_proc.exitcode})")
        results = load_results(results_path)
        await _settle(arrivals, limit_s=drain_s)
        stop.set()
        await reader
        code = await _report(args, results, arrivals, meters, load, window, cut, db_url)
        if code == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"(the centre's log and the stations' outboxes are kept in {work})")
        return code
    finally:
        if stations_proc is not None and stations_proc.is_alive():
            stations_proc.terminate()
        if centre_proc is not None and centre_proc.returncode is None:
            centre_proc.terminate()
            await centre_proc.wait()
        broker.close()
        await asyncio.to_thread(pg.stop)


def _postmaster(pg: PgCluster) -> int:
    return int((pg.data / "postmaster.pid").read_text().split()[0])


async def _settle(arrivals: Arrivals, quiet_s: float = 3.0, limit_s: float = 120.0) -> None:
    """Wait until the page has had no new frame for `quiet_s` (the centre has caught up)."""
    deadline, last, seen = time.monotonic() + limit_s, time.monotonic(), -1
    while time.monotonic() < deadline and time.monotonic() - last < quiet_s:
        await asyncio.sleep(0.25)
        if len(arrivals.frames) != seen:
            seen, last = len(arrivals.frames), time.monotonic()


async def _report(
    args: argparse.Namespace, results: list[StationResult], arrivals: Arrivals,
    meters: dict[str, CpuMeter], load: tuple[float, float, float],
    window: tuple[float, float], cut: tuple[float, float] | None, db_url: str,
) -> int:  # fmt: skip
    measured = {r.name for r in results} - ({results[0].name} if cut else set())
    timed = sorted(
        (made, d) for (station, _, _), (made, d) in arrivals.frames.items()
        if station in measured and window[0] <= made < window[1]
    )  # fmt: skip
    delays = [d for _, d in timed]
    fed = sum(r.frames_sent for r in results if r.name in measured)
    made = sum(r.frames_made for r in results if r.name in measured)
    print(
        f"stations {args.stations} x drones {args.drones} x {args.rate:g} Hz = "
        f"{args.stations * args.drones * args.rate:g} frames/s; lightweight stations (the "
        "station's hub, forwarder, outbox and MQTT publisher fed synthetic frames), 1 process;"
        " send pace "
        + ("the default" if args.send_rate is None else f"{args.send_rate:g}/s" if args.send_rate
           else "none")
    )  # fmt: skip
    if not delays:
        print("no frame reached the centre's page\nVERDICT: FAIL")
        return 1
    delivered = 100.0 * len(delays) / max(fed, 1)
    p50, p99 = _percentile(delays, 50) * 1000, _percentile(delays, 99) * 1000
    worst = max(delays) * 1000
    print(
        f"delay station receipt -> centre page ({'stations not cut' if cut else 'all'}, "
        f"{len(delays)} frames): p50 {p50:.0f} ms  p99 {p99:.0f} ms  max {worst:.0f} ms"
    )
    print(f"frames: {made} made at the stations, {fed} sent by their forwarders (rate limit:"
          f" {made - fed} dropped), {len(delays)} delivered to the page = {delivered:.2f} %"
          f" (page closed by the centre {len(arrivals.closed)} times, duplicates"
          f" {arrivals.duplicates}, older than a drone's frame shown before"
          f" {arrivals.backwards})")  # fmt: skip
    print("CPU, % of one core over the window: " + "  ".join(
        f"{name} {m.percent:.0f}" for name, m in meters.items()))  # fmt: skip
    print(f"load average (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
          f" on {os.cpu_count()} cores (other work on the machine skews every figure)")  # fmt: skip
    if cut is None:
        ok = p99 < TARGET_P99_MS and len(delays) == fed and arrivals.backwards == 0
        print(f"VERDICT: {'PASS' if ok else 'FAIL'} (target p99 < {TARGET_P99_MS:.0f} ms, "
              "every frame delivered, no drone's position going back)")  # fmt: skip
        return 0 if ok else 1
    _phases(timed, cut, results[0].drained_at)
    ok = await _check_outage(results, cut, db_url) and len(delays) == fed
    ok = ok and arrivals.backwards == 0
    print(f"VERDICT: {'PASS' if ok else 'FAIL'} (nothing of the outage lost, doubled or "
          "reordered; every frame of the other stations delivered to the page; no drone's "
          "position going back on it)")  # fmt: skip
    return 0 if ok else 1


def _phases(
    timed: list[tuple[float, float]], cut: tuple[float, float], drained_at: float | None
) -> None:
    """The other stations' delay before, during and after the cut, and while the cut station
    caught up (its backlog goes through the same broker and centre as their live frames)."""
    caught_up = drained_at if drained_at is not None else cut[1]
    phases = {
        "before the cut": (0.0, cut[0]),
        "during the cut": (cut[0], cut[1]),
        "while catching up": (cut[1], caught_up),
        "after catching up": (caught_up, float("inf")),
    }
    for name, (start, end) in phases.items():
        ds = [d for made, d in timed if start <= made < end]
        if len(ds) >= 2:
            print(f"  other stations {name:18} {len(ds):6d} frames: p50 "
                  f"{_percentile(ds, 50) * 1000:.0f} ms  p99 {_percentile(ds, 99) * 1000:.0f} ms"
                  f"  max {max(ds) * 1000:.0f} ms")  # fmt: skip


async def _stored(store: CentreStore, results: list[StationResult], quiet_s: float = 10.0) -> float:
    """Wait until the centre has stored every station's last event, or stored nothing more for
    `quiet_s` (the page shows frames before they are stored: its quiet says nothing here); how
    long it waited."""
    start = last = time.monotonic()
    counts = {r.name: -1 for r in results}
    while time.monotonic() - last < quiet_s:
        now = {r.name: len(await store.events(r.name)) for r in results}
        if all(now[r.name] >= r.last_seq for r in results):
            break
        if now != counts:
            counts, last = now, time.monotonic()
        await asyncio.sleep(1.0)
    return time.monotonic() - start


async def _check_outage(
    results: list[StationResult], cut: tuple[float, float], db_url: str
) -> bool:
    """The centre's store after the cut: every station's events once, in order; the cut
    station's events made during the cut all there; each vehicle's frames in order."""
    engine = create_async_engine(DbSettings(url=db_url).async_url)
    try:
        store = CentreStore(engine)
        waited = await _stored(store, results)
        print(f"(waited {waited:.0f} s after the page's last frame for the centre's store)")
        ok = True
        for r in results:
            events = await store.events(r.name)
            seqs = [e.seq for e in events]
            in_order = seqs == list(range(1, r.last_seq + 1))
            frames: dict[int, list[int]] = {}
            for e in events:
                if e.kind == "vehicle.frame":
                    frames.setdefault(e.data["sysid"], []).append(e.data["mission_seq"])
            frames_ok = all(s == sorted(set(s)) for s in frames.values())
            ok = ok and in_order and frames_ok and r.waiting == 0
            if r is results[0] or not (in_order and frames_ok):
                print(f"{r.name}: {len(events)} events stored, seq 1..{r.last_seq} "
                      f"{'complete, once each, in order' if in_order else 'NOT complete/in order'};"
                      f" frames per vehicle {'in order' if frames_ok else 'OUT OF ORDER'};"
                      f" left in its outbox {r.waiting}")  # fmt: skip
        cut_r = results[0]
        events = await store.events(cut_r.name)
        stored = dict.fromkeys(("vehicle.frame", *EVENT_KINDS), 0)
        for e in events:
            if e.kind in stored and cut[0] <= e.at.timestamp() < cut[1]:
                stored[e.kind] += 1
        print(
            f"outage of {cut[1] - cut[0]:.0f} s on {cut_r.name}: made during the cut (by the"
            " station), sent (put in its outbox by its forwarder), stored at the centre"
        )
        print(f"  {'':18} {'made':>7} {'sent':>7} {'stored':>7}")
        for kind, n in stored.items():
            made = cut_r.made_in_cut.get(kind, 0)
            sent = cut_r.sent_in_cut.get(kind, 0)
            print(f"  {kind:18} {made:7d} {sent:7d} {n:7d}{'' if sent == n else '  MISMATCH'}")
            ok = ok and sent == n and (sent > 0 or kind != "vehicle.frame")
        if not all(cut_r.sent_in_cut.get(k) for k in EVENT_KINDS):
            print("  (a kind with none: the cut was shorter than 4 x --event-every)")
        if cut_r.drained_at is not None:
            caught_up = cut_r.drained_at - cut[1]
            print(f"  its outbox was empty {caught_up:.1f} s after the link came back")
        return ok
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--drones", type=int, default=20, help="per station")
    parser.add_argument("--rate", type=float, default=2.0, help="frames per drone per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--event-every", type=float, default=2.0,
                        help="a patrol state, incident or alert per station every N s")  # fmt: skip
    parser.add_argument("--outage", type=float, default=0.0, help="cut station 0 for N s")
    parser.add_argument("--cut-after", type=float, default=5.0, help="s into the window")
    parser.add_argument("--send-rate", type=float, default=None,
                        help="the stations' send pace, events/s (default: the setting's;"
                        " 0: none)")  # fmt: skip
    args = parser.parse_args()
    if args.stations < 1 or args.drones < 1 or args.rate <= 0 or args.rate > 8:
        parser.error("--stations and --drones at least 1, --rate in (0, 8]")
    if args.outage and args.stations < 2:
        parser.error("--outage needs a second station to measure the others with")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
