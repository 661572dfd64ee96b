"""Each plan kind gets its own figure and a map framed on what was flown."""

from __future__ import annotations

from datetime import timedelta

from shapely.geometry import box

from geodata.crs import LocalFrame
from groundstation.reports.builder import render
from groundstation.reports.facts import PatrolFacts, Stop, _route_lines, summary
from groundstation.reports.mapimage import map_extent
from tests.unit.reports.factsfixtures import START, facts, track

#: a 12 km x 7 km zone: a tour's "area" is the whole site, not what it flew
ZONE = box(119.10, 29.00, 119.22, 29.065)
STOPS = [Stop(119.180, 29.050, "排污口"), Stop(119.185, 29.052, "码头"), Stop(119.19, 29.06, "")]
#: the tour's track passes the first two hotspots and not the third
TOUR_TRACK = [(119.1795, 29.0498), (119.180, 29.050), (119.1825, 29.051), (119.185, 29.0521)]


def _tour() -> PatrolFacts:
    line = [(119.1795, 29.0498), (119.180, 29.050), (119.185, 29.052), (119.19, 29.06)]
    return facts(
        plan_kind="tour", planned_area=ZONE, planned_lines=[line], planned_stops=STOPS,
        track=track(TOUR_TRACK),
    )  # fmt: skip


def test_tour_counts_hotspots_visited_and_no_coverage() -> None:
    """A tour's figure is hotspots visited of N; no area coverage is given for it."""
    s = summary(_tour(), hfov_deg=60)
    assert (s["hotspots_visited"], s["hotspots_planned"]) == (2, 3)
    assert s["covered_frac"] is None
    assert s["shoreline_m"] is None


def test_tour_report_shows_visited_of_n_not_covered() -> None:
    """The tour's HTML report prints "2 / 3" hotspots and no coverage row."""
    body = render(_tour(), "html").body.decode()
    assert 'id="hotspots_visited" data-value="2">2 / 3<' in body
    assert 'id="covered_frac"' not in body


def test_coverage_keeps_its_coverage_and_no_tour_figures() -> None:
    """A coverage patrol keeps its covered fraction and shows no hotspot or shoreline figure."""
    s = summary(facts(), hfov_deg=60)
    assert 0 < s["covered_frac"] <= 1
    assert s["hotspots_visited"] is None
    assert s["shoreline_m"] is None


def test_shore_loop_reports_its_shoreline_length() -> None:
    """A shore loop's figure is the planned shoreline's length, in metres."""
    s = summary(facts(plan_kind="shore", planned_sweep_m=2345.67), hfov_deg=60)
    assert s["shoreline_m"] == 2345.7
    assert s["covered_frac"] is None
    page = render(facts(plan_kind="shore", planned_sweep_m=2345.67), "html").body.decode()
    assert 'id="shoreline_m" data-value="2345.7">2.35 km<' in page


def test_tour_map_is_framed_on_the_route_not_the_zone() -> None:
    """The tour's map spans about its 1.5 km route, not the 12 km zone around it."""
    frame = LocalFrame.for_geometry(ZONE)
    (x0, x1), (y0, y1) = map_extent(_tour(), frame)
    assert max(x1 - x0, y1 - y0) < 3000
    (cx0, cx1), _ = map_extent(facts(planned_area=ZONE), frame)
    assert cx1 - cx0 > 11000  # a coverage map still shows the whole area it was to cover


def test_duration_is_flight_time_on_the_vehicle_clock() -> None:
    """With flights recorded, the duration is the vehicle's armed time, not the station's
    wall clock (a demo at --speedup 5 flies 600 s in 120 s)."""
    f = facts(ended_at=START + timedelta(seconds=120), flight_s=600.0)
    s = summary(f, hfov_deg=60)
    assert (s["duration_s"], s["duration_clock"], s["elapsed_s"]) == (600.0, "vehicle", 120.0)
    assert s["flight_time_s"] == 600.0
    assert 'id="duration_s" data-value="600.0">0:10:00<' in render(f, "html").body.decode()


def test_duration_falls_back_to_the_station_clock() -> None:
    """Without a recorded flight, the duration is the patrol's start to end, so labelled."""
    s = summary(facts(), hfov_deg=60)
    assert (s["duration_s"], s["duration_clock"]) == (300.0, "station")


def test_stored_tour_route_gives_its_hotspots() -> None:
    """A tour as the planner stores it (each stop a Point from routes.formats.geojson) yields
    its hotspots by name, and its transits as planned lines."""
    from shapely.geometry import LineString

    from routes.formats.geojson import route_features
    from routes.types import Leg, Route

    a, b = (119.18, 29.05), (119.17, 29.054)
    legs = (
        Leg(LineString([a, b]), "transit"),
        Leg(LineString([b, b]), "loiter", 30.0, "H01 码头"),
        Leg(LineString([b, a]), "transit"),
    )
    route = {"features": route_features(Route(legs), lambda g: g)}
    planned = _route_lines(route)
    assert planned.stops == [Stop(119.17, 29.054, "H01 码头")]
    assert len(planned.lines) == 2
    assert all(planned.lines)
