"""Plans that cannot be flown are refused with a clear reason."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, Polygon, box

from routes.constraints import swath_from_camera
from routes.coverage import plan_coverage_path
from routes.errors import (
    BatteryError,
    InvalidAreaError,
    PlanningError,
    StationError,
    SwathTooWideError,
    UnreachableError,
)
from routes.patrols import plan_corridor, plan_shore
from routes.pipeline import PatrolParams, plan_coverage
from routes.tour import Hotspot, plan_tour
from routes.types import BatteryModel
from tests.geometries import SQUARE

PARAMS = PatrolParams(altitude_m=60, swath_width_m=50)


def test_zero_width_area_is_refused() -> None:
    """A polygon with no surface is an invalid area."""
    flat = Polygon([(0, 0), (100, 0), (200, 0)])
    with pytest.raises(InvalidAreaError, match=r"no surface|empty"):
        plan_coverage_path(flat, 10)


def test_point_is_not_an_area() -> None:
    """A point given as the area names the geometry type it got."""
    with pytest.raises(InvalidAreaError, match="Point"):
        plan_coverage_path(Point(0, 0), 10)


def test_swath_wider_than_area_is_refused() -> None:
    """A swath over twice as wide as the widest part of the area is refused, with both widths
    (up to twice, one pass along the middle covers it)."""
    with pytest.raises(SwathTooWideError, match=r"swath 500 m is wider than the area.*60 m"):
        plan_coverage_path(box(0, 0, 2000, 60), 500)


@pytest.mark.parametrize("width", [0.0, -5.0, float("nan")])
def test_swath_must_be_positive(width) -> None:
    """A zero, negative or NaN swath width is refused."""
    with pytest.raises(SwathTooWideError, match="positive"):
        plan_coverage_path(SQUARE, width)


def test_a_swath_typed_in_millimetres_is_refused_at_once() -> None:
    """A 1 mm swath over a 300 m square (90,000 km of passes) is refused before any planning,
    naming the size; so is a corridor that would need as much, and a 15 cm swath whose passes
    are short enough but span four million swath-wide squares."""
    with pytest.raises(PlanningError, match=r"90,000 km of passes, more than the 5,000 km"):
        plan_coverage_path(box(0, 0, 300, 300), 0.001)
    tiny = PatrolParams(altitude_m=60, swath_width_m=0.001)
    with pytest.raises(PlanningError, match="km of passes"):
        plan_corridor(LineString([(0, 0), (10_000, 0)]), width_m=500, params=tiny)
    # 600 km of passes, but 4 million swath-wide squares: many seconds to minutes of planning
    with pytest.raises(PlanningError, match=r"4,000,000 swath-wide squares, more than"):
        plan_coverage_path(box(0, 0, 300, 300), 0.15)


def test_station_inside_no_fly_zone_is_refused() -> None:
    """A station inside a hard no-fly zone is refused, naming the zone."""
    zone = box(-200, -200, -50, -50)
    with pytest.raises(StationError, match="inside no-fly zone 1"):
        plan_coverage(SQUARE, no_fly=[zone], station=Point(-100, -100), params=PARAMS)


def test_area_split_by_zone_without_crossing_is_unreachable() -> None:
    """A zone cutting the area in two, too big to fly round, is refused."""
    area = box(0, 0, 1000, 200)
    wall = box(450, -50_000, 550, 50_000)  # far bigger than the area: no way round
    params = PatrolParams(altitude_m=60, swath_width_m=50, fence_margin_m=100)
    with pytest.raises(UnreachableError, match="cannot be"):
        plan_coverage(area, no_fly=[wall], station=Point(100, 100), params=params)


def test_area_inside_no_fly_zone_is_refused() -> None:
    """An area wholly inside no-fly zones leaves nothing to cover."""
    with pytest.raises(InvalidAreaError, match="entirely inside"):
        plan_coverage(SQUARE, no_fly=[box(-10, -10, 700, 700)], params=PARAMS)


@pytest.mark.parametrize("alt", [0.0, -10.0, 121.0, 500.0])
def test_altitude_outside_limits_is_refused(alt) -> None:
    """Altitudes at or below take-off or above the 120 m limit are refused."""
    with pytest.raises(PlanningError, match="altitude"):
        PatrolParams(altitude_m=alt, swath_width_m=50)


def test_station_out_of_battery_range_is_refused() -> None:
    """An area farther than half the battery's range says how far and what the range is."""
    params = PatrolParams(
        altitude_m=60,
        swath_width_m=50,
        battery=BatteryModel(10, 300, 0.2, 200, 0),
        fence_margin_m=100,
    )
    with pytest.raises(BatteryError, match=r"km from the station.*gives 2\.4 km"):
        plan_coverage(box(5000, 0, 5600, 600), station=Point(0, 300), params=params)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cruise_speed_m_s": 0}, "positive"),
        ({"reserve_frac": 1.0}, "reserve"),
        ({"max_mission_items": 3}, "mission items"),
        ({"accel_m_s2": 0.0}, "acceleration"),
        ({"wp_radius_m": -1.0}, "waypoint radius"),
    ],
)
def test_bad_battery_model_is_refused(kwargs, match) -> None:
    """A battery model with impossible numbers is refused."""
    with pytest.raises(ValueError, match=match):
        BatteryModel(**kwargs)


@pytest.mark.parametrize(
    ("args", "match"), [((80, 0, 0.2), "field of view"), ((80, 84, 1.0), "overlap")]
)
def test_bad_camera_is_refused(args, match) -> None:
    """A camera field of view or overlap out of range is refused."""
    with pytest.raises(PlanningError, match=match):
        swath_from_camera(*args)


def test_tour_without_hotspots_is_refused() -> None:
    """A tour needs at least one hotspot."""
    with pytest.raises(PlanningError, match="at least one hotspot"):
        plan_tour([], station=Point(0, 0), params=PARAMS)


def test_tour_with_every_hotspot_in_no_fly_zone_is_refused() -> None:
    """A tour whose hotspots are all inside no-fly zones is refused."""
    spots = [Hotspot("a", Point(500, 500), 3)]
    with pytest.raises(PlanningError, match="every hotspot"):
        plan_tour(spots, station=Point(0, 0), no_fly=[box(400, 400, 600, 600)], params=PARAMS)


def test_shore_offset_swallowing_area_is_refused() -> None:
    """An inward shore offset larger than half the area leaves no shoreline."""
    with pytest.raises(InvalidAreaError, match="leaves nothing"):
        plan_shore(box(0, 0, 100, 100), offset_m=60, params=PARAMS)


def test_corridor_needs_a_line_and_a_width() -> None:
    """A corridor along a too-short line, or of zero width, is refused."""
    with pytest.raises(InvalidAreaError, match="line"):
        plan_corridor(LineString([(0, 0), (0.5, 0)]), width_m=100, params=PARAMS)
    with pytest.raises(InvalidAreaError, match="width"):
        plan_corridor(LineString([(0, 0), (1000, 0)]), width_m=0, params=PARAMS)
