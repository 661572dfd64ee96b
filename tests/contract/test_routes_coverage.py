"""Coverage and sortie checkers, run against every coverage strategy and canonical shape."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from shapely.geometry import Point

from routes.connect import VisibilityConnector
from routes.coverage import (
    ChannelCoverage,
    ParallelCoverage,
    WavefrontCoverage,
    join_region,
    plan_coverage_path,
)
from routes.geometry import covered_fraction, outside_length, polygons
from routes.pipeline import PatrolParams, plan_coverage
from routes.sorties import ITEM_OVERHEAD, split_sorties
from routes.testing import random_lake
from routes.types import BatteryModel
from tests.geometries import CANONICAL, WIDTH_M

STRATEGIES = [ChannelCoverage(), WavefrontCoverage(), ParallelCoverage()]
SHAPES = list(CANONICAL.items())


@pytest.fixture(scope="module", params=STRATEGIES, ids=lambda s: s.name)
def strategy(request):
    return request.param


@pytest.mark.parametrize(("name", "area"), SHAPES, ids=[n for n, _ in SHAPES])
def test_coverage_path_covers_and_stays_inside(strategy, name, area) -> None:
    """Every strategy covers >= 99.5 %, sweeps inside the area, and no join crosses a hole.

    A connected area is never left at all; separate ponds are joined over land.
    """
    result = plan_coverage_path(area, WIDTH_M, strategies=[strategy])
    path = result.route.line()
    assert result.strategy == strategy.name
    assert covered_fraction(path, area, WIDTH_M) >= 0.995
    assert outside_length(result.route.sweeps(), area) == 0.0
    assert outside_length(path, join_region(area)) == 0.0
    if len(polygons(area)) == 1:
        assert outside_length(path, area) == 0.0


@pytest.mark.parametrize(("name", "area"), SHAPES, ids=[n for n, _ in SHAPES])
def test_consecutive_legs_join(strategy, name, area) -> None:
    """Each leg starts exactly where the previous one ended."""
    route = plan_coverage_path(area, WIDTH_M, strategies=[strategy]).route
    for prev, leg in zip(route.legs, route.legs[1:], strict=False):
        assert Point(prev.line.coords[-1]).distance(Point(leg.line.coords[0])) < 1e-6


@pytest.mark.parametrize(("name", "area"), SHAPES, ids=[n for n, _ in SHAPES])
def test_best_strategy_is_the_cheapest(name, area) -> None:
    """With both strategies the kept plan is the one of lowest cost."""
    result = plan_coverage_path(area, WIDTH_M)
    assert set(result.costs) == {"channel", "wavefront", "parallel"}
    assert result.costs[result.strategy] == min(result.costs.values())


@pytest.mark.parametrize(("name", "area"), SHAPES, ids=[n for n, _ in SHAPES])
def test_sorties_fit_the_battery_and_the_memory(name, area) -> None:
    """Sorties start and end at the station, keep the reserve, fit the memory, lose no sweep."""
    station = Point(-40, -40)
    battery = BatteryModel(cruise_speed_m_s=10, endurance_s=450, reserve_frac=0.2,
                           max_mission_items=40, takeoff_landing_s=30)  # fmt: skip
    route = plan_coverage_path(area, WIDTH_M, start=station).route
    region = shapely_box_around(area, station)
    sorties = split_sorties(route, station, VisibilityConnector(region), battery)
    budget_m = battery.usable_s * battery.cruise_speed_m_s
    assert len(sorties) >= math.ceil(route.sweep_length_m / budget_m)
    for s in sorties:
        line = s.route.line()
        assert Point(line.coords[0]).equals(station)
        assert Point(line.coords[-1]).equals(station)
        assert s.duration_s(battery) <= battery.endurance_s * (1 - battery.reserve_frac) + 1e-6
        waypoints = sum(len(leg.line.coords) for leg in s.route.legs if leg.kind == "sweep")
        assert waypoints <= battery.max_mission_items - ITEM_OVERHEAD + 2 * len(s.route.legs)
    swept = sum(s.route.sweep_length_m for s in sorties)
    assert swept == pytest.approx(route.sweep_length_m, rel=1e-6)


def shapely_box_around(area, station):
    from shapely.geometry import box

    minx, miny, maxx, maxy = area.bounds
    return box(min(minx, station.x) - 100, min(miny, station.y) - 100, maxx + 100, maxy + 100)


def test_plan_with_station_stays_in_allowed_airspace() -> None:
    """A full plan with a no-fly zone beside the area never flies through the zone."""
    from shapely.geometry import box

    area = CANONICAL["l_shape"]
    zone = box(500, 500, 900, 900)  # in the L's inner corner, between the station and the arm
    params = PatrolParams(altitude_m=60, swath_width_m=WIDTH_M,
                          battery=BatteryModel(10, 900, 0.2, 120, 30))  # fmt: skip
    plan = plan_coverage(area, no_fly=[zone], station=Point(1000, 1000), params=params)
    assert plan.stats.outside_m == 0.0
    for s in plan.sorties:
        assert not s.route.line().crosses(zone)
        assert not s.route.line().within(zone)
        assert s.route.line().intersection(zone).length == 0.0
    assert plan.stats.covered_frac is not None
    assert plan.stats.covered_frac >= 0.995
    assert all(p.area > 0 for p in polygons(plan.area))


LAKE_SEEDS = range(6)


@pytest.mark.parametrize("seed", LAKE_SEEDS)
def test_random_lakes_are_covered_inside(strategy, seed) -> None:
    """On seeded random lakes (bays, necks, islands) at a seeded width of 30-150 m, every
    strategy covers >= 99.5 % (measured on its path), never leaves the water and joins its legs."""
    rng = np.random.default_rng(seed)
    lake = random_lake(rng)
    width = float(rng.uniform(30, 150))
    result = plan_coverage_path(lake, width, strategies=[strategy])
    path = result.route.line()
    assert result.covered_frac >= 0.995
    assert result.covered_frac == pytest.approx(covered_fraction(path, lake, width))
    assert outside_length(path, lake) == 0.0
    for prev, leg in itertools.pairwise(result.route.legs):
        assert Point(prev.line.coords[-1]).distance(Point(leg.line.coords[0])) < 1e-6
