"""Estimated against flown time: the planner's speed-profile estimate (`routes.flight_time`)
beside the time our simulator and ArduCopter SITL take to fly the same waypoints in AUTO.

Plans near the Longyou station, in the local frame: a coverage of a 150 m x 150 m area
(40 m swath, the planner's pattern), a shore loop round a 300 m pond, a tour of four hotspots
with a 5 s hold at each; and two pairs that check `routes.corners` on real ArduCopter, each as
the planner flew it before (``-raw``) and as it flies it now: the way round the end of the
shipped site's HV-2 power-line corridor (the visibility path rounds each of its buffered
corners with waypoints a few metres apart), moved next to the station, and a loop 20 m inside a
wobbly pond's shore traced every 15 m (``simplify(2.0)`` left pairs of waypoints 20-40 m
apart); and a pair that checks `routes.corners.smooth_path` on curved coverage passes: the
wavefront coverage of that pond at a 40 m swath, its passes as traced (``contour-raw``) and
flown with few corners (``contour``). Each is uploaded as a mission (take-off, the path's first
waypoint held 1 s so the path starts from rest, the path, RTL), flown in AUTO at ``--speed``
with WPNAV_SPEED set to match, and timed on the autopilot's own clock (``time_boot_ms``) from
leaving the first waypoint to reaching the last one (where it stops before the RTL). The
estimate is of the same span. Figures depend only on simulated time, but a loaded machine makes
SITL lag its requested speed-up (its controllers then see longer steps): run it on a quiet one.

    .venv/bin/python bench/flight_time.py                       # simulator only
    ECOPATROL_SITL_BINARY=/work/shared/sitl/arducopter \\
        .venv/bin/python bench/flight_time.py --backend both     # and ArduCopter SITL
    .venv/bin/python bench/flight_time.py --plans coverage --speedup 20   # a quick check
    .venv/bin/python bench/flight_time.py --plans detour-raw,detour,pond-raw,pond
    .venv/bin/python bench/flight_time.py --plans contour-raw,contour
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pymavlink import mavutil
from shapely.geometry import LineString, Point, Polygon, box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routes.connect import VisibilityConnector
from routes.constraints import Airspace
from routes.corners import fewer_corners_ring
from routes.coverage import WavefrontCoverage, plan_coverage_path
from routes.flight_time import WpNav, path_time_s
from routes.patrols import LOOP_TOL_M
from routes.wavefront import WavefrontSwaths
from simulator.geo import offset_deg

M = mavutil.mavlink
#: Longyou drone station (lat, lon, alt m AMSL): both autopilots start here
HOME = (29.05253, 119.181841, 40.0)
ALT_M = 30.0
GUIDED, AUTO = 4, 3


@dataclass(frozen=True, slots=True)
class BenchPlan:
    """A path in local metres (x east, y north), with the seconds held at each vertex."""

    name: str
    xy: np.ndarray
    hold_s: np.ndarray

    def estimate_s(self, nav: WpNav) -> float:
        stops = self.hold_s > 0
        return path_time_s(self.xy, nav, stops) + float(self.hold_s[1:-1].sum())


def plans(nav: WpNav) -> dict[str, BenchPlan]:
    """The plans, south of the station (where both autopilots stand); ``nav`` thins the new
    ones' corners."""
    area = box(-75.0, -210.0, 75.0, -60.0)
    route = plan_coverage_path(area, 40.0, start=Point(0, 0)).route
    cover = np.asarray(route.line().coords)
    theta = np.linspace(0, 2 * math.pi, 25)
    pond = Polygon(np.column_stack([150 * np.cos(theta), -260 + 100 * np.sin(theta)]))
    ring = np.asarray(pond.buffer(-10).exterior.coords)
    spots = np.array([(0.0, -60.0), (200.0, -150.0), (120.0, -400.0), (-180.0, -300.0)])
    tour = np.vstack([spots, spots[:1]])
    detour_raw, detour = _round_the_corridor(nav)
    # a wobbly pond (about 340 m x 240 m) whose shore is traced every 15 m; a loop 20 m inside
    phi = np.linspace(0, 2 * math.pi, 120, endpoint=False)
    r = 1 + 0.08 * np.sin(3 * phi) + 0.05 * np.sin(7 * phi + 1)
    wobbly = Polygon(np.column_stack([170 * r * np.cos(phi), -300 + 120 * r * np.sin(phi)]))
    loop = wobbly.buffer(-20.0, quad_segs=8).exterior
    loop_raw = np.asarray(LineString(loop.coords).simplify(2.0).coords)
    loop_new = fewer_corners_ring(
        np.asarray(LineString(loop.coords).simplify(1.0).coords), nav, tol_m=LOOP_TOL_M
    )
    contour = {
        frac: np.asarray(
            plan_coverage_path(
                wobbly,
                40.0,
                strategies=[WavefrontCoverage(WavefrontSwaths(smooth_frac=frac, nav=nav))],
                start=Point(0, -180),
            )
            .route.line()
            .coords
        )
        for frac in (0.0, WavefrontSwaths().smooth_frac)
    }

    def flat(name: str, xy: np.ndarray) -> BenchPlan:
        return BenchPlan(name, xy, np.zeros(len(xy)))

    return {
        "coverage": flat("coverage", cover),
        "shore": flat("shore", ring),
        "tour": BenchPlan("tour", tour, np.array([0.0, 5.0, 5.0, 5.0, 0.0])),
        "detour-raw": flat("detour-raw", detour_raw),
        "detour": flat("detour", detour),
        "pond-raw": flat("pond-raw", loop_raw),
        "pond": flat("pond", loop_new),
        "contour-raw": flat("contour-raw", contour[0.0]),
        "contour": flat("contour", contour[WavefrontSwaths().smooth_frac]),
    }


def _round_the_corridor(nav: WpNav) -> tuple[np.ndarray, np.ndarray]:
    """The way round the north end of the shipped site's HV-2 corridor (a no-fly strip 200 m
    wide), from 300 m down its west side to 300 m down its east side, as the visibility path
    gives it and with fewer corners; moved to start 300 m south of the station."""
    from geodata.site import load_site

    zones = load_site(None).layer("no_fly_zones", local=True)
    strip = next(g for n, g in zip(zones["name"], zones.geometry, strict=True) if "HV-2" in n)
    rect = np.asarray(strip.minimum_rotated_rectangle.exterior.coords)[:4]
    by_y = rect[np.argsort(rect[:, 1])]
    tip, base = by_y[2:].mean(axis=0), by_y[:2].mean(axis=0)
    u = (tip - base) / np.hypot(*(tip - base))
    n = np.array([-u[1], u[0]])
    a, b = tip - 300 * u + 150 * n, tip - 300 * u - 150 * n
    region = Airspace(box(*(tip - 1000), *(tip + 1000)), (strip,)).allowed
    raw = np.asarray(VisibilityConnector(region).link(Point(a), Point(b)).coords)
    new = np.asarray(VisibilityConnector(region, nav=nav).link(Point(a), Point(b)).coords)
    shift = np.array([-150.0, -300.0]) - a
    return raw + shift, new + shift


def mission(plan: BenchPlan) -> list[tuple[int, int, float, float, float, float]]:
    """(seq, command, param1, lat, lon, alt) rows: home, take-off, the path, RTL. The path's
    first waypoint is held 1 s so the path is flown from rest, as the estimate assumes."""
    lat0, lon0, _ = HOME
    rows = [(0, M.MAV_CMD_NAV_WAYPOINT, 0.0, lat0, lon0, 0.0)]
    rows.append((1, M.MAV_CMD_NAV_TAKEOFF, 0.0, lat0, lon0, ALT_M))
    for k, ((x, y), hold) in enumerate(zip(plan.xy, plan.hold_s, strict=True)):
        lat, lon = offset_deg(lat0, lon0, float(y), float(x))
        rows.append((len(rows), M.MAV_CMD_NAV_WAYPOINT, 1.0 if k == 0 else hold, lat, lon, ALT_M))
    rows.append((len(rows), M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0, 0.0))
    return rows


class Flight:
    """One autopilot over pymavlink: upload, take off in GUIDED, fly AUTO, time the path."""

    def __init__(self, url: str, sysid: int = 1) -> None:
        self.conn: Any = mavutil.mavlink_connection(url, source_system=250, autoreconnect=False)
        self.sysid = sysid
        self.boot_ms = 0

    def recv(self, types: list[str], timeout_s: float) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.conn.recv_match(blocking=True, timeout=0.5)
            if msg is None:
                continue
            ms = getattr(msg, "time_boot_ms", None)
            if ms is not None and msg.get_srcSystem() == self.sysid:
                self.boot_ms = max(self.boot_ms, int(ms))
            if msg.get_type() in types and msg.get_srcSystem() == self.sysid:
                return msg
        raise TimeoutError(f"no {types} within {timeout_s:.0f} s")

    def command(self, cmd: int, *params: float, timeout_s: float = 10.0) -> None:
        p = [*params, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0][:7]
        for _ in range(5):
            self.conn.mav.command_long_send(self.sysid, 1, cmd, 0, *p)
            try:
                ack = self.recv(["COMMAND_ACK"], timeout_s / 5)
            except TimeoutError:
                continue
            if ack.command == cmd:
                if ack.result != M.MAV_RESULT_ACCEPTED:
                    raise RuntimeError(f"command {cmd} refused: result {ack.result}")
                return
        raise TimeoutError(f"command {cmd} not acknowledged")

    def set_param(self, name: str, value: float) -> None:
        for _ in range(10):
            self.conn.mav.param_set_send(
                self.sysid, 1, name.encode(), value, M.MAV_PARAM_TYPE_REAL32
            )
            try:
                msg = self.recv(["PARAM_VALUE"], 1.0)
            except TimeoutError:
                continue
            if msg.param_id == name and abs(msg.param_value - value) < 1e-3:
                return
        raise TimeoutError(f"{name} not set")

    def upload(self, rows: list[tuple[int, int, float, float, float, float]]) -> None:
        self.conn.mav.mission_count_send(self.sysid, 1, len(rows), M.MAV_MISSION_TYPE_MISSION)
        while True:
            msg = self.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], 10.0)
            if msg.get_type() == "MISSION_ACK":
                if msg.type == M.MAV_MISSION_INVALID_SEQUENCE:
                    continue  # an item sent twice: the autopilot asks again for the one it wants
                if msg.type != M.MAV_MISSION_ACCEPTED:
                    raise RuntimeError(f"mission refused: {msg.type}")
                return
            seq, cmd, p1, lat, lon, alt = rows[msg.seq]
            frame = M.MAV_FRAME_GLOBAL if seq == 0 else M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
            self.conn.mav.mission_item_int_send(
                self.sysid, 1, seq, frame, cmd, 0, 1, p1, 0.0, 0.0, 0.0,
                int(lat * 1e7), int(lon * 1e7), alt, M.MAV_MISSION_TYPE_MISSION,
            )  # fmt: skip

    def set_mode(self, mode: int) -> None:
        self.command(M.MAV_CMD_DO_SET_MODE, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, mode)

    def fly(self, plan: BenchPlan, speed_m_s: float) -> float:
        """Seconds on the autopilot's clock from leaving the path's first waypoint to reaching
        its last."""
        self.conn.mav.request_data_stream_send(self.sysid, 1, M.MAV_DATA_STREAM_ALL, 10, 1)
        self.set_param("WPNAV_SPEED", speed_m_s * 100)
        rows = mission(plan)
        self.upload(rows)
        first, last = 2, len(rows) - 2
        self.set_mode(GUIDED)
        for _ in range(30):  # arming waits for the EKF and GPS after a boot
            try:
                self.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
                break
            except RuntimeError:
                time.sleep(1)
        self.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, ALT_M)
        while self.recv(["GLOBAL_POSITION_INT"], 60).relative_alt < (ALT_M - 1) * 1000:
            pass
        self.set_mode(AUTO)
        start = end = None
        budget = 60 + 3 * plan.estimate_s(WpNav(speed_m_s=speed_m_s))
        deadline = time.monotonic() + budget
        while end is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{plan.name}: not flown within {budget:.0f} s")
            msg = self.recv(["MISSION_CURRENT", "MISSION_ITEM_REACHED"], budget)
            if start is None and msg.get_type() == "MISSION_CURRENT" and msg.seq == first + 1:
                start = self.boot_ms
            if msg.get_type() == "MISSION_ITEM_REACHED" and msg.seq == last:
                end = self.boot_ms
        self.set_mode(GUIDED)  # leave it where it is: the next plan takes off from home
        assert start is not None
        return (end - start) / 1000.0

    def close(self) -> None:
        self.conn.close()


def fly_sim(chosen: list[BenchPlan], speed: float, speedup: float) -> dict[str, float]:
    """Each plan on a fresh simulator vehicle at the station."""
    from simulator.fleet import SimConfig, SimFleet

    async def one(plan: BenchPlan) -> float:
        config = SimConfig(drones=1, listen="tcpin:127.0.0.1:0", speedup=speedup, seed=1,
                           home=HOME, wind=(0.0, 0.0, 0.0))  # fmt: skip
        async with SimFleet(config) as fleet:
            url = f"tcp:127.0.0.1:{fleet.ports[0]}"

            def run() -> float:
                flight = Flight(url)
                try:
                    return flight.fly(plan, speed)
                finally:
                    flight.close()

            return await asyncio.to_thread(run)

    return {p.name: asyncio.run(one(p)) for p in chosen}


def fly_sitl(chosen: list[BenchPlan], speed: float, speedup: float) -> dict[str, float]:
    """Each plan on a fresh ArduCopter SITL (``ECOPATROL_SITL_BINARY``), wind off."""
    from tests.sitl import Sitl

    binary = os.environ.get("ECOPATROL_SITL_BINARY")
    if not binary:
        raise SystemExit("set ECOPATROL_SITL_BINARY (for example /work/shared/sitl/arducopter)")
    out: dict[str, float] = {}
    for plan in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            home = (*HOME, 0.0)
            params = {"SIM_WIND_SPD": 0.0, "SIM_WIND_TURB": 0.0}
            sitl = Sitl(Path(tmp), params=params, speedup=speedup, home=home, binary=Path(binary))
            with sitl as s:
                flight = Flight(f"tcp:127.0.0.1:{s.port + 3}")  # SERIAL2
                try:
                    out[plan.name] = flight.fly(plan, speed)
                finally:
                    flight.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backend", choices=["sim", "sitl", "both"], default="sim")
    ap.add_argument("--plans", default="coverage,shore,tour,detour-raw,detour,pond-raw,pond")
    ap.add_argument("--speed", type=float, default=10.0, help="cruise, m/s (WPNAV_SPEED)")
    ap.add_argument("--speedup", type=float, default=10.0)
    args = ap.parse_args()
    nav = WpNav(speed_m_s=args.speed)
    every = plans(nav)
    unknown = [name for name in args.plans.split(",") if name not in every]
    if unknown:
        raise SystemExit(f"unknown plan(s) {unknown}: choose from {', '.join(every)}")
    chosen = [every[name] for name in args.plans.split(",")]
    flown: dict[str, dict[str, float]] = {}
    runners: dict[str, Callable[[list[BenchPlan], float, float], dict[str, float]]] = {
        "sim": fly_sim,
        "sitl": fly_sitl,
    }
    for backend in ("sim", "sitl"):
        if args.backend in (backend, "both"):
            flown[backend] = runners[backend](chosen, args.speed, args.speedup)
    print(f"speed {args.speed:g} m/s, WPNAV_ACCEL {nav.accel_m_s2:g} m/s², WPNAV_RADIUS "
          f"{nav.radius_m:g} m, simulated time, speed-up {args.speedup:g}")  # fmt: skip
    head = f"{'plan':10} {'wps':>4} {'length m':>9} {'estimate s':>10} {'at cruise s':>11}"
    print(head + "".join(f" {b + ' s':>9} {'est/' + b:>9}" for b in flown))
    for p in chosen:
        length = float(np.hypot(*np.diff(p.xy, axis=0).T).sum())
        est = p.estimate_s(nav)
        row = f"{p.name:10} {len(p.xy):4d} {length:9.0f} {est:10.1f} {length / args.speed:11.1f}"
        for b in flown:
            row += f" {flown[b][p.name]:9.1f} {est / flown[b][p.name]:9.3f}"
        print(row)


if __name__ == "__main__":
    main()
