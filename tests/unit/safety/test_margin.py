"""The reach-the-shore margin: properties over random positions, winds and batteries."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from groundstation.safety.margin import EnergyRates, Landable, leg, margin, wind_to
from routes.types import BatteryModel

RATES = EnergyRates.from_model(BatteryModel(cruise_speed_m_s=12.0, endurance_s=1800.0))
HOME = Landable("station", "station", 0.0, 0.0)
RALLY = Landable("rally 1", "rally", 4000.0, 3000.0)

distances = st.floats(min_value=0.0, max_value=30_000.0)
bearings = st.floats(min_value=0.0, max_value=359.9)
winds = st.floats(min_value=0.0, max_value=25.0)
batteries = st.floats(min_value=0.0, max_value=100.0)


def _at(distance_m: float, bearing_deg: float) -> tuple[float, float]:
    b = math.radians(bearing_deg)
    return distance_m * math.sin(b), distance_m * math.cos(b)


@settings(max_examples=300, deadline=None)
@given(distances, distances, bearings, winds, st.floats(0.0, 359.9), batteries)
def test_margin_falls_with_distance(d1, d2, bearing, wind, wind_from, battery):
    """Farther out along the same bearing, in the same wind, the margin is never larger."""
    near, far = sorted((d1, d2))
    w = wind_to(wind, wind_from)
    m_near = margin(_at(near, bearing), [HOME], battery, RATES, 15.0, wind_to_m_s=w)
    m_far = margin(_at(far, bearing), [HOME], battery, RATES, 15.0, wind_to_m_s=w)
    assert m_far.margin_pct <= m_near.margin_pct + 1e-9


@settings(max_examples=300, deadline=None)
@given(distances, bearings, winds, winds, batteries)
def test_margin_falls_with_headwind(distance, bearing, w1, w2, battery):
    """A stronger wind blowing straight against the way home never leaves a larger margin."""
    weak, strong = sorted((w1, w2))
    pos = _at(distance, bearing)
    # the wind blows from home toward the drone: a headwind on the way back
    m_weak = margin(pos, [HOME], battery, RATES, 15.0, wind_to_m_s=wind_to(weak, bearing + 180))
    m_strong = margin(pos, [HOME], battery, RATES, 15.0, wind_to_m_s=wind_to(strong, bearing + 180))
    assert m_strong.margin_pct <= m_weak.margin_pct + 1e-9


@settings(max_examples=300, deadline=None)
@given(distances, bearings, winds, st.floats(0.0, 359.9), batteries, st.floats(0.0, 50.0))
def test_never_positive_out_of_range(distance, bearing, wind, wind_from, battery, reserve):
    """When every landable point costs more than the battery above the reserve, the margin is
    not positive; and a positive margin always means the chosen point is within reach."""
    pos = _at(distance, bearing)
    w = wind_to(wind, wind_from)
    m = margin(pos, [HOME, RALLY], battery, RATES, reserve, wind_to_m_s=w)
    costs = [leg(p.east_m - pos[0], p.north_m - pos[1], RATES, w, 60.0).need_pct
             for p in (HOME, RALLY)]  # fmt: skip
    if min(costs) > battery - reserve:
        assert m.margin_pct <= 0
        assert m.minutes <= 0
    if m.margin_pct > 0:
        assert m.need_pct == min(costs)
        assert m.need_pct < battery - reserve


def test_unreachable_against_a_wind_faster_than_the_airframe():
    """A headwind the airframe cannot beat makes home unreachable: margin -inf."""
    m = margin((0.0, 5000.0), [HOME], 100.0, RATES, 15.0, wind_to_m_s=(0.0, 30.0))
    assert m.margin_pct == -math.inf
    assert not m.reachable


def test_the_cheaper_point_wins_over_the_nearer():
    """Downwind of a slightly nearer point, the station picks the point the wind helps toward."""
    upwind = Landable("upwind", "rally", 0.0, 2900.0)
    downwind = Landable("downwind", "rally", 0.0, -3000.0)
    m = margin((0.0, 0.0), [upwind, downwind], 60.0, RATES, 15.0, wind_to_m_s=(0.0, -10.0))
    assert m.target == downwind


def test_point_of_no_return_comes_nearer_in_an_offshore_wind():
    """A wind blowing out along the route (a headwind home) moves the point of no return in."""
    from groundstation.safety.margin import point_of_no_return

    route = [(20_000.0, 0.0)]
    still = point_of_no_return(route, (0.0, 0.0), [HOME], 80.0, RATES, 15.0)
    windy = point_of_no_return(route, (0.0, 0.0), [HOME], 80.0, RATES, 15.0,
                               wind_to_m_s=wind_to(8.0, 270.0))  # fmt: skip
    assert still is not None
    assert windy is not None
    assert windy[0] < still[0]
    wind = wind_to(8.0, 270.0)
    spent = leg(windy[0], windy[1], RATES, wind, 0.0).need_pct  # the way out, tailwind
    from_there = margin(windy, [HOME], 80.0 - spent, RATES, 15.0, wind_to_m_s=wind)
    assert from_there.margin_pct >= 0.0  # the station can still be reached from it
