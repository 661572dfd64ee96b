"""A coverage plan's account: what the zones took of the requested area, what was planned and
covered, and how far the path flies outside the requested area (`routes.account`)."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiLineString, Point, box

from routes.account import NamedZone
from routes.geometry import covered_fraction
from routes.pipeline import PatrolParams, plan_coverage

#: a 3 km x 400 m reach; a 300 m wide zone cuts it in two, and a smaller one bites a corner
REACH = box(0, 0, 3000, 400)
HARBOUR = box(1350, -500, 1650, 900)  # across the whole reach: the parts join over land
JETTY = box(2800, 300, 3100, 500)
PARAMS = PatrolParams(altitude_m=60, swath_width_m=100)


def _outside(plan, kind: str, area) -> float:
    legs = [leg.line for s in plan.sorties for leg in s.route.legs if leg.kind == kind]
    return MultiLineString(legs).difference(area.buffer(0.5)).length if legs else 0.0


def test_the_account_names_each_zone_and_what_was_covered_of_what_was_asked() -> None:
    """Removed areas by name, planned = requested - removed, and the covered share of the
    requested area is the covered share of what was planned scaled down by what was taken."""
    plan = plan_coverage(
        REACH,
        no_fly=[NamedZone("harbour", HARBOUR)],
        restricted=[NamedZone("jetty", JETTY, "restricted")],
        params=PARAMS,
    )
    acc = plan.stats.account
    assert acc is not None
    assert acc.requested_m2 == pytest.approx(REACH.area)
    cuts = {z.name: z for z in acc.removed}
    assert set(cuts) == {"harbour", "jetty"}
    # each zone is kept 5 m clear, so it takes a little more than its own surface
    assert cuts["harbour"].area_m2 == pytest.approx(310 * 400, rel=0.01)
    assert cuts["jetty"].area_m2 == pytest.approx(205 * 105, rel=0.02)
    assert cuts["jetty"].restriction == "restricted"
    assert acc.planned_m2 == pytest.approx(plan.area.area)
    assert acc.removed_m2 == pytest.approx(acc.requested_m2 - acc.planned_m2)
    assert acc.covered_planned_frac == pytest.approx(plan.stats.covered_frac)
    assert acc.covered_planned_frac >= 0.995
    path = MultiLineString([s.route.line() for s in plan.sorties])
    assert acc.covered_requested_frac == pytest.approx(covered_fraction(path, REACH, 100), abs=1e-3)
    # the harbour's 124,000 m² (10 %) is not flown; the camera sees 50 m into it from each side
    seen_in_zones = 2 * 50 * 400 + 50 * 100
    most = (acc.planned_m2 + seen_in_zones) / acc.requested_m2
    assert most - 0.01 < acc.covered_requested_frac <= most
    # the two parts are joined over land round the harbour: counted, and nowhere else
    assert acc.outside_transit_m == pytest.approx(_outside(plan, "transit", REACH), abs=1.0)
    assert acc.outside_transit_m > 2 * 400  # out and round the end of the harbour zone
    assert acc.outside_station_m == 0.0
    assert acc.outside_other_m == pytest.approx(_outside(plan, "sweep", REACH), abs=1.0)
    text = "\n".join(plan.comments())
    assert "harbour (no-fly)" in text
    assert "jetty (restricted)" in text
    assert "of the requested" in text
    assert "in transit between its parts" in text


def test_ways_to_and_from_the_station_are_counted_apart() -> None:
    """With a station off the reach, the ways out and back are outside it but not transits."""
    station = Point(-400, 200)
    plan = plan_coverage(REACH, no_fly=[NamedZone("harbour", HARBOUR)], station=station,
                         params=PARAMS)  # fmt: skip
    acc = plan.stats.account
    assert acc is not None
    ways = [leg.line for s in plan.sorties for leg in (s.route.legs[0], s.route.legs[-1])]
    assert acc.outside_station_m == pytest.approx(
        MultiLineString(ways).difference(REACH.buffer(0.5)).length, abs=1.0
    )
    assert acc.outside_station_m >= 2 * 400 * len(plan.sorties) * 0.99
    assert acc.outside_m == pytest.approx(
        acc.outside_transit_m + acc.outside_station_m + acc.outside_other_m
    )


def test_unnamed_zones_are_numbered_and_allowed_ones_are_not_listed() -> None:
    """Bare geometries are called "no-fly zone N"; restricted zones a plan may fly over took
    nothing away; an area no zone touches says so."""
    allow = PatrolParams(altitude_m=60, swath_width_m=100, restricted="allow")
    plan = plan_coverage(REACH, no_fly=[HARBOUR], restricted=[JETTY], params=allow)
    acc = plan.stats.account
    assert acc is not None
    assert [z.name for z in acc.removed] == ["no-fly zone 1"]
    clear = plan_coverage(REACH, params=PARAMS).stats.account
    assert clear is not None
    assert clear.removed == ()
    assert clear.removed_m2 == pytest.approx(0.0, abs=1.0)
    assert clear.outside_transit_m == 0.0
    assert "no no-fly or restricted zone removed any of it" in clear.lines()[0]
