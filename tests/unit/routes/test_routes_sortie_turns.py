"""Sorties count the time a copter loses at sharp turns against its battery."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from shapely.geometry import LineString, Point

from routes.connect import StraightConnector
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


def test_duration_adds_the_time_lost_at_each_sharp_turn() -> None:
    """A sortie's duration is its length at cruise speed plus turn_s per turn over 60°."""
    route = Route((Leg(LineString([(0, 0), (100, 0), (100, 100), (130, 140)])),))
    slow = BatteryModel(cruise_speed_m_s=10, takeoff_landing_s=0, turn_s=3.0)
    free = BatteryModel(cruise_speed_m_s=10, takeoff_landing_s=0, turn_s=0.0)
    length_s = route.length_m / 10
    assert Sortie(route).duration_s(free) == pytest.approx(length_s)
    # one turn of 90°, then one of 37°: one sharp turn
    assert Sortie(route).duration_s(slow) == pytest.approx(length_s + 3.0)


def test_a_route_full_of_turns_needs_more_sorties_each_within_the_battery() -> None:
    """Turns eat battery: a zigzag splits into more sorties when turns cost time, and every
    sortie, turns included, keeps the reserve."""
    route = Route((Leg(_zigzag(2000.0, 40.0)),))
    station = Point(-50, -50)
    common: dict[str, Any] = {"cruise_speed_m_s": 10.0, "endurance_s": 900.0, "reserve_frac": 0.2,
              "max_mission_items": 1000, "takeoff_landing_s": 0.0}  # fmt: skip
    free = split_sorties(route, station, StraightConnector(), BatteryModel(**common, turn_s=0))
    costly = BatteryModel(**common, turn_s=4.0)
    turning = split_sorties(route, station, StraightConnector(), costly)
    assert len(turning) > len(free)
    for s in turning:
        assert s.duration_s(costly) <= 900.0 * 0.8 + 1e-6
    swept = sum(s.route.sweep_length_m for s in turning)
    assert swept == pytest.approx(route.sweep_length_m, rel=1e-6)


@pytest.mark.parametrize(("turn_s", "pattern"), [(0.0, "channel"), (8.0, "parallel")])
def test_the_pattern_is_chosen_at_the_price_the_sorties_pay_for_turns(
    turn_s: float, pattern: str
) -> None:
    """The coverage pattern is compared with turns priced as the drone's battery model times
    them: on an L at 100 m, the loops (shorter, more corners) when turns are free, the
    back-and-forth cells (longer, fewer corners) when a turn costs 8 s (80 m at 10 m/s)."""
    battery = BatteryModel(cruise_speed_m_s=10.0, turn_s=turn_s)
    params = PatrolParams(altitude_m=60.0, swath_width_m=100.0, battery=battery)
    plan = plan_coverage(l_shape(), params=params)
    assert f"coverage strategy: {pattern}" in plan.notes


def test_a_tour_keeps_the_reserve_with_its_turns_counted() -> None:
    """A two-drone tour of 25 seeded hotspots, with 6 s lost at each sharp turn, plans no
    sortie that eats into the reserve once its turns are timed (the tour's solver counts a
    turn at every hotspot; without them a sortie here ran 25 s into the reserve)."""
    rng = np.random.default_rng(7)
    spots = [
        Hotspot(f"h{i}", Point(p), priority=int(rng.integers(1, 6)), loiter_s=30.0)
        for i, p in enumerate(rng.uniform(-3000, 3000, (25, 2)))
    ]
    battery = BatteryModel(cruise_speed_m_s=10, endurance_s=1500, reserve_frac=0.2, turn_s=6.0)
    params = PatrolParams(altitude_m=50, battery=battery, drones=2)
    plan = plan_tour(spots, station=Point(0, 0), params=params)
    assert plan.sorties
    for sortie in plan.sorties:
        assert sortie.duration_s(battery) <= battery.endurance_s * (1 - battery.reserve_frac)
