"""The geofence fitted to a vehicle: never more permissive, within the budget, the route inside.

Property tests over the shipped site's plans and random lakes (`routes.testing.random_lake`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from routes import mission as m
from routes.errors import PlanningError
from routes.fence import (
    ARDUCOPTER,
    PX4,
    FenceBudget,
    FenceShape,
    FittedFence,
    budget_for,
    fit_fence,
)
from routes.formats import qgc_plan
from routes.geometry import polygons
from routes.patrols import plan_shore
from routes.pipeline import PatrolParams
from routes.testing import random_lake
from routes.types import BatteryModel, Plan


def check_fit(
    fit: FittedFence,
    inclusion: Polygon,
    zones: list[Polygon],
    keep: shapely.geometry.base.BaseGeometry,
    budget: FenceBudget,
) -> None:
    """The properties every fitted fence has."""
    items, size = budget.cost(fit.shapes)
    assert (items, size) == (fit.items, fit.bytes)
    assert items <= budget.max_items
    if budget.storage_bytes is not None:
        assert size <= budget.storage_bytes
    incl = [s for s in fit.shapes if s.inclusion]
    excl = [s for s in fit.shapes if not s.inclusion]
    assert len(incl) == 1
    # inclusion: within the original, the route inside
    if incl[0].centre is not None:
        centre = Point(incl[0].centre)
        assert inclusion.covers(centre)
        assert inclusion.exterior.distance(centre) >= incl[0].radius_m - 1e-6
    else:
        assert inclusion.buffer(1e-6).covers(incl[0].region())
    assert incl[0].region().covers(keep)

    # each zone's part inside the fence is inside a fitted exclusion (a circle: every corner
    # within its radius), or out of the route's reach (500 m) and left off
    def holds(shape: FenceShape, part: Polygon) -> bool:
        if shape.centre is None:
            return shape.region().buffer(1e-6).covers(part)
        corners = shapely.get_coordinates(part.exterior)
        return max(Point(shape.centre).distance(Point(c)) for c in corners) <= shape.radius_m

    for i, zone in enumerate(zones):
        for part in polygons(zone.intersection(inclusion)):
            if part.area > 0.01 and not any(holds(s, part) for s in excl):
                assert part.distance(keep) > 500 - 1e-6, f"zone {i} neither held nor far"
    # the route keeps clear of every exclusion
    for s in excl:
        assert not s.region(outer=True).intersects(keep)


def _shore(lake: Polygon, zones: list[Polygon]) -> tuple[Plan, Point]:
    station = Point(lake.representative_point())
    params = PatrolParams(altitude_m=50, battery=BatteryModel(15, 3300, 0.25, 400))
    plan = plan_shore(lake, offset_m=20, no_fly=zones, station=station, params=params)
    return plan, station


@pytest.mark.parametrize("seed", range(12))
def test_random_lakes_fit_and_never_loosen(seed: int) -> None:
    """Shoreline plans over random lakes with round and square no-fly zones near the shore."""
    rng = np.random.default_rng(seed)
    lake = random_lake(rng)
    minx, miny, maxx, maxy = lake.bounds
    zones: list[Polygon] = []
    for k in range(int(rng.integers(2, 7))):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        r = float(rng.uniform(20, 0.08 * (maxx - minx) + 30))
        zone = Point(x, y).buffer(r, quad_segs=16) if k % 2 else box(x - r, y - r, x + r, y + r)
        zones.append(zone)
    station = Point(lake.representative_point())
    zones = [z for z in zones if z.distance(station) > 60]
    try:
        plan, station = _shore(lake, zones)
    except PlanningError:
        pytest.skip("no plan over this lake (zones cut it apart)")
    assert plan.fence is not None
    for budget in (ARDUCOPTER, PX4, budget_for("arducopter", 24)):
        for sortie in plan.sorties:
            keep = sortie.route.line().union(station)
            if budget.max_items == 24:  # may be too small: then refused, saying so
                try:
                    fit = fit_fence([plan.fence], plan.no_fly, keep, budget)
                except PlanningError as exc:
                    refused = str(exc)
                    assert "does not fit" in refused
                    continue
            else:
                fit = fit_fence([plan.fence], plan.no_fly, keep, budget)
            check_fit(fit, plan.fence, list(plan.no_fly), keep, budget)


def test_many_sided_shapes_are_simplified_in_and_out() -> None:
    """A 257-point inclusion and a 120-point zone next to the route: both shrink to fit, the
    zone outwards only, and the route keeps its clearance inside the fence."""
    fence = Point(0, 0).buffer(3000, quad_segs=64)
    star = Polygon(
        [
            (800 + (200 if k % 2 else 120) * math.cos(k * math.pi / 60),
             (200 if k % 2 else 120) * math.sin(k * math.pi / 60))
            for k in range(120)
        ]
    )  # fmt: skip
    route = LineString([(-2000, -400), (2000, -400), (2000, 400), (-2000, 400), (-2000, -400)])
    fit = fit_fence([fence], [star], route, ARDUCOPTER, clearance_m=25)
    check_fit(fit, fence, [star], route, ARDUCOPTER)
    inc = next(p for p in fit.parts if p.role == "inclusion")
    exc = next(p for p in fit.parts if p.role == "exclusion")
    assert inc.points_before == 256
    assert inc.points_after < 70
    assert exc.points_before == 120
    assert exc.points_after < 120 or exc.circle
    assert inc.given_up_m2 > 0
    assert exc.given_up_m2 > 0
    assert fit.clearance_m >= 25 - 1e-6 or route.distance(star) < 25


def test_round_zone_becomes_a_circle_item() -> None:
    """A round zone costs one item as a circle and gives up almost nothing: it becomes one, and
    the .plan file carries it as a QGC circle that reads back the same."""
    from geodata.crs import LocalFrame

    frame = LocalFrame.for_lonlat(119.18, 29.05)
    ox, oy = frame.xy_to_local(119.18, 29.05)
    fence = box(ox - 2000, oy - 2000, ox + 2000, oy + 2000)
    zone = Point(ox + 500, oy).buffer(200, quad_segs=16)
    route = LineString([(ox - 1500, oy - 400), (ox + 1500, oy - 400)])
    fit = fit_fence([fence], [zone], route, ARDUCOPTER)
    circles = [s for s in fit.shapes if s.is_circle]
    assert len(circles) == 1
    assert not circles[0].inclusion
    assert circles[0].region().covers(zone)
    part = next(p for p in fit.parts if p.role == "exclusion")
    assert part.circle
    assert part.given_up_m2 < 0.03 * zone.area
    items = m.fence_items(fit, frame)
    assert [it.command for it in items][-1] == m.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION
    assert items[-1].param1 == circles[0].radius_m
    home = m.MissionItem(0, 0, 16, current=1, x=items[0].x, y=items[0].y)
    mission = m.Mission((home,), items, ())
    doc = qgc_plan.to_plan(mission)
    assert doc["geoFence"]["circles"][0]["circle"]["radius"] == circles[0].radius_m
    assert qgc_plan.loads(qgc_plan.dumps(mission)).fence == items


def test_far_and_outside_zones_are_left_off_and_said_so() -> None:
    fence = box(0, 0, 1000, 1000)
    near = box(400, 400, 450, 450)
    far = box(5000, 5000, 5100, 5100)  # outside the fence
    route = LineString([(100, 100), (900, 100), (900, 900)])
    fit = fit_fence([fence], [near, far], route, ARDUCOPTER, reach_m=1000)
    dropped = [p for p in fit.parts if p.dropped]
    assert [p.index for p in dropped] == [1]
    assert "outside the inclusion fence" in dropped[0].dropped
    fit = fit_fence([fence], [near, far], route, ARDUCOPTER, reach_m=100)
    assert {p.index for p in fit.parts if p.dropped} == {0, 1}
    assert any("beyond the 100 m" in n for n in fit.notes())


def test_refused_with_how_much_when_the_route_cannot_stay_inside() -> None:
    """A fence that cannot be simplified without bringing it to the route: refused, naming the
    items and bytes over and the clearance that would let it fit."""
    ring = Point(0, 0).buffer(1000, quad_segs=64)  # 256 points
    route = LineString(list(Point(0, 0).buffer(990, quad_segs=64).exterior.coords))
    with pytest.raises(PlanningError) as err:
        fit_fence([ring], [], route, ARDUCOPTER, clearance_m=10)
    text = str(err.value)
    assert "does not fit ArduCopter" in text
    assert "over" in text
    assert err.value.details["max_bytes"] == 560


def test_budgets_from_the_autopilots_sources() -> None:
    """ArduCopter: 560 bytes (70 points); one 69-point polygon fits, 70 do not (566 + the
    end-of-storage byte), as SITL showed; PX4 127 items; --fence-points N."""

    def poly(n: int) -> FenceShape:
        ring = [(math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n)) for k in range(n)]
        return FenceShape(True, Polygon(ring))

    assert ARDUCOPTER.fits([poly(69)])
    assert not ARDUCOPTER.fits([poly(70)])
    assert ARDUCOPTER.cost([poly(60)]) == (60, 4 + 1 + 2 + 480)
    assert PX4.fits([poly(127)])
    assert not PX4.fits([poly(128)])
    small = budget_for("arducopter", 30)
    assert small.max_items == 30
    assert small.storage_bytes == 240
    learned = ARDUCOPTER.shrunk(65, 534)
    assert learned.learned
    assert learned.max_items < 65
    assert learned.storage_bytes is not None
    assert learned.storage_bytes < 534
    with pytest.raises(PlanningError, match="unknown vehicle profile"):
        budget_for("betaflight")


def test_shipped_site_shoreline_fits_arducopter() -> None:
    """Every sortie of the shipped site's shoreline patrol fits ArduCopter's default fence."""
    from geodata.site import load_site
    from groundstation.patrol.planning import make_plan
    from groundstation.patrol.request import PlanRequest

    site = load_site(None)
    result = make_plan(
        site, PlanRequest(kind="shore", altitude_m=60, speed_m_s=15, endurance_s=3300)
    )
    assert result.sorties
    for sortie, fence in zip(result.sorties, result.stats["fence"], strict=True):
        assert 3 <= len(sortie.fence) <= 70
        assert fence["bytes"] <= 560
        assert fence["items"] == len(sortie.fence)
    notes = result.stats["notes"]
    assert any("vehicle fence" in n for n in notes)
    assert any("left off" in n or "simplified" in n for n in notes)


def test_thousands_of_points_are_brought_down_first() -> None:
    """A digitised 3000-point fence and zone (a site drawn in detail) fit like any other."""
    rng = np.random.default_rng(1)
    ang = np.linspace(0, 2 * np.pi, 3000, endpoint=False)
    r = 800 + 60 * np.sin(ang * 37) + rng.uniform(-5, 5, ang.size)
    zone = Polygon(np.column_stack([r * np.cos(ang), r * np.sin(ang)]))
    fence = Polygon(np.column_stack([5000 * np.cos(ang), 5000 * np.sin(ang)]))
    route = LineString([(-3000, -1200), (3000, -1200), (3000, 1200), (-3000, 1200)])
    fit = fit_fence([fence], [zone], route, ARDUCOPTER)
    check_fit(fit, fence, [zone], route, ARDUCOPTER)
    assert [p.points_before for p in fit.parts] == [3000, 3000]
