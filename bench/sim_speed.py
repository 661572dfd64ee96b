"""How fast the simulator runs: N vehicles flying survey missions, telemetry at 10 Hz each.

The fleet runs on a manual clock stepped as fast as the CPU allows, with every message encoded
and sent over UDP to a listening ground-station socket, so the figure is the real ceiling of
`--speedup`. Prints simulated seconds per wall second, CPU seconds and peak memory.

    .venv/bin/python bench/sim_speed.py            # 10 vehicles, then 100
    .venv/bin/python bench/sim_speed.py --drones 10 --sim-seconds 300
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import time

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.geo import offset_deg
from simulator.mission_items import MISSION, MissionItem
from simulator.modes import AUTO
from simulator.testing import SimConfig, SimFleet

M = mavlink2
TEN_HZ = (
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
    M.MAVLINK_MSG_ID_ATTITUDE,
    M.MAVLINK_MSG_ID_VFR_HUD,
)


def survey(
    home: tuple[float, float, float], legs: int = 6, leg_m: float = 400.0
) -> tuple[MissionItem, ...]:
    """Takeoff, a lawnmower of `legs` legs with a camera every 25 m, RTL."""
    lat, lon, alt = home
    rows = [
        (0, M.MAV_CMD_NAV_WAYPOINT, lat, lon, alt, 0),
        (1, M.MAV_CMD_NAV_TAKEOFF, 0.0, 0.0, 30.0, 3),
    ]
    rows.append((2, M.MAV_CMD_DO_SET_CAM_TRIGG_DIST, 0.0, 0.0, 0.0, 3))
    for i in range(legs):
        for end in (0, 1):
            east = leg_m * (end if i % 2 == 0 else 1 - end)
            p = offset_deg(lat, lon, 40.0 * i, east)
            rows.append((len(rows), M.MAV_CMD_NAV_WAYPOINT, p[0], p[1], 30.0, 3))
    rows.append((len(rows), M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0, 3))
    return tuple(
        MissionItem(
            seq,
            frame,
            cmd,
            0,
            1,
            25.0 if cmd == M.MAV_CMD_DO_SET_CAM_TRIGG_DIST else 0.0,
            0.0,
            0.0,
            0.0,
            round(la * 1e7),
            round(lo * 1e7),
            z,
        )
        for seq, cmd, la, lo, z, frame in rows
    )


def _sink() -> socket.socket:
    """A loopback UDP socket the fleet sends its telemetry to, read without blocking."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    return sink


def _drain(sink: socket.socket) -> int:
    """Read every datagram waiting on ``sink``; how many there were."""
    count = 0
    try:
        while True:
            sink.recv(65536)
            count += 1
    except BlockingIOError:
        return count


def _fly_surveys(sim: SimFleet) -> None:
    """Every vehicle streams at 10 Hz, holds the survey mission, and is armed in AUTO."""
    for v in sim.vehicles.values():
        ap = v.autopilot
        for msg_id in TEN_HZ:
            ap.streams.set_interval(msg_id, 0.1)
        ap.mission.replace(MISSION, survey(ap.home))
        assert ap.set_mode(AUTO) is None
        assert ap.arm() is None


async def run(drones: int, sim_seconds: float) -> dict[str, float]:
    sink = _sink()
    config = SimConfig(
        drones=drones,
        listen=None,
        connect=f"udpout:127.0.0.1:{sink.getsockname()[1]}",
        manual_clock=True,
        seed=1,
    )
    async with SimFleet(config) as sim:
        _fly_surveys(sim)
        sent_before = sum(v.encoder.mav.total_packets_sent for v in sim.vehicles.values())
        wall0, cpu0 = time.perf_counter(), time.process_time()
        step = 1.0
        t = 0.0
        while t < sim_seconds:
            sim.advance(step)
            t += step
            _drain(sink)  # keep the socket's buffer empty; the count is taken from the sender
            await asyncio.sleep(0)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        sent = sum(v.encoder.mav.total_packets_sent for v in sim.vehicles.values()) - sent_before
        landed = sum(1 for v in sim.vehicles.values() if not v.state.armed)
        photos = sum(v.state.photos for v in sim.vehicles.values())
    sink.close()
    return {
        "drones": drones,
        "sim_s": sim_seconds,
        "wall_s": wall,
        "cpu_s": cpu,
        "speed": sim_seconds / wall,
        "speed_cpu": sim_seconds / cpu,
        "msgs_per_wall_s": sent / wall,
        "msgs": sent,
        "landed": landed,
        "photos": photos,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def run_realtime(drones: int, speedup: float, wall_s: float) -> dict[str, float]:
    """The fleet on its scaled clock, as `ecopatrol sim --speedup X` runs: does it keep up?"""
    sink = _sink()
    config = SimConfig(
        drones=drones,
        listen=None,
        connect=f"udpout:127.0.0.1:{sink.getsockname()[1]}",
        speedup=speedup,
        seed=1,
    )
    loop = asyncio.get_running_loop()
    received = 0

    def drain() -> None:
        nonlocal received
        received += _drain(sink)

    loop.add_reader(sink.fileno(), drain)
    async with SimFleet(config) as sim:
        _fly_surveys(sim)
        sim0 = sim.clock.now()
        t0, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.sleep(wall_s)
        sim.step()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        sim_s = min(v.state.time_s for v in sim.vehicles.values()) - sim0
        slipped = sim.slipped_s
    loop.remove_reader(sink.fileno())
    sink.close()
    return {
        "drones": drones,
        "speedup": speedup,
        "wall_s": wall,
        "sim_s": sim_s,
        "achieved": sim_s / wall,
        "slipped_s": slipped,
        "cpu_frac": cpu / wall,
        "datagrams": received,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drones", type=int, nargs="*", default=[10, 100])
    parser.add_argument("--sim-seconds", type=float, default=600.0)
    parser.add_argument("--realtime-speedups", type=float, nargs="*", default=[100.0])
    parser.add_argument("--realtime-wall-seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(
        f"{'drones':>6} {'sim s':>7} {'wall s':>7} {'cpu s':>7} {'sim s/wall s':>12} "
        f"{'sim s/CPU s':>11} {'msgs/wall s':>11} {'landed':>6} {'photos':>6} {'peak RSS MB':>11}"
    )
    for n in args.drones:
        r = asyncio.run(run(n, args.sim_seconds))
        print(
            f"{r['drones']:>6.0f} {r['sim_s']:>7.0f} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} "
            f"{r['speed']:>12.1f} {r['speed_cpu']:>11.1f} {r['msgs_per_wall_s']:>11.0f} "
            f"{r['landed']:>6.0f} {r['photos']:>6.0f} {r['maxrss_mb']:>11.1f}"
        )

    print()
    print("on the scaled clock (`--speedup X`), 10 vehicles, wall-clock run:")
    print(
        f"{'speedup':>7} {'wall s':>7} {'sim s':>7} {'achieved':>8} {'slipped s':>9} "
        f"{'CPU %':>6} {'datagrams':>9}"
    )
    for speedup in args.realtime_speedups:
        r = asyncio.run(run_realtime(10, speedup, args.realtime_wall_seconds))
        print(
            f"{r['speedup']:>7.0f} {r['wall_s']:>7.2f} {r['sim_s']:>7.1f} {r['achieved']:>8.1f} "
            f"{r['slipped_s']:>9.1f} {100 * r['cpu_frac']:>6.0f} {r['datagrams']:>9.0f}"
        )


if __name__ == "__main__":
    main()
