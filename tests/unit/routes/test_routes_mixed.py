"""Passes across the water where it needs an odd number of passes: no stretch flown out and
back, and never chosen where it is slower."""

from __future__ import annotations

import numpy as np
from shapely.geometry import Polygon

from routes.coverage import ChannelCoverage, plan_coverage_path
from routes.geometry import outside_length
from routes.mixed import MixedCoverage
from routes.objectives import FlightTime, PathLength

WIDTH = 150.0


def two_odd_stretches() -> Polygon:
    """A 7 km strip 280 m wide (two passes at 150 m) and 400 m wide (three) over two 1.8 km
    stretches."""
    x = np.linspace(0, 7000, 141)
    wide = ((x > 1000) & (x < 2800)) | ((x > 4200) & (x < 6000))
    half = np.where(wide, 200.0, 140.0)
    half = np.convolve(np.pad(half, 5, mode="edge"), np.ones(11) / 11, mode="valid")
    return Polygon(np.vstack([np.column_stack([x, half]), np.column_stack([x[::-1], -half[::-1]])]))


def test_loops_fly_one_odd_stretch_out_and_back() -> None:
    """The loops alone: a route may end on one stretch's middle pass, the other is flown out
    and back (a transit the length of the stretch)."""
    water = two_odd_stretches()
    result = plan_coverage_path(water, WIDTH, strategies=[ChannelCoverage()])
    transits = [leg.length_m for leg in result.route.legs if leg.kind == "transit"]
    assert max(transits) > 1000


def test_passes_across_fly_no_stretch_out_and_back() -> None:
    """Swapped by length, the second stretch is flown across: no transit back along it, the
    plan shorter than the loops', still covering and inside the water."""
    water = two_odd_stretches()
    loops = plan_coverage_path(water, WIDTH, strategies=[ChannelCoverage()])
    mixed = plan_coverage_path(water, WIDTH, strategies=[MixedCoverage(objective=PathLength())])
    line = mixed.route.line()
    assert mixed.covered_frac >= 0.995
    assert outside_length(line, water) == 0.0
    assert (
        max((leg.length_m for leg in mixed.route.legs if leg.kind == "transit"), default=0.0)
        < WIDTH
    )
    assert mixed.route.length_m < loops.route.length_m


def test_by_flight_time_a_slower_swap_is_not_made() -> None:
    """By flight time (the default) the passes across are slower on this strip, so the mixed
    plan is the loops' plan: never slower than it."""
    water = two_odd_stretches()
    objective = FlightTime()
    loops = plan_coverage_path(water, WIDTH, strategies=[ChannelCoverage()])
    mixed = plan_coverage_path(water, WIDTH, strategies=[MixedCoverage()])
    assert objective.cost(mixed.route.line()) <= objective.cost(loops.route.line()) + 1e-6
