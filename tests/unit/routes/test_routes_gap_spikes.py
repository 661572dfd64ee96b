"""Small gaps left between loops are flown as spikes, and a stretch needing an odd number of
passes costs one pass more, not two."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from routes.connect import StraightConnector
from routes.coverage import ChannelCoverage, plan_coverage_path
from routes.gapfill import spike, uncovered
from routes.geometry import covered_fraction, outside_length

WIDTH = 150.0


def three_arms() -> Polygon:
    """Three channels 300 m wide (two passes each) meeting at 120 degrees: the loop round them
    leaves a gap where they meet and at the square corners of their ends."""
    arms = [
        LineString([(0, 0), (1500 * math.cos(a), 1500 * math.sin(a))])
        for a in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3, math.pi / 2 + 4 * math.pi / 3)
    ]
    water = shapely.union_all([a.buffer(150, cap_style="flat") for a in arms])
    assert isinstance(water, Polygon)
    return water


def odd_stretch() -> Polygon:
    """A 4 km strip 280 m wide (two passes at 150 m), 400 m wide (three) over 1.6 km in the
    middle."""
    x = np.linspace(0, 4000, 81)
    half = np.where((x > 1200) & (x < 2800), 200.0, 140.0)
    half = np.convolve(np.pad(half, 5, mode="edge"), np.ones(11) / 11, mode="valid")
    return Polygon(np.vstack([np.column_stack([x, half]), np.column_stack([x[::-1], -half[::-1]])]))


def test_spike_covers_the_piece_from_the_line() -> None:
    """A spike starts and ends on the flown line and brings the whole piece within half a
    swath, reaching no further than its far edge needs."""
    line = LineString([(0, 0), (1000, 0)])
    piece = box(400, 80, 470, 120)
    out = spike(piece, line, box(-100, -100, 1100, 400), WIDTH, reach_m=200)
    assert out is not None
    assert out.coords[0] == out.coords[-1]
    assert line.distance(Point(out.coords[0])) < 1e-9
    assert uncovered(piece, [out, line], WIDTH).area < 1e-6 * piece.area
    assert out.length / 2 < 120


def test_spike_is_none_out_of_reach_or_out_of_the_water() -> None:
    """No spike when the piece is farther than the reach allows, or when reaching it would
    leave the water."""
    line = LineString([(0, 0), (1000, 0)])
    piece = box(400, 300, 470, 340)
    assert spike(piece, line, box(-100, -100, 1100, 500), WIDTH, reach_m=100) is None
    water = box(-100, -100, 1100, 500).difference(box(0, 20, 1000, 250))
    assert spike(piece, line, water, WIDTH, reach_m=500) is None


def test_gaps_where_loops_meet_are_spiked_not_reached_by_hops() -> None:
    """On three arms meeting, every gap the loop leaves is flown as an out-and-back from the
    loop: no transit leg to reach a gap pass and none to come back, and the plan covers."""
    water = three_arms()
    chunks = ChannelCoverage().chunks(water, WIDTH, StraightConnector())
    assert uncovered(water, [c.sweeps for c in chunks], WIDTH).area > 0.005 * water.area
    result = plan_coverage_path(water, WIDTH)
    assert result.strategy == "channel"
    assert result.covered_frac >= 0.995
    assert outside_length(result.route.line(), water) == 0.0
    assert max(leg.length_m for leg in result.route.legs if leg.kind == "transit") < 1.0
    sweeps = [leg.line for leg in result.route.legs if leg.kind == "sweep"]
    spikes = [s for s in sweeps if len(s.coords) == 3 and s.coords[0] == s.coords[-1]]
    assert len(spikes) >= 4


def test_a_stretch_needing_an_odd_count_costs_one_pass_more() -> None:
    """On a strip needing three passes over one stretch and two elsewhere the loop is flown
    round and the middle pass once, the route ending on it (the one stretch a path may cross
    an odd number of times): no transit back along the stretch."""
    water = odd_stretch()
    result = plan_coverage_path(water, WIDTH)
    line = result.route.line()
    assert covered_fraction(line, water, WIDTH) >= 0.995
    transits = [leg.length_m for leg in result.route.legs if leg.kind == "transit"]
    assert max(transits, default=0.0) < WIDTH
    loop = ChannelCoverage().chunks(water, WIDTH, StraightConnector())[0].variants[0]
    # the loop, the 1.6 km middle pass flown once, the short spikes into the strip's corners
    assert result.route.length_m < loop.length + 1600 + 4 * WIDTH
