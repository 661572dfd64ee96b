"""Curved coverage passes flown with few corners (`routes.corners.smooth_path`): a round lake's
wavefront passes keep fewer waypoints, fly faster by the speed model and still cover the lake."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from routes.channel import ContourSwaths
from routes.corners import smooth_path
from routes.coverage import WavefrontCoverage, plan_coverage_path
from routes.flight_time import WpNav, path_time_s
from routes.geometry import covered_fraction, outside_length
from routes.objectives import FlightTime
from routes.wavefront import WavefrontSwaths

NAV = WpNav()
WIDTH_M = 80.0


def _lake() -> Polygon:
    """A round lake 1.2 km across, its shore traced every 10 m or so."""
    t = np.linspace(0, 2 * math.pi, 377, endpoint=False)
    return Polygon(np.column_stack([600 * np.cos(t), 600 * np.sin(t)]))


def _fronts(frac: float) -> list[LineString]:
    runs = WavefrontSwaths(smooth_frac=frac).runs(_lake(), WIDTH_M)
    return [p.front for run in runs for p in run]


def test_a_round_lakes_passes_have_fewer_waypoints_and_fly_faster() -> None:
    """Each pass (an arc round the far end) loses waypoints, flies no slower, stays within the
    tolerance of its traced front and inside the lake; all of them fly faster by the model."""
    raw, smooth = _fronts(0.0), _fronts(0.05)
    assert len(raw) == len(smooth) > 10
    lake = _lake()
    for r, s in zip(raw, smooth, strict=True):
        assert len(s.coords) <= len(r.coords)
        assert path_time_s(s, NAV) <= path_time_s(r, NAV) + 1e-9
        assert shapely.hausdorff_distance(r, s, densify=0.25) <= 0.05 * WIDTH_M + 1e-6
        assert lake.covers(s)
        assert s.coords[0] == r.coords[0]
        assert s.coords[-1] == r.coords[-1]
    assert sum(len(s.coords) for s in smooth) < 0.6 * sum(len(r.coords) for r in raw)
    assert sum(path_time_s(s, NAV) for s in smooth) < 0.9 * sum(path_time_s(r, NAV) for r in raw)


def test_the_smoothed_plan_is_faster_and_still_covers_the_lake() -> None:
    """The whole wavefront plan, passes smoothed, flies faster than with the traced passes
    and covers at least 99.7 % of the lake without leaving it."""
    lake = _lake()
    objective = FlightTime(NAV)
    plans = {
        frac: plan_coverage_path(
            lake, WIDTH_M, strategies=[WavefrontCoverage(swaths=WavefrontSwaths(smooth_frac=frac))]
        ).route.line()
        for frac in (0.0, 0.05)
    }
    assert objective.cost(plans[0.05]) < objective.cost(plans[0.0])
    assert covered_fraction(plans[0.05], lake, WIDTH_M) >= 0.997
    assert outside_length(plans[0.05], lake) < 0.01


def test_a_straight_or_short_path_is_left_as_it_is() -> None:
    """Nothing to gain: a path already straight or with two points comes back unchanged."""
    straight = np.array([(0.0, 0.0), (300.0, 0.0), (600.0, 0.0)])
    assert smooth_path(straight, NAV, tol_m=4.0).tolist() == straight.tolist()
    two = np.array([(0.0, 0.0), (10.0, 0.0)])
    assert smooth_path(two, NAV, tol_m=4.0).tolist() == two.tolist()


def test_a_round_lakes_loops_smoothed_have_fewer_waypoints_and_fly_faster() -> None:
    """Channel loops round a lake, smoothed within 2 % of a width: fewer waypoints, faster by
    the model, still closed, inside the lake and within the tolerance of the plain loops."""
    lake = _lake()
    plain = ContourSwaths().generate(lake, WIDTH_M, 0.0)
    smooth = ContourSwaths(smooth_frac=0.02).generate(lake, WIDTH_M, 0.0)
    assert len(plain) == len(smooth) > 3
    for p, s in zip(plain, smooth, strict=True):
        assert s.closed
        assert s.path.coords[0] == s.path.coords[-1]
        assert lake.covers(s.path)
        assert shapely.hausdorff_distance(p.path, s.path, densify=0.25) <= 0.02 * WIDTH_M + 1e-6
    assert sum(len(s.path.coords) for s in smooth) < sum(len(p.path.coords) for p in plain)
    time_s = sum(path_time_s(s.path, NAV) for s in smooth)
    assert time_s < 0.9 * sum(path_time_s(p.path, NAV) for p in plain)
