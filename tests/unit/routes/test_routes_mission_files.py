"""Mission items, and the .plan / .waypoints / KML / GeoJSON files made from them."""

from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from pymavlink.dialects.v20 import common as mavlink
from shapely.geometry import Point, box

from geodata.crs import LocalFrame
from routes import mission as m
from routes.errors import MissionFormatError
from routes.fence import ARDUCOPTER, fit_fence
from routes.formats import geojson, kml, qgc_plan, waypoints
from routes.pipeline import PatrolParams, plan_coverage
from routes.tour import Hotspot, plan_tour
from routes.types import BatteryModel

FRAME = LocalFrame.for_lonlat(119.18, 29.05)
ORIGIN = Point(*FRAME.xy_to_local(119.18, 29.05))
AREA = box(ORIGIN.x + 100, ORIGIN.y + 100, ORIGIN.x + 700, ORIGIN.y + 500)
STATION = Point(ORIGIN.x, ORIGIN.y)
ZONE = box(ORIGIN.x + 750, ORIGIN.y - 300, ORIGIN.x + 1100, ORIGIN.y + 900)


@pytest.fixture(scope="module")
def plan():
    params = PatrolParams(altitude_m=60, swath_width_m=60, photo_spacing_m=40,
                          battery=BatteryModel(12, 700, 0.25, 60, 30))  # fmt: skip
    return plan_coverage(AREA, no_fly=[ZONE], station=STATION, params=params)


@pytest.fixture(scope="module")
def missions(plan):
    rally = m.rally_items([STATION], FRAME, 60)
    out = []
    for s in plan.sorties:
        keep = s.route.line().union(STATION)
        fence = m.fence_items(fit_fence([plan.fence], plan.no_fly, keep, ARDUCOPTER), FRAME)
        items = m.build_mission(s.route, FRAME, home=STATION, altitude_m=60, speed_m_s=12,
                                photo_spacing_m=40)  # fmt: skip
        out.append(m.Mission(items, fence, rally, 12))
    return out


def test_mavlink_numbers_match_pymavlink() -> None:
    """Every command, frame and mission type number is pymavlink's."""
    for name in dir(m):
        if name.startswith(("MAV_CMD_", "MAV_FRAME_", "MAV_MISSION_TYPE_")):
            assert getattr(m, name) == getattr(mavlink, name), name


def test_mission_shape(missions) -> None:
    """Home, take-off, speed, waypoints with the camera on along sweeps, then return to launch."""
    assert len(missions) >= 2
    for mission in missions:
        items = mission.items
        assert [it.seq for it in items] == list(range(len(items)))
        assert items[0].command == m.MAV_CMD_NAV_WAYPOINT
        assert items[0].current == 1
        assert items[1].command == m.MAV_CMD_NAV_TAKEOFF
        assert items[1].z == 60
        assert items[2].command == m.MAV_CMD_DO_CHANGE_SPEED
        assert items[2].param2 == 12
        assert items[-1].command == m.MAV_CMD_NAV_RETURN_TO_LAUNCH
        nav = [it for it in items[1:] if it.command == m.MAV_CMD_NAV_WAYPOINT]
        assert all(it.frame == m.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT and it.z == 60 for it in nav)
        cam = [it for it in items if it.command == m.MAV_CMD_DO_SET_CAM_TRIGG_DIST]
        assert cam[0].param1 == 40
        assert cam[-1].param1 == 0
        assert len(items) <= 60


def test_mission_positions_are_on_the_route(plan, missions) -> None:
    """Waypoints converted back to metres lie on the sortie's route."""
    for sortie, mission in zip(plan.sorties, missions, strict=True):
        line = sortie.route.line()
        for it in mission.items[3:-1]:
            if it.command == m.MAV_CMD_NAV_WAYPOINT:
                x, y = FRAME.xy_to_local(it.lon_deg, it.lat_deg)
                assert line.distance(Point(x, y)) < 0.05


def test_fence_holds_area_and_excludes_zone(plan, missions) -> None:
    """The fence has one inclusion polygon round the area and an exclusion for the zone."""
    fence = missions[0].fence
    inc = [it for it in fence if it.command == m.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION]
    exc = [it for it in fence if it.command == m.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION]
    assert inc
    assert exc
    assert all(it.param1 == len(inc) for it in inc)
    assert all(it.mission_type == m.MAV_MISSION_TYPE_FENCE for it in fence)
    assert plan.fence.covers(AREA)


def test_plan_file_round_trip(missions) -> None:
    """A .plan file read back gives the same mission, fence and rally items."""
    for mission in missions:
        assert qgc_plan.loads(qgc_plan.dumps(mission)) == mission


def test_plan_file_follows_qgc_format(missions) -> None:
    """The .plan JSON has the keys and versions of QGroundControl's documented format."""
    doc = json.loads(qgc_plan.dumps(missions[0]))
    assert doc["fileType"] == "Plan"
    assert doc["version"] == 1
    assert set(doc) >= {"geoFence", "groundStation", "mission", "rallyPoints"}
    mission = doc["mission"]
    assert mission["version"] == 2
    assert set(mission) >= {"cruiseSpeed", "firmwareType", "hoverSpeed", "items",
                            "plannedHomePosition", "vehicleType"}  # fmt: skip
    for item in mission["items"]:
        assert item["type"] == "SimpleItem"
        assert len(item["params"]) == 7
        assert isinstance(item["autoContinue"], bool)
        assert item["frame"] in (2, 3)
    assert doc["geoFence"]["version"] == 2
    poly = doc["geoFence"]["polygons"][0]
    assert poly["version"] == 1
    assert poly["inclusion"] is True
    assert doc["rallyPoints"]["version"] == 2
    lat, lon, _ = doc["rallyPoints"]["points"][0]
    assert lat == pytest.approx(29.05, abs=1e-6)
    assert lon == pytest.approx(119.18, abs=1e-6)


def test_waypoints_round_trip(missions) -> None:
    """A QGC WPL 110 file read back gives the same items; line 0 is home."""
    text = waypoints.dumps(missions[0].items)
    lines = text.splitlines()
    assert lines[0] == "QGC WPL 110"
    assert lines[1].split("\t")[:4] == ["0", "1", "0", "16"]
    assert waypoints.loads(text) == missions[0].items


def _item(frame=3, x=29.05, **params) -> dict[str, object]:
    """A .plan SimpleItem: a waypoint at (x, 119.18), 60 m."""
    return {"type": "SimpleItem", "frame": frame, "command": 16, "autoContinue": True,
            "params": [0, 0, 0, None, x, 119.18, 60]}  # fmt: skip


def _plan_with(items=None, **top) -> dict[str, object]:
    """A minimal .plan document; ``top`` keys go in the mission, or beside it for the fence and
    rally points."""
    mission = {"plannedHomePosition": [29.05, 119.18, 0], "items": items or [_item()]}
    doc = {"fileType": "Plan", "version": 1, "mission": mission}
    for key, value in top.items():
        (doc if key in ("geoFence", "rallyPoints") else mission)[key] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"fileType": "Mission", "version": 1}, "fileType"),
        ({"fileType": "Plan", "version": 2}, "version"),
        ({"fileType": "Plan", "version": 1}, "mission"),
        (
            {
                "fileType": "Plan",
                "version": 1,
                "mission": {"plannedHomePosition": [1, 2, 3], "items": [{"type": "ComplexItem"}]},
            },
            "ComplexItem",
        ),
        (
            {
                "fileType": "Plan",
                "version": 1,
                "mission": {
                    "plannedHomePosition": [1, 2, 3],
                    "items": [{"type": "SimpleItem", "params": [1, 2]}],
                },
            },
            "7 numbers",
        ),
        ({"fileType": "Plan", "version": 1, "mission": 3}, "mission: expected an object"),
        (_plan_with(items=7), "mission.items: expected an array"),
        (_plan_with(items=[_item(frame="x")]), r"items\[0\].frame: not a number"),
        (_plan_with(items=[_item(frame=3.5)]), r"items\[0\].frame: not a whole number"),
        (_plan_with(items=[_item(x=math.inf)]), r"items\[0\].params\[4\]: not a finite"),
        (_plan_with(items=[_item(x=400.0)]), r"items\[0\].params\[4\]: not a coordinate"),
        (_plan_with(geoFence=1.5), "geoFence: expected an object"),
        (
            _plan_with(geoFence={"polygons": [{"inclusion": True, "polygon": [[29.0]]}]}),
            r"polygons\[0\].polygon\[0\]: expected 2 numbers",
        ),
        (_plan_with(rallyPoints={"points": [[29.0, 119.0]]}), r"points\[0\]: expected 3"),
        (_plan_with(cruiseSpeed=-2), "cruiseSpeed: must be positive"),
    ],
)
def test_bad_plan_files_name_the_problem(doc, match) -> None:
    """Malformed .plan documents raise a format error naming the key or item."""
    with pytest.raises(MissionFormatError, match=match):
        qgc_plan.from_plan(doc)


def test_plan_file_that_is_not_json() -> None:
    """Text that is not JSON gives the line of the syntax error."""
    with pytest.raises(MissionFormatError, match=r"not JSON.*line 1"):
        qgc_plan.loads("{nope")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "line 1"),
        ("QGC WPL 100\n", "version"),
        ("QGC WPL 110\n0\t1\t0\t16\n", "line 2: expected 12 fields"),
        ("QGC WPL 110\n1\t1\t0\t16\t0\t0\t0\t0\t29\t119\t0\t1\n", "sequence 1, expected 0"),
        ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\tx\t119\t0\t1\n", "line 2"),
        ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\tnan\t119\t0\t1\n", "line 2, field 9"),
        ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t29\t1e309\t0\t1\n", "line 2, field 10"),
        ("QGC WPL 110\n\n0\t1\t0\t1.5\t0\t0\t0\t0\t29\t119\t0\t1\n", "line 3, field 4"),
    ],
)
def test_bad_waypoints_files_name_the_line(text, match) -> None:
    """Malformed .waypoints files raise a format error naming the line."""
    with pytest.raises(MissionFormatError, match=match):
        waypoints.loads(text)


def test_kml_is_valid_xml_with_one_path_per_sortie(plan) -> None:
    """The KML parses, and holds the area, the zone, the station and one path per sortie."""
    root = ET.fromstring(kml.dumps(plan, FRAME.to_wgs84))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert len(root.findall(".//k:LineString", ns)) == len(plan.sorties)
    assert len(root.findall(".//k:Polygon", ns)) >= 2
    assert len(root.findall(".//k:Point", ns)) == 1
    coordinates = root.find(".//k:LineString/k:coordinates", ns)
    assert coordinates is not None
    assert coordinates.text is not None
    first = coordinates.text.split()[0]
    lon, lat, alt = (float(v) for v in first.split(","))
    assert (lon, lat, alt) == pytest.approx((119.18, 29.05, 60), abs=1e-6)


def test_geojson_linestrings_in_order_are_the_path(plan) -> None:
    """GeoJSON LineStrings, in order, join end to start and add up to the plan's length."""
    doc = geojson.plan_to_geojson(plan, FRAME.to_wgs84)
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    for a, b in itertools.pairwise(lines):
        if a["properties"]["sortie"] == b["properties"]["sortie"]:
            assert a["geometry"]["coordinates"][-1] == pytest.approx(
                b["geometry"]["coordinates"][0]
            )
    roles = {f["properties"].get("role") for f in doc["features"]}
    assert {"area", "no_fly", "station"} <= roles
    assert doc["properties"]["sorties"] == len(plan.sorties)


def test_tour_mission_loiters_at_hotspots() -> None:
    """A tour's mission loiters at each hotspot for its loiter time."""
    spots = [Hotspot("beach", Point(ORIGIN.x + 800, ORIGIN.y), 5, 45.0),
             Hotspot("outfall", Point(ORIGIN.x, ORIGIN.y + 900), 4, 20.0)]  # fmt: skip
    plan = plan_tour(spots, station=STATION, params=PatrolParams(altitude_m=50))
    items = m.build_mission(plan.sorties[0].route, FRAME, home=STATION, altitude_m=50,
                            speed_m_s=10)  # fmt: skip
    loiters = sorted(it.param1 for it in items if it.command == m.MAV_CMD_NAV_LOITER_TIME)
    assert loiters == [20.0, 45.0]
    assert not any(it.command == m.MAV_CMD_DO_SET_CAM_TRIGG_DIST for it in items)
    assert math.isclose(
        plan.stats.flight_time_s, plan.sorties[0].duration_s(PatrolParams(50).battery)
    )


@pytest.mark.parametrize("photo", [True, False])
def test_item_count_matches_the_mission(plan, photo) -> None:
    """The sortie splitter's item count is exactly the number of items the mission gets."""
    for s in plan.sorties:
        items = m.build_mission(s.route, FRAME, home=STATION, altitude_m=60, speed_m_s=12,
                                photo_spacing_m=40 if photo else None)  # fmt: skip
        assert m.count_items(s.route, photo) == len(items)


def test_item_count_matches_for_a_tour() -> None:
    """Loiters replacing waypoints are counted the way the mission builds them."""
    spots = [Hotspot(f"h{i}", Point(ORIGIN.x + 300 * i, ORIGIN.y + 200 * (i % 2)), 3, 10.0)
             for i in range(1, 6)]  # fmt: skip
    plan = plan_tour(spots, station=STATION, params=PatrolParams(altitude_m=50))
    route = plan.sorties[0].route
    items = m.build_mission(route, FRAME, home=STATION, altitude_m=50, speed_m_s=10)
    assert m.count_items(route, False) == len(items)


def test_mutated_plan_files_fail_only_with_format_errors(missions) -> None:
    """500 seeded mutations of a real .plan (values swapped for nulls, strings, infinities,
    arrays, objects, keys deleted) either load or raise a MissionFormatError: never another
    exception."""
    doc = qgc_plan.to_plan(missions[0])
    weird: list[object] = [
        None,
        "",
        "x",
        -1,
        1e308,
        math.nan,
        math.inf,
        [],
        {},
        [1, 2],
        True,
        2**70,
    ]
    spots = []

    def walk(node, path):
        if path:
            spots.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
            node, list) else ()  # fmt: skip
        for key, value in items:
            walk(value, (*path, key))

    walk(doc, ())
    rng = np.random.default_rng(3)
    loaded = 0
    for _ in range(500):
        bad = json.loads(json.dumps(doc))
        for _ in range(int(rng.integers(1, 4))):
            path = spots[int(rng.integers(len(spots)))]
            parent = bad
            try:
                for key in path[:-1]:
                    parent = parent[key]
                if rng.random() < 0.2 and isinstance(parent, dict):
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = weird[int(rng.integers(len(weird)))]
            except (KeyError, IndexError, TypeError):
                continue  # the path was cut by an earlier mutation
        try:
            qgc_plan.loads(json.dumps(bad))
            loaded += 1
        except MissionFormatError:
            pass
    assert loaded < 500  # most mutations are refused, with a format error
