"""Wavefront coverage: passes across winding water, split round islands, turns at the banks."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from routes.connect import VisibilityConnector
from routes.coverage import (
    ChannelCoverage,
    CoverageResult,
    WavefrontCoverage,
    plan_coverage_path,
)
from routes.gapfill import uncovered
from routes.geometry import covered_fraction, outside_length, polygons, turns
from routes.objectives import FlightTime
from routes.ordering import Chunk
from routes.testing import winding_river
from routes.wavefront import (
    Pass,
    WavefrontSwaths,
    extend_into_gaps,
    runs,
    tilt_ends,
    trimmed,
    wavefront_levels,
)

#: a straight 3 km channel, 400 m wide, with a 600 m island in the middle
CHANNEL_WITH_ISLAND = Polygon(
    box(0, 0, 3000, 400).exterior, [box(1200, 150, 1800, 250).exterior.coords[::-1]]
)


@pytest.fixture(scope="module")
def river_plans() -> tuple[Polygon, CoverageResult, CoverageResult]:
    """The 20 km winding river of the bench at 80 m: the wavefront plan and the loop plan."""
    river = winding_river()
    wave = plan_coverage_path(river, 80.0, strategies=[WavefrontCoverage()])
    loops = plan_coverage_path(river, 80.0, strategies=[ChannelCoverage()])
    return river, wave, loops


def test_fronts_cross_a_straight_channel_bank_to_bank_a_width_apart() -> None:
    """In a straight channel each front crosses from bank to bank, the next one at most a
    width further along (grid error aside) and not much nearer."""
    area = box(0, 0, 2000, 300)
    levels = wavefront_levels(area, 100.0)
    fronts = [max(pieces, key=lambda p: p.length) for pieces in levels]
    for a, b in itertools.pairwise(fronts[5:]):  # past the corner the water enters by
        ys = [y for _, y in a.coords]
        assert min(ys) < 10
        assert max(ys) > 290
        gap = b.distance(a.interpolate(0.5, normalized=True))
        assert 90.0 < gap <= 101.0


def test_a_front_splits_round_an_island_into_separate_runs() -> None:
    """Round an island the fronts split: the run before, one run per arm, the run after."""
    levels = wavefront_levels(CHANNEL_WITH_ISLAND, 100.0)
    assert max(len(pieces) for pieces in levels) == 2
    chained = runs(levels, 100.0)
    long_runs = [r for r in chained if len(r) >= 3]
    assert len(long_runs) == 4
    arms = [r for r in long_runs if all(1150 <= p.centroid.x <= 1850 for p in r)]
    assert sorted(round(r[0].centroid.y) > 200 for r in arms) == [False, True]
    for run in chained:
        for a, b in itertools.pairwise(run):
            # alike: each piece starts beside the previous one's start
            head = Point(a.coords[0])
            assert head.distance(Point(b.coords[0])) < head.distance(Point(b.coords[-1]))


def test_pass_trimmed_to_the_inset_and_whole_when_none_is_inside() -> None:
    """A front is flown where it is inside the inset; a corner front outside it, whole."""
    front = LineString([(0, 5), (0, 395)])
    inset = box(-10, 30, 10, 370)
    p = trimmed(front, inset)
    assert (p.start_m, p.end_m) == pytest.approx((25.0, 365.0))
    assert p.flown().length == pytest.approx(340.0)
    corner = trimmed(LineString([(0, 0), (5, 5)]), inset)
    assert (corner.start_m, corner.end_m) == pytest.approx((0.0, math.hypot(5, 5)))


def test_tilted_turns_are_wider_and_stay_inside() -> None:
    """Each turn is widened by twice the shift; an end that would leave the area keeps still."""
    up = LineString([(0, 20), (0, 380)])
    down = LineString([(50, 380), (50, 20)])
    area = box(-30, 0, 100, 400)
    a, b = tilt_ends([up, down], 5.0, 25.0, area)
    assert a.coords[-1] == pytest.approx((-5.0, 380.0))
    assert b.coords[0] == pytest.approx((55.0, 380.0))
    assert math.dist(a.coords[-1], b.coords[0]) == pytest.approx(60.0)
    assert a.coords[0] == up.coords[0]  # the far ends do not move
    assert b.coords[-1] == down.coords[-1]
    tight = box(-3, 0, 100, 400)  # no room left of the first pass
    a2, _ = tilt_ends([up, down], 5.0, 25.0, tight)
    assert a2.coords[-1] == up.coords[-1]


def _boustrophedon(passes: list[Pass]) -> LineString:
    flown = [p.flown().reverse() if i % 2 else p.flown() for i, p in enumerate(passes)]
    return LineString([c for line in flown for c in line.coords])


def test_slanted_pass_ends_are_extended_into_the_wedge_ahead() -> None:
    """Where passes meet the shore at a slant, flying their ends on into the wedges ahead
    leaves a fifth less water uncovered along that shore (the corners beside the ends are the
    turns' to cover), and the path stays on the water."""
    area = Polygon([(0, 0), (1000, 0), (1000, 300), (0, 600)])  # top bank slanted
    width = 80.0
    inset = area.buffer(-0.35 * width)
    fronts = [LineString([(x, 4.0), (x, 600 - 0.3 * x - 4.0)]) for x in range(40, 1000, 80)]
    passes = [trimmed(f, inset) for f in fronts]
    before = uncovered(area, [_boustrophedon(passes)], width)
    longer = extend_into_gaps(passes, before, width)
    path = _boustrophedon(longer)
    top = Polygon([(0, 600), (1000, 300), (1000, 200), (0, 500)])  # along the slanted bank
    after = uncovered(area, [path], width)
    assert after.intersection(top).area < 0.8 * before.intersection(top).area
    assert outside_length(path, area) == 0.0
    assert all(
        p.start_m <= q.start_m and p.end_m >= q.end_m for p, q in zip(longer, passes, strict=True)
    )


def test_each_way_round_covers_on_its_own() -> None:
    """A wavefront chunk offers each run both ways round; either, flown alone, covers."""
    area = Polygon([(0, 0), (2000, 0), (2300, 500), (300, 500)])
    chunks = WavefrontCoverage().chunks(area, 80.0, VisibilityConnector(area))
    assert all(len(c.variants) == 4 for c in chunks)
    for k in range(4):
        lines = [c.variants[k] for c in chunks]
        assert uncovered(area, lines, 80.0).area <= 0.005 * area.area
        assert all(outside_length(line, area) == 0.0 for line in lines)


def test_gaps_beside_a_pass_are_left_to_gapfill() -> None:
    """A gap beside a pass (not ahead of its end) moves no end."""
    p = Pass(LineString([(0, 0), (0, 100)]), 10.0, 90.0)
    beside = box(45, 20, 60, 80)
    (same,) = extend_into_gaps([p], beside, 80.0)
    assert (same.start_m, same.end_m) == (10.0, 90.0)


def test_wavefront_covers_a_winding_river_shorter_than_loops(river_plans) -> None:
    """On a winding river the wavefront path covers it, never leaves it, and is shorter than
    the shore-following loops (it pays in turns instead)."""
    river, wave, loops = river_plans
    path = wave.route.line()
    assert covered_fraction(path, river, 80.0) >= 0.995
    assert outside_length(path, river) == 0.0
    assert path.length < 0.98 * loops.route.line().length
    assert turns(path, 60) > turns(loops.route.line(), 60)


def test_estimate_is_close_to_the_real_cost(river_plans) -> None:
    """The quick estimate is within 20 % below the cost of the plan finally made (its passes,
    flown with few corners, are cheap; the gap passes and turns it leaves out weigh more)."""
    river, wave, _ = river_plans
    guess = WavefrontCoverage().estimate(river, 80.0, FlightTime())
    assert 0.80 * wave.costs["wavefront"] <= guess <= 1.02 * wave.costs["wavefront"]


@dataclass(frozen=True)
class _Dear:
    """A strategy whose estimate says it cannot win; its chunks must never be asked for."""

    name: str = "dear"

    def chunks(self, area, width_m, connector) -> list[Chunk]:
        raise AssertionError("a strategy guessed dearer than the best plan was still run")

    def estimate(self, area, width_m, objective) -> float:
        return math.inf


def test_strategy_guessed_dearer_is_skipped_and_reported() -> None:
    """A strategy whose estimate exceeds the best plan's cost is skipped, its cost infinite."""
    result = plan_coverage_path(box(0, 0, 800, 500), 100.0, strategies=[ChannelCoverage(), _Dear()])
    assert result.strategy == "channel"
    assert result.costs["dear"] == math.inf


def test_zero_or_negative_width_is_refused() -> None:
    """A width that is not positive is a ValueError naming it."""
    with pytest.raises(ValueError, match="positive"):
        WavefrontSwaths().generate(box(0, 0, 100, 100), 0.0, 0.0)


def test_separate_ponds_each_get_their_own_fronts() -> None:
    """Two ponds give fronts in both, none joining them over land."""
    ponds = shapely.union_all([box(0, 0, 500, 300), box(800, 0, 1300, 300)])
    # the stage's Protocol says Polygon; the wavefront also splits a MultiPolygon, as tested here
    swaths = WavefrontSwaths().generate(ponds, 60.0, 0.0)  # type: ignore[arg-type]
    for pond in polygons(ponds):
        assert any(pond.covers(s.path) for s in swaths)
    assert all(any(p.covers(s.path) for p in polygons(ponds)) for s in swaths)
