"""A canal narrower than the swath is flown once along its length (issue 22, point 2)."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import LineString

from routes.coverage import ChannelCoverage, plan_coverage_path
from routes.geometry import turns
from routes.testing import canal

CANAL = canal()  # 7 km, 110 m wide, a 300 x 220 m lock basin half way


def _crossings(path: LineString, x: float) -> int:
    """How many times ``path`` crosses the canal's cross-section at ``x`` (the canal's centre
    line is y = 400 sin(2 pi t) t over x = 7000 t)."""
    t = x / 7000
    y = 400 * np.sin(2 * np.pi * t) * t
    section = LineString([(x, y - 150), (x, y + 150)]).intersection(CANAL)
    hits = path.intersection(section)
    return len(getattr(hits, "geoms", [hits])) if not hits.is_empty else 0


@pytest.mark.parametrize("strategies", [None, [ChannelCoverage()]], ids=["auto", "channel"])
def test_a_canal_narrower_than_the_swath_gets_one_pass_along_it(strategies) -> None:
    """At a 150 m swath the 110 m canal is one pass from end to end, round the basin on the
    way: every cross-section away from the basin is crossed once, nothing is flown back and
    the path does not zigzag. (The pass was cut in two by the basin's loop and one half flown
    out and back: 2.0 x area / swath on the channel pattern; the planner kept passes across
    the canal instead, 96 turns; now 1.41 and 7 turns.)"""
    result = plan_coverage_path(CANAL, 150, strategies=strategies)
    path = result.route.line()
    assert result.covered_frac >= 0.995
    for x in np.arange(100, 6950, 250):
        if abs(x - 3500) > 400:
            assert _crossings(path, float(x)) == 1, f"cross-section at x={x:.0f} m"
    assert path.length < 7000 + 800  # the basin is 300 m long: its loop and the hops to it
    assert turns(path) < 20
    assert path.length / (CANAL.area / 150) < 1.45


def test_a_plain_canal_narrower_than_the_swath_is_planned_not_refused() -> None:
    """Without a basin the canal is 110 m wide everywhere: a 150 m swath is one straight run
    along it (it was refused as wider than the area)."""
    plain = LineString([(0, 0), (3000, 0)]).buffer(55, cap_style="flat")
    result = plan_coverage_path(plain, 150)
    path = result.route.line()
    assert result.covered_frac >= 0.995
    assert path.length == pytest.approx(3000, abs=2 * 55)
    assert len(result.route.legs) == 1


def test_a_river_loop_is_not_flown_twice_for_gap_passes_at_its_two_ends() -> None:
    """The Longyou water surface at 150 m is one loop with small gap passes at its ends: a
    pass is flown before a loop only where the two passes meet it close together (a basin),
    not at the river's two ends, 27 km apart along the loop (1.49 x area / swath when half
    the loop was flown again; 1.02 without)."""
    import shapely

    from geodata.site import load_site

    site = load_site()
    water = site.area("water_surface", local=True).difference(
        shapely.union_all(site.no_fly(local=True))
    )
    result = plan_coverage_path(water, 150, strategies=[ChannelCoverage()])
    assert result.covered_frac >= 0.995
    assert result.route.line().length / (water.area / 150) < 1.05
