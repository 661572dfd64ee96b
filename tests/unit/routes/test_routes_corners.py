"""Fewer, longer legs (`routes.corners`): transits round zones and shore loops lose their short
legs without leaving where they may fly; a zone that cuts the area is flown round its short end;
the shipped site's shoreline patrol fits the default battery."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from routes.connect import VisibilityConnector
from routes.constraints import Airspace, geofence
from routes.corners import cruise_leg_m, fewer_corners, fewer_corners_ring
from routes.flight_time import WpNav, path_time_s
from routes.patrols import plan_shore
from routes.pipeline import PatrolParams
from routes.types import BatteryModel, Leg, Route

NAV = WpNav()


def _circle(r: float, n: int, centre: tuple[float, float] = (0.0, 0.0)) -> Polygon:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return Polygon(np.column_stack([centre[0] + r * np.cos(t), centre[1] + r * np.sin(t)]))


def test_a_rounded_corner_becomes_one_corner_within_the_tolerance() -> None:
    """A right angle rounded by six vertices a few metres apart is flown as one corner: faster,
    the ends unmoved, every new point within the tolerance of the old path."""
    arc = [(500 + 10 * math.sin(a), 10 - 10 * math.cos(a)) for a in np.linspace(0, math.pi / 2, 6)]
    xy = np.array([(0.0, 0.0), *arc, (510.0, 510.0)])
    out = fewer_corners(xy, NAV, tol_m=5.0)
    assert len(out) == 3
    assert out[0].tolist() == xy[0].tolist()
    assert out[-1].tolist() == xy[-1].tolist()
    assert path_time_s(out, NAV) < path_time_s(xy, NAV) - 5.0
    old = LineString(xy)
    assert max(old.distance(Point(p)) for p in out) <= 5.0
    assert max(LineString(out).distance(Point(p)) for p in xy) <= 5.0


def test_a_tight_tolerance_keeps_the_corner_where_it_is() -> None:
    """With a tolerance under the metre, a 20 m rounded corner is left as it is."""
    arc = [(500 + 20 * math.sin(a), 20 - 20 * math.cos(a)) for a in np.linspace(0, math.pi / 2, 5)]
    xy = np.array([(0.0, 0.0), *arc, (520.0, 520.0)])
    out = fewer_corners(xy, NAV, tol_m=0.5)
    assert LineString(xy).hausdorff_distance(LineString(out)) <= 0.5


def test_no_change_makes_a_leg_illegal() -> None:
    """Round a square zone the merged corners never cut into it: every change is checked."""
    zone = box(400, -1000, 600, 0)
    inside = zone.buffer(5.0, quad_segs=2)

    def legal(piece: LineString) -> bool:
        return not piece.intersects(inside)

    # the zone's end rounded at 7 m with 3-vertex arcs, as a visibility path gives it
    ring = np.asarray(zone.buffer(7.0, quad_segs=2).exterior.coords)
    top = ring[ring[:, 1] > -1]
    top = top[np.argsort(top[:, 0])]
    xy = np.vstack([[(0.0, -500.0)], top, [(1000.0, -500.0)]])
    assert legal(LineString(xy))
    out = fewer_corners(xy, NAV, legal=legal)
    assert legal(LineString(out))
    assert len(out) < len(xy)
    assert path_time_s(out, NAV) < path_time_s(xy, NAV)


def test_a_wrap_round_a_many_sided_circle_takes_longer_legs() -> None:
    """Round a 1 km circle drawn with 64 sides (98 m legs, under the length that reaches
    cruise) the path takes legs long enough for cruise, stays outside the circle, and is
    faster."""
    circle = _circle(1000.0, 64)
    grown = np.asarray(_circle(1007.0, 64).exterior.coords)
    quarter = grown[:17]
    xy = np.vstack([[(1007.0, -600.0)], quarter, [(-600.0, 1007.0)]])
    assert np.hypot(*np.diff(quarter, axis=0).T).max() < cruise_leg_m(NAV)

    def legal(piece: LineString) -> bool:
        return not piece.intersects(circle.buffer(5.0))

    out = fewer_corners(xy, NAV, legal=legal)
    assert legal(LineString(out))
    assert len(out) <= len(xy) // 2 + 1
    assert path_time_s(out, NAV) < path_time_s(xy, NAV) - 10.0


def test_a_ring_loses_the_short_legs_at_its_start_too() -> None:
    """A closed loop is thinned all round, its first corner included, and stays closed."""
    ring = np.asarray(box(0, 0, 1000, 600).buffer(20.0, quad_segs=4).exterior.coords)
    out = fewer_corners_ring(ring, NAV, tol_m=10.0)
    assert out[0].tolist() == out[-1].tolist()
    assert len(out) <= 6  # four corners, the start on a side
    assert path_time_s(out, NAV) < path_time_s(ring, NAV)
    assert LineString(ring).hausdorff_distance(LineString(out)) <= 10.0


def test_a_detour_round_a_zone_has_few_corners_and_stays_in_the_region() -> None:
    """The connector's path round the end of a buffered strip (a power-line corridor, turned
    off the grid) turns at its two corners, not at each vertex of their rounding, and every leg
    stays inside the allowed region."""
    zone = affinity.rotate(box(400, -1000, 600, 300), 15, origin=(500, 0))
    region = Airspace(box(-1000, -1500, 2000, 1000), (zone,)).allowed
    a, b = Point(0, 0), Point(1000, 0)
    raw = VisibilityConnector(region).link(a, b)
    fast = VisibilityConnector(region, nav=NAV).link(a, b)
    assert region.buffer(0.01).covers(fast)
    assert not fast.intersects(zone.buffer(4.99))
    assert len(fast.coords) <= 4 < len(raw.coords)
    assert path_time_s(fast, NAV) < path_time_s(raw, NAV) - 4.0


def test_a_zone_across_the_river_is_flown_round_its_short_end() -> None:
    """A power-line corridor across a river, sticking out 2 km: the fence takes in the way
    round its shorter end, so the way from one side to the other cuts from the corridor's end
    straight to the water instead of back along the corridor."""
    river = box(0, 0, 12_000, 300)
    corridor = box(5900, -2000, 6100, 2500)  # shorter end: the south one
    station = Point(100, 150)
    fence = geofence([river], station, 100.0, zones=[corridor])
    assert fence.covers(corridor)
    allowed = Airspace(fence, (corridor,)).allowed
    path = VisibilityConnector(allowed, nav=NAV).link(Point(3000, 150), Point(9000, 150))
    assert not path.intersects(corridor.buffer(4.99))
    # straight to the corridor's end and straight back to the water: 7.4 km (the band round
    # the corridor alone made it 9.5 km, down one side of the corridor and up the other)
    shortest = 2 * Point(3000, 150).distance(Point(6000, -2000))
    assert path.length < 1.05 * shortest


def test_the_shipped_sites_shore_patrol_fits_the_default_battery() -> None:
    """The shipped site's shoreline patrol at its defaults (3300 s, 25 % reserve) is planned:
    every sortie's estimated time is within what the battery gives after the reserve, no leg
    enters a no-fly zone (nor its clearance), and every leg stays inside the geofence."""
    from geodata.site import load_site
    from groundstation.patrol.ground import site_ground
    from groundstation.patrol.planning import plan_on
    from groundstation.patrol.request import PlanRequest

    site = load_site(None)
    req = PlanRequest(kind="shore", altitude_m=60)
    plan, params = plan_on(site_ground(site, req), req)
    battery = params.battery
    assert battery == BatteryModel()  # the defaults
    limit_s = battery.endurance_s * (1 - battery.reserve_frac)
    assert plan.sorties
    assert plan.fence is not None
    clearance = Airspace(plan.fence, plan.no_fly).clearance_m
    for s in plan.sorties:
        assert s.duration_s(battery) <= limit_s
        line = s.route.line()
        assert plan.fence.covers(line)
        for zone in plan.no_fly:
            assert line.distance(zone) >= clearance - 0.01
    assert plan.stats.outside_m == 0.0


@pytest.mark.parametrize("offset", [20.0, -40.0])
def test_shore_loops_take_fewer_waypoints(offset: float) -> None:
    """A shore loop round a lake drawn every 15 m is flown with far fewer waypoints than the
    outline has and within a few metres of its offset."""
    lake = _circle(800.0, 335)
    params = PatrolParams(altitude_m=50, swath_width_m=80)
    plan = plan_shore(lake, offset_m=offset, station=Point(0, -900), params=params)
    sweeps = [leg.line for s in plan.sorties for leg in s.route.legs if leg.kind == "sweep"]
    assert sum(len(line.coords) for line in sweeps) < 100
    for line in sweeps:
        for p in line.coords:
            assert lake.exterior.distance(Point(p)) == pytest.approx(abs(offset), abs=6.0)


def test_a_stretch_out_of_range_says_by_how_much_and_what_would_fit() -> None:
    """When even one leg of the far end is more than a battery gives, the refusal says how
    many seconds over it is and the least endurance with which the whole route is cut into
    sorties that fit; with that endurance they do, with a second less they do not."""
    from routes.errors import BatteryError
    from routes.sorties import split_sorties

    region = box(-100, -3000, 12_000, 3000).difference(box(5000, -2500, 5200, 3100))
    connector = VisibilityConnector(region, nav=NAV)
    route = Route((Leg(LineString([(9000, 0), (9300, 0)])),))
    battery = BatteryModel(endurance_s=1960, reserve_frac=0.25)
    with pytest.raises(BatteryError, match="one leg of it and back") as refused:
        split_sorties(route, Point(0, 0), connector, battery)
    text = str(refused.value)
    over = re.search(r"(\d+) s more than the 1470 s one battery gives after the 25 % reserve", text)
    assert over is not None
    assert int(over[1]) > 0
    least = re.search(r"the route fits with an endurance of (\d+) s", text)
    assert least is not None
    need = int(least[1])
    enough = replace(battery, endurance_s=need)
    sorties = split_sorties(route, Point(0, 0), connector, enough)
    assert all(s.duration_s(enough) <= need * 0.75 for s in sorties)
    with pytest.raises(BatteryError):
        split_sorties(route, Point(0, 0), connector, replace(battery, endurance_s=need - 1))
