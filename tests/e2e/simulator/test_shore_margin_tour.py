"""Seeded far-hotspot tours in an offshore wind: with the margin watch every drone comes back
to land with its reserve; without it, the same runs end over water.

Each run flies the simulator's flight model and battery (simulator.Autopilot, manual clock)
from the Longyou station to a hotspot on the Qu river 5.3-7.6 km out, in an 8 m/s wind blowing
from the station's side (a tailwind out, a headwind back), with a seeded battery sag (a cold or
failing pack) early in the flight, and hovers there watching until it is sent home:

- *watch on*: the station's decision logic (:class:`~groundstation.safety.watch.VehicleWatch`
  on the vehicle's state and its WIND, as the service runs it) sends it home (RTL) when the
  reach-the-shore margin turns critical;
- *watch off*: it stays until the vehicle's own battery failsafe (BATT_LOW 15 %: RTL; 8 %: LAND).

This drives the watch in-process on the flight model (40 runs take about a minute), not over
UDP: the service path of the automatic return is ``tests/e2e/service/test_safety_e2e.py``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache

import pytest

from geodata.site import load_site
from groundstation.link.vehicle import LANDED_STATES, Position, VehicleState
from groundstation.safety.config import SafetySettings
from groundstation.safety.margin import EnergyRates
from groundstation.safety.site_facts import SiteFacts
from groundstation.safety.watch import VehicleWatch
from routes.types import BatteryModel
from simulator.autopilot import Autopilot
from simulator.modes import RTL
from simulator.telemetry import wind

pytestmark = pytest.mark.e2e

RUNS = 20
STATION = (29.05253, 119.181841, 40.0)
#: hotspots on the water, east of the station (lat, lon), 5.3 to 7.6 km out
HOTSPOTS = ((29.06387, 119.235), (29.06426, 119.24), (29.06705, 119.245), (29.07052, 119.25),
            (29.07522, 119.255))  # fmt: skip
SETTINGS = SafetySettings()
#: the station's model of this airframe: the simulator's pack lasts 3,600 s at 10 m/s
RATES = EnergyRates.from_model(
    BatteryModel(cruise_speed_m_s=10.0, endurance_s=3600.0), SETTINGS.drag_frac
)


@cache
def _facts() -> SiteFacts:
    return SiteFacts.from_site(load_site())


@dataclass(frozen=True)
class Outcome:
    seed: int
    landed_on_water: bool
    ran_out: bool
    battery_pct: float
    minutes: float

    @property
    def safe(self) -> bool:
        return not self.landed_on_water and not self.ran_out


def _state(ap: Autopilot) -> VehicleState:
    s = ap.state
    w = wind(ap)
    return VehicleState(
        1, 1, position=Position(s.lat_deg, s.lon_deg, s.alt_msl_m, s.alt_rel_m),
        battery_pct=float(round(s.battery_pct)), voltage_v=s.battery_v, mode=s.mode,
        armed=s.armed, gps_fix=s.gps_fix, satellites=16, hdop=0.7,
        landed_state=LANDED_STATES.get(s.landed_state, "undefined"),
        wind_speed_m_s=w.speed, wind_dir_deg=w.direction % 360.0,
    )  # fmt: skip


def _tour(seed: int, watch_on: bool) -> Outcome:
    rng = random.Random(seed)
    lat, lon = HOTSPOTS[rng.randrange(len(HOTSPOTS))]
    facts = _facts()
    hx, hy = facts.to_local(lon, lat)
    sx, sy = facts.to_local(STATION[1], STATION[0])
    out_deg = math.degrees(math.atan2(hx - sx, hy - sy))
    sag_at_s, sag_pct = rng.uniform(120.0, 600.0), rng.uniform(5.0, 20.0)
    ap = Autopilot(1, STATION, seed=seed)
    ap.params.set("SIM_WIND_SPD", 8.0)
    ap.params.set("SIM_WIND_DIR", (out_deg + 180.0 + rng.uniform(-20.0, 20.0)) % 360.0)
    ap.params.set("SIM_WIND_TURB", 1.0)
    ap.update(2.0)
    assert ap.set_mode(4) is None  # GUIDED
    assert ap.arm() is None
    assert ap.guided_takeoff(30.0) is None
    watch = VehicleWatch(SETTINGS, facts, RATES, clock=lambda: ap.t)
    t0, sagged, sent_home, ran_out = ap.t, False, False, False
    going = False
    while ap.armed and ap.t - t0 < 3 * 3600:
        ap.update(ap.t + 1.0)
        ap.drain()
        if not going and ap.frame.up_m > 25.0:
            assert ap.goto(lat, lon, 30.0, None) is None
            going = True
        if not sagged and ap.t - t0 >= sag_at_s:
            ap.battery.sag(sag_pct)
            sagged = True
        if ap.battery.remaining_pct <= 0.0 and not ap.frame.on_ground:
            ran_out = True
            break
        if watch_on and not sent_home:
            changes = watch.check(_state(ap))
            if any(c.raised and c.finding.kind == "margin_critical" for c in changes):
                assert ap.set_mode(RTL) is None
                sent_home = True
    x, y = facts.to_local(*reversed(ap.latlon()))
    return Outcome(
        seed, facts.on_water(x, y), ran_out, ap.battery.remaining_pct, (ap.t - t0) / 60.0
    )


def test_the_margin_watch_brings_every_drone_back_to_land_with_its_reserve() -> None:
    """20 seeded tours: watch on, all land on land with >= the reserve; off, some do not."""
    on = [_tour(seed, watch_on=True) for seed in range(RUNS)]
    off = [_tour(seed, watch_on=False) for seed in range(RUNS)]
    for o in on:
        print(f"watch on  seed {o.seed}: {o.battery_pct:.1f} % after {o.minutes:.0f} min")
    for o in off:
        print(f"watch off seed {o.seed}: water={o.landed_on_water} out={o.ran_out} "
              f"{o.battery_pct:.1f} % after {o.minutes:.0f} min")  # fmt: skip
    assert all(o.safe for o in on), [o for o in on if not o.safe]
    assert all(o.battery_pct >= SETTINGS.reserve_pct for o in on), min(o.battery_pct for o in on)
    assert any(not o.safe for o in off), "without the watch every tour came back: too easy"
