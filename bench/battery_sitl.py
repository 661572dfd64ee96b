"""Battery rates the station learns from one GUIDED flight, against what the vehicle reports.

Flies a vehicle (ArduCopter SITL, or the simulator) through the station's own link: arm in
GUIDED, take off to 30 m, hover a minute, fly 1 km north and back (DO_REPOSITION), hover half a
minute, land. Every state goes through the patrol runner's recorders (TrackRecorder, FlightLog)
as in a patrol, and the learned per-flight rates (groundstation.patrol.battery.flight_rates) are
printed beside the vehicle's own BATTERY_STATUS over the marked legs (% and mAh between the start
and end of the hover minute, and of the flight out). Times are the vehicle's clock.

    mkdir -p /tmp/p13 && cd /tmp/p13 && /path/arducopter -w --model + --speedup 10 \\
        --defaults /path/copter.parm --home 29.05253,119.181841,40,0 -I13 &
    .venv/bin/python bench/battery_sitl.py --connect tcp:127.0.0.1:5890

Seen on ArduCopter SITL (V4.7.0-dev, speed-up 10): learned 26.6 %/km cruise and 13.97 %/min
hover; BATTERY_STATUS over the legs 27.06 %/km (881 mAh/km at 10 m/s) and 14.0 %/min
(468 mAh/min); the 5.9-minute, 2 km flight used 87 % (2856 mAh of a 3300 mAh pack).

And a whole patrol flown by the station on SITL (`ecopatrol serve --mavlink tcp:...`, a
150 m x 130 m coverage at 50 m swath, 8 m/s, 1.03 km planned): preflight with the configured
1500 s endurance said 14 % for the sortie; the flight used 71 % (2314 mAh in 296 s). Learned from
it: 50.8 %/km cruise (upper 55.9) and 13.8 %/min hover (upper 15.1): on 130 m passes ArduCopter
stops at every waypoint, so a km of such a patrol costs about twice a km of straight flight.
The next preflight refused the sortie at 29 % (103 % needed) and the same plan made for the
drone split into 2 sorties.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass, field

from groundstation.db.models import Flight
from groundstation.errors import GroundStationError
from groundstation.link import Fleet, LinkConfig, VehicleHandle, VehicleState
from groundstation.patrol.battery import flight_rates
from groundstation.patrol.flight_log import FlightLog
from groundstation.patrol.track_recorder import TrackRecorder, haversine_m

ALT_M = 30.0
M_PER_DEG_LAT = 111_195.0


@dataclass
class Recording:
    recorder: TrackRecorder = field(default_factory=lambda: TrackRecorder(1, 1, 0.2))
    log: FlightLog = field(default_factory=FlightLog)
    last: VehicleState | None = None

    async def follow(self, handle: VehicleHandle) -> None:
        async for st in handle.states():
            self.last = st
            if st.armed and self.recorder.add(st):
                self.log.add(
                    st.time_boot_s,
                    st.battery_pct,
                    st.battery_consumed_mah,
                    self.recorder.distance_m,
                )


def mark(st: VehicleState) -> tuple[float, float, float, float, float]:
    """(vehicle time s, battery %, mAh consumed, lat, lon) now."""
    assert st.position is not None
    return (
        st.time_boot_s or math.nan,
        st.battery_pct if st.battery_pct is not None else math.nan,
        st.battery_consumed_mah if st.battery_consumed_mah is not None else math.nan,
        st.position.lat_deg,
        st.position.lon_deg,
    )


async def hover(handle: VehicleHandle, seconds: float) -> None:
    start = handle.state.time_boot_s or 0.0
    await handle.wait_for(lambda s: (s.time_boot_s or 0.0) >= start + seconds, 600)


async def fly_to(handle: VehicleHandle, lat: float, lon: float) -> None:
    await handle.goto(lat, lon, ALT_M)

    def there(s: VehicleState) -> bool:
        p = s.position
        return p is not None and haversine_m(p.lat_deg, p.lon_deg, lat, lon) < 3.0

    await handle.wait_for(there, 600)


async def flight(
    handle: VehicleHandle, rec: Recording
) -> dict[str, tuple[float, float, float, float, float]]:
    deadline = time.monotonic() + 300
    await handle.wait_for(lambda s: s.position is not None and s.battery_pct is not None, 120)
    while True:  # SITL arms once its EKF and GPS have settled
        try:
            await handle.set_mode("GUIDED")
            await handle.arm()
            break
        except GroundStationError as exc:
            if time.monotonic() > deadline:
                raise
            print(f"not armable yet: {exc}")
            await asyncio.sleep(3)
    await handle.takeoff(ALT_M)
    await handle.wait_for(
        lambda s: s.position is not None and s.position.alt_rel_m > ALT_M - 1, 300
    )
    marks = {"hover_start": mark(handle.state)}
    await hover(handle, 60.0)
    marks["hover_end"] = mark(handle.state)
    home = handle.state.position
    assert home is not None
    await fly_to(handle, home.lat_deg + 1000.0 / M_PER_DEG_LAT, home.lon_deg)
    marks["out_end"] = mark(handle.state)
    await fly_to(handle, home.lat_deg, home.lon_deg)
    await hover(handle, 30.0)
    await handle.land()
    await handle.wait_for(lambda s: not s.armed, 600)
    marks["landed"] = mark(handle.state)
    return marks


def report(rec: Recording, marks: dict[str, tuple[float, float, float, float, float]]) -> None:
    log = rec.log
    row = Flight(vehicle_id=1, airframe="")
    row.distance_m = rec.recorder.distance_m
    log.to_row(row)
    rates = flight_rates(row)
    print(
        f"flight: {log.flight_s / 60:.1f} min, {rec.recorder.distance_m:.0f} m; cruise "
        f"{log.cruise_s:.0f} s {log.cruise_m:.0f} m {log.cruise_mah:.0f} mAh, hover "
        f"{log.hover_s:.0f} s {log.hover_mah:.0f} mAh; battery {log.start_pct} -> {log.end_pct} %"
    )
    print(
        f"learned (this flight): {rates.cruise_pct_per_km:.3f} %/km cruise, "
        f"{rates.hover_pct_per_min:.3f} %/min hover"
    )
    h0, h1, o1 = marks["hover_start"], marks["hover_end"], marks["out_end"]
    minutes = (h1[0] - h0[0]) / 60.0
    km = haversine_m(h1[3], h1[4], o1[3], o1[4]) / 1000.0
    print(
        f"BATTERY_STATUS, hover minute: {(h0[1] - h1[1]) / minutes:.3f} %/min "
        f"({(h1[2] - h0[2]) / minutes:.0f} mAh/min over {minutes:.2f} min)"
    )
    print(
        f"BATTERY_STATUS, 1 km out: {(h1[1] - o1[1]) / km:.3f} %/km "
        f"({(o1[2] - h1[2]) / km:.0f} mAh/km over {km:.3f} km, {o1[0] - h1[0]:.0f} s, "
        "acceleration and braking included)"
    )
    total = marks["landed"]
    used_pct = log.start_pct - total[1] if log.start_pct is not None else math.nan
    used_mah = total[2] - (log.start_mah or 0.0)
    pack = used_mah / max(used_pct, 1e-9) * 100
    print(f"whole flight: {used_pct:.0f} % and {used_mah:.0f} mAh ({pack:.0f} mAh per 100 %)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connect", default="tcp:127.0.0.1:5890")
    args = parser.parse_args()
    fleet = Fleet([LinkConfig(url=args.connect)])
    async with fleet:
        async for sysid in fleet.new_vehicles():
            handle = fleet.vehicle(sysid)
            break
        rec = Recording()
        follower = asyncio.create_task(rec.follow(handle))
        try:
            marks = await flight(handle, rec)
        finally:
            follower.cancel()
        report(rec, marks)


if __name__ == "__main__":
    asyncio.run(main())
