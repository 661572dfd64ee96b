"""The flight-time estimate follows ArduCopter's speed profile: properties that hold whatever
the path, and what corners, stops and short legs cost."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from routes.errors import PlanningError
from routes.flight_time import WpNav, corner_loss_s, path_time_s, polyline_time_s, stop_s

NAV = WpNav()
LONG_M = 2000.0  # long enough for every leg to reach cruise speed at 15 m/s


def _corner(turn_deg: float, leg_m: float = LONG_M) -> np.ndarray:
    a = math.radians(turn_deg)
    return np.array([(-leg_m, 0.0), (0.0, 0.0), (leg_m * math.cos(a), leg_m * math.sin(a))])


def _rounded(total_deg: float, k: int, spacing_m: float) -> np.ndarray:
    """A corner of ``total_deg`` turned through ``k`` vertices ``spacing_m`` apart."""
    pts, x, y, h = [(-LONG_M, 0.0), (0.0, 0.0)], 0.0, 0.0, 0.0
    for i in range(k):
        h += math.radians(total_deg) / k
        if i < k - 1:
            x, y = x + spacing_m * math.cos(h), y + spacing_m * math.sin(h)
            pts.append((x, y))
    pts.append((x + LONG_M * math.cos(h), y + LONG_M * math.sin(h)))
    return np.array(pts)


def _lost_s(xy: np.ndarray, nav: WpNav = NAV) -> float:
    """Seconds over the path's length at cruise, less the start and the stop."""
    length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    return path_time_s(xy, nav) - length / nav.speed_m_s - stop_s(nav)


@given(st.floats(200, 20_000), st.floats(200, 20_000), st.sampled_from([5.0, 10.0, 15.0]))
def test_a_straight_line_is_flown_at_cruise_between_the_start_and_the_stop(a, b, speed) -> None:
    """Past the start and the stop, a straight line takes its length over the cruise speed,
    and the start and the stop together take one acceleration's time."""
    nav = WpNav(speed_m_s=speed)
    ta = path_time_s(LineString([(0, 0), (a, 0)]), nav)
    tb = path_time_s(LineString([(0, 0), (b, 0)]), nav)
    assert tb - ta == pytest.approx((b - a) / speed, rel=1e-6, abs=1e-6)
    assert ta == pytest.approx(a / speed + stop_s(nav), abs=1e-6)


def test_a_waypoint_on_a_straight_line_costs_nothing() -> None:
    """Waypoints along a straight line far apart are flown through at cruise speed."""
    plain = path_time_s(np.array([(0, 0), (3000, 0)]), NAV)
    dotted = path_time_s(np.array([(0, 0), (1000, 0), (2000, 0), (3000, 0)]), NAV)
    assert dotted == pytest.approx(plain, abs=1e-9)


def test_sharper_corners_cost_more() -> None:
    """A U-turn costs more than a square corner, which costs more than 30 degrees; a bend of a
    few degrees costs nothing (ArduCopter cuts it inside its waypoint radius at full speed);
    nothing costs more than a full stop."""
    u, square, thirty = (corner_loss_s(d, NAV) for d in (180, 90, 30))
    assert stop_s(NAV) >= u > square > thirty > 0
    assert corner_loss_s(3, NAV) == pytest.approx(0.0, abs=1e-9)
    losses = [corner_loss_s(d, NAV) for d in range(0, 181, 5)]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(losses))


@settings(max_examples=30, deadline=None)
@given(st.floats(5, 120), st.floats(1.0, 5.0), st.floats(0.5, 10.0))
def test_corners_cost_less_with_more_acceleration_or_a_wider_radius(turn, accel, radius) -> None:
    """More WPNAV_ACCEL or a wider WPNAV_RADIUS never makes a corner dearer."""
    base = WpNav(accel_m_s2=accel, radius_m=radius)
    brisker = WpNav(accel_m_s2=accel * 1.5, radius_m=radius)
    wider = WpNav(accel_m_s2=accel, radius_m=radius * 2)
    lost = _lost_s(_corner(turn), base)
    assert _lost_s(_corner(turn), wider) <= lost + 1e-9
    assert path_time_s(_corner(turn), brisker) <= path_time_s(_corner(turn), base) + 1e-9


def test_a_corner_rounded_by_small_vertices_far_apart_costs_at_most_the_corner() -> None:
    """A square corner turned through vertices of a few degrees each, far enough apart to
    reach cruise between them, costs no more than the square corner (each small bend is cut
    inside the waypoint radius); through vertices of 30 degrees it costs three 30-degree
    corners: ArduCopter cuts each corner by at most WPNAV_RADIUS, so splitting a corner does
    not by itself make it cheaper, and the estimate says so."""
    square = corner_loss_s(90, NAV)
    assert _lost_s(_rounded(90, 18, 150.0)) <= square
    assert _lost_s(_rounded(90, 9, 150.0)) <= square
    assert _lost_s(_rounded(90, 3, 150.0)) == pytest.approx(3 * corner_loss_s(30, NAV), abs=1e-6)


def test_waypoints_close_together_are_flown_slowly() -> None:
    """Legs too short to reach cruise speed are flown at the top of their own short profile
    (each ArduCopter leg is a rest-to-rest S-curve): a corner rounded through 18 waypoints 5 m
    apart costs more than the square corner it rounds."""
    assert _lost_s(_rounded(90, 18, 5.0)) > corner_loss_s(90, NAV)


def test_a_loiter_is_a_full_stop() -> None:
    """A vertex marked as a stop costs one acceleration's time, even on a straight line."""
    xy = np.array([(0, 0), (1000, 0), (2000, 0)])
    through = polyline_time_s(xy, NAV)
    stopped = polyline_time_s(xy, NAV, np.array([False, True, False]))
    assert through[1] == pytest.approx(0.0, abs=1e-9)
    assert stopped[1] == pytest.approx(stop_s(NAV))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)), min_size=2,
                max_size=30))  # fmt: skip
def test_no_path_is_flown_faster_than_its_length_at_cruise(points) -> None:
    """Whatever the path, its estimate is at least its length at cruise speed, and every
    vertex loses time or none (repeated points included)."""
    xy = np.array(points, dtype=float)
    length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    assert path_time_s(xy, NAV) >= length / NAV.speed_m_s - 1e-9
    assert (polyline_time_s(xy, NAV) >= -1e-9).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"speed_m_s": 0}, "WPNAV_SPEED"), ({"accel_m_s2": -1}, "WPNAV_ACCEL"),
     ({"radius_m": 0}, "WPNAV_RADIUS"), ({"corner_accel_m_s2": -1}, "WPNAV_ACCEL_C")],
)  # fmt: skip
def test_impossible_limits_are_refused(kwargs, match) -> None:
    """Navigation limits that no autopilot has are refused, naming the parameter."""
    with pytest.raises(PlanningError, match=match):
        WpNav(**kwargs)
