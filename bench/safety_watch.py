"""The safety watch's cost: monitors per vehicle frame at 100 vehicles x 10 Hz, and the margin.

    .venv/bin/python bench/safety_watch.py [--vehicles 100] [--hz 10] [--seconds 10]

Feeds each of ``--vehicles`` :class:`~groundstation.safety.watch.VehicleWatch`es (the shipped
Longyou site's landable points, water and no-fly zones; the planner's battery model) ``--hz``
frames a second of ``--seconds`` simulated flight each: drones spread over the river flying
east at 10 m/s, a new position in every frame (so the margin is recomputed every frame, its
worst case), battery falling, some over the 120 m ceiling and some near the airport's no-fly
zone so rules fire. Prints the CPU time per vehicle frame for all the monitors, for the margin
alone (and its share: the local projection, the no-fly distance), and the share of one core
that 100 vehicles x 10 Hz needs (goal: under 5 %).

CPU time (``time.process_time``), not wall time: still, another process on the same cores slows
caches and clocks; quote figures only from a quiet machine, with the load average printed.
"""

from __future__ import annotations

import argparse
import os
import time

from geodata.site import load_site
from groundstation.link.vehicle import Position, VehicleState
from groundstation.safety.config import SafetySettings
from groundstation.safety.margin import EnergyRates, margin, wind_to
from groundstation.safety.site_facts import SiteFacts
from groundstation.safety.watch import VehicleWatch
from routes.types import BatteryModel

M_PER_DEG_LAT = 111_320.0


def _frames(n: int, hz: float, seconds: float) -> list[list[VehicleState]]:
    """Per time step, one state per vehicle (positions move every step)."""
    steps = int(hz * seconds)
    out: list[list[VehicleState]] = []
    for k in range(steps):
        t = k / hz
        row = []
        for v in range(n):
            lat = 29.045 + 0.0003 * (v % 40)
            lon = 119.10 + 0.002 * (v // 2) + 10.0 * t / (M_PER_DEG_LAT * 0.874)
            alt = 125.0 if v % 10 == 0 else 40.0
            fixed = {"armed": True, "voltage_v": 46.0, "mode": "GUIDED", "gps_fix": 3,
                     "satellites": 14, "hdop": 0.8, "landed_state": "in_air",
                     "wind_speed_m_s": 6.0, "wind_dir_deg": 250.0}  # fmt: skip
            pos = Position(lat, lon, alt + 40.0, alt)
            battery = 90.0 - 0.05 * t - (v % 60)
            row.append(VehicleState(v + 1, 1, position=pos, battery_pct=battery, **fixed))  # type: ignore[arg-type]
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=100)
    ap.add_argument("--hz", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    settings = SafetySettings()
    facts = SiteFacts.from_site(load_site(), [(119.23, 29.070)])
    rates = EnergyRates.from_model(BatteryModel(cruise_speed_m_s=10.0, endurance_s=3600.0))
    frames = _frames(args.vehicles, args.hz, args.seconds)
    watches = [VehicleWatch(settings, facts, rates) for _ in range(args.vehicles)]

    changes = 0
    t0 = time.process_time()
    for row in frames:
        for watch, st in zip(watches, row, strict=True):
            changes += len(watch.check(st))
    monitors_s = time.process_time() - t0
    n_frames = len(frames) * args.vehicles

    points = [st.position for row in frames[:20] for st in row if st.position is not None]
    wind = wind_to(6.0, 250.0)
    t0 = time.process_time()
    local = [facts.to_local(p.lon_deg, p.lat_deg) for p in points]
    t1 = time.process_time()
    for x, y in local:
        facts.no_fly_distance(x, y)
    t2 = time.process_time()
    for xy in local:
        margin(xy, facts.landable, 80.0, rates, settings.reserve_pct, wind_to_m_s=wind)
    t3 = time.process_time()
    n = len(points)

    per_frame_us = 1e6 * monitors_s / n_frames
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    print(
        f"{args.vehicles} vehicles x {args.hz:g} Hz x {args.seconds:g} s = {n_frames} frames, "
        f"{changes} alert changes"
    )
    print(f"all monitors: {per_frame_us:.1f} us CPU per vehicle frame")
    share = per_frame_us * 1e-6 * args.vehicles * args.hz
    print(f"  -> {100 * share:.1f} % of one core at {args.vehicles} x {args.hz:g} Hz (goal < 5 %)")
    print(
        f"per position, mean of {n}: projection to metres {1e6 * (t1 - t0) / n:.1f} us, "
        f"no-fly distance {1e6 * (t2 - t1) / n:.1f} us, margin over "
        f"{len(facts.landable)} landable points {1e6 * (t3 - t2) / n:.1f} us"
    )


if __name__ == "__main__":
    main()
