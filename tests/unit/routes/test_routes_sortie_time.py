"""Sorties and patterns are timed by the autopilot's speed profile (`routes.flight_time`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from shapely.geometry import LineString, Point

from routes.connect import StraightConnector
from routes.flight_time import corner_loss_s, path_time_s, stop_s
from routes.objectives import FlightTime
from routes.pipeline import PatrolParams, plan_coverage
from routes.sorties import split_sorties
from routes.testing import l_shape
from routes.tour import Hotspot, plan_tour
from routes.types import BatteryModel, Leg, Route, Sortie


def _zigzag(length_m: float, step_m: float) -> LineString:
    """Back and forth across a 100 m strip, ``step_m`` apart: two square turns per pass."""
    coords, x, up = [], 0.0, True
    while x <= length_m:
        ys = (0.0, 100.0) if up else (100.0, 0.0)
        coords += [(x, ys[0]), (x, ys[1])]
        x += step_m
        up = not up
    return LineString(coords)


def test_duration_is_the_speed_profile_plus_loiters_take_off_and_landing() -> None:
    """A sortie lasts its path by the speed profile (start, corners, stop), its loiters (each
    also a stop) and the take-off and landing."""
    battery = BatteryModel(cruise_speed_m_s=10, takeoff_landing_s=30)
    nav = battery.nav
    path = [(0, 0), (1000, 0), (1000, 1000)]
    route = Route((Leg(LineString(path)),))
    flown = 2000 / 10 + stop_s(nav) + corner_loss_s(90, nav)
    assert Sortie(route).duration_s(battery) == pytest.approx(flown + 30, abs=1e-6)
    halt = Leg(LineString([(1000, 0), (1000, 0)]), "loiter", loiter_s=20.0)
    legs = (Leg(LineString(path[:2])), halt, Leg(LineString(path[1:])))
    # stopping at the corner: a full stop in place of the corner's loss, plus the loiter
    stopped = 2000 / 10 + 2 * stop_s(nav) + 20 + 30
    assert Sortie(Route(legs)).duration_s(battery) == pytest.approx(stopped, abs=1e-6)


def test_a_route_full_of_turns_needs_more_sorties_each_within_the_battery() -> None:
    """Corners eat battery: a zigzag splits into more sorties for a copter that brakes hard
    for them than for one that cuts them wide, and every sortie keeps the reserve."""
    route = Route((Leg(_zigzag(2000.0, 40.0)),))
    station = Point(-50, -50)
    common: dict[str, Any] = {"cruise_speed_m_s": 10.0, "endurance_s": 900.0, "reserve_frac": 0.2,
              "max_mission_items": 1000, "takeoff_landing_s": 0.0}  # fmt: skip
    brisk = BatteryModel(**common, accel_m_s2=5.0, wp_radius_m=10.0)
    sluggish = BatteryModel(**common, accel_m_s2=0.5, wp_radius_m=0.5)
    quick = split_sorties(route, station, StraightConnector(), brisk)
    slow = split_sorties(route, station, StraightConnector(), sluggish)
    assert len(slow) > len(quick)
    for s in slow:
        assert s.duration_s(sluggish) <= 900.0 * 0.8 + 1e-6
    swept = sum(s.route.sweep_length_m for s in slow)
    assert swept == pytest.approx(route.sweep_length_m, rel=1e-6)


@pytest.mark.parametrize(("accel", "radius"), [(0.5, 0.5), (5.0, 10.0)])
def test_the_pattern_is_chosen_by_the_time_the_sorties_are_timed_by(
    accel: float, radius: float
) -> None:
    """The coverage patterns are compared by the same estimate the sorties are timed with:
    the chosen pattern's cost is its path's flight time at the drone's own WPNAV limits."""
    battery = BatteryModel(cruise_speed_m_s=10.0, accel_m_s2=accel, wp_radius_m=radius)
    params = PatrolParams(altitude_m=60.0, swath_width_m=100.0, battery=battery)
    plan = plan_coverage(l_shape(), params=params)
    chosen = next(n.split(": ")[1] for n in plan.notes if n.startswith("coverage strategy"))
    cost = next(float(n.split()[-1]) for n in plan.notes if n.startswith(f"{chosen} cost"))
    line = plan.sorties[0].route.line()
    assert cost == pytest.approx(path_time_s(line, battery.nav) * 10.0, abs=1.0)
    assert FlightTime.of(battery).cost(line) == pytest.approx(cost, abs=1.0)


def test_a_tour_keeps_the_reserve_with_its_stops_counted() -> None:
    """A two-drone tour of 25 seeded hotspots plans no sortie that eats into the reserve once
    it is timed by the speed profile, stopping at every hotspot it loiters at."""
    rng = np.random.default_rng(7)
    spots = [
        Hotspot(f"h{i}", Point(p), priority=int(rng.integers(1, 6)), loiter_s=30.0)
        for i, p in enumerate(rng.uniform(-3000, 3000, (25, 2)))
    ]
    battery = BatteryModel(cruise_speed_m_s=10, endurance_s=1500, reserve_frac=0.2)
    params = PatrolParams(altitude_m=50, battery=battery, drones=2)
    plan = plan_tour(spots, station=Point(0, 0), params=params)
    assert plan.sorties
    for sortie in plan.sorties:
        assert sortie.duration_s(battery) <= battery.endurance_s * (1 - battery.reserve_frac)
