"""Plans API: create from parameters over a drawn polygon or a site area, preview, export."""

from __future__ import annotations

import json
import re

import pytest

from groundstation.app import services_of
from groundstation.config import DbSettings

#: About 300 m x 300 m just south of the Longyou station, inside the site's patrol zone.
NEAR_STATION = {
    "type": "Polygon",
    "coordinates": [
        [
            [119.18023, 29.04940],
            [119.18331, 29.04935],
            [119.18337, 29.05205],
            [119.18029, 29.05210],
            [119.18023, 29.04940],
        ]
    ],
}
#: A square in the East China Sea, far outside the site.
AT_SEA = {
    "type": "Polygon",
    "coordinates": [
        [[122.0, 29.0], [122.01, 29.0], [122.01, 29.01], [122.0, 29.01], [122.0, 29.0]]
    ],
}


def coverage(polygon=NEAR_STATION, **kw):
    body = {"name": "south square", "kind": "coverage", "altitude_m": 40, "polygon": polygon,
            "swath_width_m": 60}  # fmt: skip
    body.update(kw)
    return body


def test_coverage_plan_over_polygon_is_stored_with_stats_and_route(station, pilot):
    """A coverage plan over a polygon near the station is stored with stats, sorties and route."""
    r = station.client.post("/api/plans", json=coverage(), headers=pilot)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["kind"] == "coverage"
    assert plan["stats"]["covered_frac"] > 0.95
    assert plan["stats"]["sorties"] == len(plan["sorties"]) >= 1
    assert plan["sorties"][0]["mission_items"] > 5
    roles = {f["properties"].get("role") for f in plan["route"]["features"]}
    assert {"area", "station", "fence"} <= roles
    listed = station.client.get("/api/plans", headers=pilot).json()
    assert listed["count"] == 1
    assert listed["data"][0]["route"] is None
    again = station.client.get(f"/api/plans/{plan['id']}", headers=pilot).json()
    assert again["stats"] == plan["stats"]


def test_polygon_outside_site_is_422_with_reason(station, pilot):
    """A polygon outside the site's patrol areas is refused with 422 naming the reason."""
    r = station.client.post("/api/plans", json=coverage(AT_SEA), headers=pilot)
    assert r.status_code == 422
    assert "outside the site" in r.json()["detail"]
    assert station.client.get("/api/plans", headers=pilot).json()["count"] == 0


def test_not_a_polygon_and_unknown_area_are_422(station, pilot):
    """A point instead of a polygon, and an unknown site area, are each a clear 422."""
    point = {"type": "Point", "coordinates": [119.18, 29.05]}
    r = station.client.post("/api/plans", json=coverage(point), headers=pilot)
    assert r.status_code == 422
    assert "Polygon" in r.json()["detail"]
    body = coverage(None, area="no_such_area")
    r = station.client.post("/api/plans", json=body, headers=pilot)
    assert r.status_code == 422
    assert "no_such_area" in r.json()["detail"]


def test_coverage_without_swath_width_is_422(station, pilot):
    """A coverage plan without a swath width is refused, naming the field."""
    r = station.client.post("/api/plans", json=coverage(swath_width_m=None), headers=pilot)
    assert r.status_code == 422
    assert "swath_width_m" in r.json()["detail"]


def test_preview_returns_stats_without_storing(station, pilot):
    """Preview plans and answers the statistics but stores nothing."""
    r = station.client.post("/api/plans/preview", json=coverage(), headers=pilot)
    assert r.status_code == 200, r.text
    assert r.json()["stats"]["length_m"] > 1000
    assert station.client.get("/api/plans", headers=pilot).json()["count"] == 0


def test_the_autopilots_acceleration_and_radius_time_the_plan(station, pilot):
    """The same shore loop is timed by the autopilot's speed profile: slower to fly with a
    gentler WPNAV_ACCEL, faster with a wider WPNAV_RADIUS (corners cut wider), the same path
    in each case; an acceleration out of ArduCopter's range is a 422 naming the field."""
    stats = {}
    for accel, radius in ((2.5, 2.0), (1.0, 2.0), (2.5, 10.0)):
        body = coverage(kind="shore", swath_width_m=None, accel_m_s2=accel, wp_radius_m=radius)
        r = station.client.post("/api/plans/preview", json=body, headers=pilot)
        assert r.status_code == 200, r.text
        stats[accel, radius] = r.json()["stats"]
    base, gentle, wide = stats[2.5, 2.0], stats[1.0, 2.0], stats[2.5, 10.0]
    assert gentle["length_m"] == pytest.approx(base["length_m"])
    assert wide["flight_time_s"] < base["flight_time_s"] < gentle["flight_time_s"]
    r = station.client.post("/api/plans/preview", json=coverage(accel_m_s2=0), headers=pilot)
    assert r.status_code == 422
    assert "accel_m_s2" in r.text


def test_refusal_names_the_place_by_longitude_and_latitude(station, pilot):
    """A plan refused for the battery's range names the point by longitude and latitude near
    the polygon (not in the planner's local metres)."""
    body = coverage(endurance_s=150, reserve_frac=0.1, speed_m_s=10)
    r = station.client.post("/api/plans/preview", json=body, headers=pilot)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "out of range" in detail
    found = re.search(r"\(lon ([0-9.]+), lat ([0-9.]+)\)", detail)
    assert found, detail
    lon, lat = float(found[1]), float(found[2])
    assert 119.179 < lon < 119.184
    assert 29.049 < lat < 29.053


def test_officer_may_read_but_not_create_plans(station, pilot, officer):
    """Officers read plans but creating one is 403."""
    assert station.client.post("/api/plans", json=coverage(), headers=officer).status_code == 403
    assert station.client.get("/api/plans", headers=officer).status_code == 200


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        ("plan", '"fileType"'),
        ("waypoints", "QGC WPL 110"),
        ("kml", "<kml"),
        ("geojson", "FeatureCollection"),
    ],
)
def test_export_formats(station, pilot, fmt, marker):
    """Each export format comes back as a file with its own signature."""
    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    r = station.client.get(f"/api/plans/{plan['id']}/export?format={fmt}", headers=pilot)
    assert r.status_code == 200, r.text
    assert marker in r.text
    assert "attachment" in r.headers["content-disposition"]
    if fmt == "plan":
        items = json.loads(r.text)["mission"]["items"]
        assert len(items) == plan["sorties"][0]["mission_items"] - 1  # home is not an item


def test_export_unknown_sortie_and_plan(station, pilot):
    """Exporting a sortie the plan does not have is 422; an unknown plan is 404."""
    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    r = station.client.get(f"/api/plans/{plan['id']}/export?format=plan&sortie=9", headers=pilot)
    assert r.status_code == 422
    assert station.client.get("/api/plans/999/export", headers=pilot).status_code == 404


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("shore", {"polygon": NEAR_STATION, "offset_m": 20}),
        ("corridor", {"polygon": NEAR_STATION, "width_m": 120, "swath_width_m": 60}),
        ("tour", {"area": "patrol_zone", "min_priority": 3}),
    ],
)
def test_other_kinds_plan_and_store(station, pilot, kind, extra):
    """Shoreline, corridor and hotspot-tour plans are made, stored and have mission items."""
    body = {"name": kind, "kind": kind, "altitude_m": 50, **extra}
    r = station.client.post("/api/plans", json=body, headers=pilot)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["kind"] == kind
    assert plan["stats"]["length_m"] > 100
    assert all(s["mission_items"] >= 4 for s in plan["sorties"])


def test_tour_without_station_is_422(station, pilot):
    """A tour must start at the station: use_station false is refused with the reason."""
    body = {"name": "t", "kind": "tour", "altitude_m": 50, "area": "patrol_zone",
            "use_station": False}  # fmt: skip
    r = station.client.post("/api/plans", json=body, headers=pilot)
    assert r.status_code == 422
    assert "station" in r.json()["detail"]


def test_plan_list_reads_summaries_not_routes_or_items(station, pilot):
    """The list gives each plan's sorties as summaries without loading route or mission items.

    The list used to load every plan's full route and items (157 KB each for a whole-zone plan):
    three of them brought GET /api/plans to ~7 requests/s and stalled the whole server. The rows
    are now loaded with everything else raising on access, so reading the route would fail here.
    """
    made = [
        station.client.post("/api/plans", json=coverage(name=f"p{n}"), headers=pilot).json()
        for n in range(3)
    ]
    r = station.client.get("/api/plans?limit=2", headers=pilot)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["count"] == 3
    assert [p["id"] for p in page["data"]] == [made[2]["id"], made[1]["id"]]
    for listed, full in zip(page["data"], [made[2], made[1]], strict=True):
        assert listed["route"] is None
        assert listed["sorties"] == full["sorties"]
        assert listed["stats"] == full["stats"]
    assert len(r.content) < len(json.dumps(made[2]["route"]))


def test_fence_fits_the_vehicle_and_the_plan_says_how(station, pilot):
    """Each sortie's fence is fitted to the vehicle (ArduCopter by default): its items and
    bytes are in the stats, the notes say what was simplified; a budget too small to keep the
    route inside is a 422 naming by how much; an unknown vehicle is a 422."""
    r = station.client.post("/api/plans", json=coverage(), headers=pilot)
    assert r.status_code == 201, r.text
    plan = r.json()
    fences = plan["stats"]["fence"]
    assert len(fences) == len(plan["sorties"])
    for sortie, fence in zip(plan["sorties"], fences, strict=True):
        assert sortie["fence_items"] == fence["items"] <= 70
        assert fence["bytes"] <= 560
        assert fence["budget"]["name"] == "ArduCopter"
        assert fence["parts"][0]["role"] == "inclusion"
    assert any("vehicle fence:" in n for n in plan["stats"]["notes"])
    px4 = station.client.post("/api/plans", json=coverage(vehicle="px4"), headers=pilot)
    assert px4.status_code == 201, px4.text
    assert px4.json()["stats"]["fence"][0]["budget"]["max_items"] == 127
    tiny = station.client.post("/api/plans", json=coverage(fence_points=3), headers=pilot)
    assert tiny.status_code == 422
    detail = json.dumps(tiny.json())
    assert "does not fit" in detail
    assert "over" in detail
    odd = station.client.post("/api/plans", json=coverage(vehicle="betaflight"), headers=pilot)
    assert odd.status_code == 422


def thirsty_vehicle(db: DbSettings) -> int:
    """A vehicle with three landed flights that used 40 % per km (and 5 % per minute hovering)."""
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from groundstation.db.models import Flight, Vehicle
    from groundstation.db.session import make_sync_engine
    from groundstation.db.types import utcnow

    engine = make_sync_engine(db)
    try:
        with Session(engine) as s:
            vehicle = Vehicle(sysid=7, name="thirsty", airframe="old-quad")
            s.add(vehicle)
            s.flush()
            for k in range(3):
                at = utcnow() - timedelta(days=k + 1)
                s.add(
                    Flight(
                        vehicle_id=vehicle.id,
                        airframe="old-quad",
                        armed_at=at,
                        updated_at=at,
                        landed_at=at,
                        battery_start_pct=100.0,
                        battery_end_pct=100.0 - 45.0 - k,
                        distance_m=1000.0,
                        flight_s=400.0,
                        hover_s=300.0,
                        hover_pct=25.0 + k,
                        cruise_s=100.0,
                        cruise_m=1000.0,
                        cruise_pct=20.0,
                    )
                )
            s.commit()
            return vehicle.id
    finally:
        engine.dispose()


def test_plan_for_a_vehicle_is_split_by_its_learned_battery_use(station, pilot):
    """Sorties of a plan for a drone whose flights show a heavy consumption are shorter than the
    configured endurance would make them; stats.battery says which model and on what data; a
    scheduled re-plan for that drone does the same."""
    vid = thirsty_vehicle(station.settings.db)
    # (a 40 m swath: about 540 s to fly, one sortie on the configured 1500 s, more than one on
    # the learned ~450 s; at 60 m the plan timed by the speed profile fits in either)
    airframe = {"speed_m_s": 10, "endurance_s": 1500, "swath_width_m": 40}
    configured = station.client.post("/api/plans", json=coverage(**airframe), headers=pilot)
    configured = configured.json()
    r = station.client.post("/api/plans", json=coverage(vehicle_id=vid, **airframe), headers=pilot)
    assert r.status_code == 201, r.text
    learned = r.json()
    assert configured["stats"]["battery"]["source"] == "configured"
    battery = learned["stats"]["battery"]
    assert battery["source"] == "learned"
    assert (battery["flights"], battery["basis"]) == (3, "vehicle thirsty")
    assert battery["cruise_pct_per_km"] > battery["cruise_mean_pct_per_km"] >= 20.0
    assert battery["endurance_s_used"] < 1500.0
    assert len(learned["sorties"]) > len(configured["sorties"])
    assert learned["params"]["vehicle_id"] == vid

    r = station.client.post("/api/plans", json=coverage(vehicle_id=999_999), headers=pilot)
    assert r.status_code == 404

    from groundstation.db.models import Plan
    from groundstation.db.types import utcnow

    service = services_of(station.client.app).schedules

    async def replan() -> Plan:
        async with services_of(station.client.app).sessions() as session:
            template = await session.get(Plan, configured["id"])
        assert template is not None
        plan: Plan = await service._replan(template, utcnow(), "Asia/Shanghai", vid)
        return plan

    again = station.client.portal.call(replan)
    assert again.stats["battery"]["source"] == "learned"
    assert len(again.mission_items) == len(learned["sorties"])


def test_a_vehicles_battery_model_is_readable(station, pilot, officer):
    """GET /api/vehicles/{id}/battery: learned for a drone with flights, configured for a new
    one (saying how many flights it has); a drone that has flown cannot be deleted."""
    vid = thirsty_vehicle(station.settings.db)
    r = station.client.get(f"/api/vehicles/{vid}/battery", headers=officer)
    assert r.status_code == 200, r.text
    model = r.json()
    assert (model["source"], model["flights"], model["basis"]) == ("learned", 3, "vehicle thirsty")
    assert model["cruise_pct_per_km"] > model["cruise_mean_pct_per_km"]
    new = station.client.post(
        "/api/vehicles", json={"sysid": 8, "name": "fresh"}, headers=pilot
    ).json()
    fresh = station.client.get(f"/api/vehicles/{new['id']}/battery", headers=officer).json()
    assert fresh["source"] == "configured"
    assert fresh["cruise_pct_per_km"] is None
    assert "0 flights" in fresh["basis"]
    assert station.client.get("/api/vehicles/999999/battery", headers=officer).status_code == 404
    assert station.client.delete(f"/api/vehicles/{vid}", headers=pilot).status_code == 409


def test_plan_stats_say_what_the_site_zones_took_from_the_polygon(station, pilot):
    """A polygon whose west end lies in the airport no-fly zone: the stats name the zone and
    what it took, the planned and covered areas of what was asked, and the notes say it too;
    the .plan export carries the same words as comments."""
    from pathlib import Path

    reach = Path(__file__).parents[1] / "data" / "routes" / "airport_reach.geojson"
    polygon = json.loads(reach.read_text())["features"][0]["geometry"]
    body = coverage(polygon, swath_width_m=150, altitude_m=60, restricted="cross",
                    speed_m_s=15, endurance_s=3000)  # fmt: skip
    r = station.client.post("/api/plans", json=body, headers=pilot)
    assert r.status_code == 201, r.text
    plan = r.json()
    area = plan["stats"]["area"]
    (airport, *_) = [z for z in area["removed"] if "Quzhou Airport" in z["name"]]
    assert airport["restriction"] == "no-fly"
    assert 0.3 * area["requested_m2"] < airport["area_m2"] < 0.45 * area["requested_m2"]
    assert area["planned_m2"] == area["requested_m2"] - area["removed_m2"]
    assert area["covered_requested_frac"] < 0.7 < 0.995 <= area["covered_planned_frac"]
    assert area["outside_requested_m"]["station"] > 0  # the station is 4 km east of it
    assert any("Quzhou Airport" in n for n in plan["stats"]["notes"])
    r = station.client.get(f"/api/plans/{plan['id']}/export?format=plan", headers=pilot)
    assert any("of the requested" in c for c in json.loads(r.text)["comments"])


def test_api_plans_with_the_planners_defaults_as_the_cli_does(station, pilot):
    """A plan that names no airframe figures uses the planner's defaults, the CLI's too.

    The API used 10 m/s and 1,500 s where the CLI used 15 m/s and 3,300 s, so a plan made with
    the CLI's defaults was refused by the API and the same area gave other sorties.
    """
    from groundstation.cli.plan import _TAIL
    from routes.types import DEFAULT_BATTERY

    r = station.client.post("/api/plans", json=coverage(), headers=pilot)
    assert r.status_code == 201, r.text
    params = r.json()["params"]
    assert params["speed_m_s"] == DEFAULT_BATTERY.cruise_speed_m_s == 15.0
    assert params["endurance_s"] == DEFAULT_BATTERY.endurance_s
    assert params["reserve_frac"] == DEFAULT_BATTERY.reserve_frac
    assert params["max_items"] == DEFAULT_BATTERY.max_mission_items
    cli = {p.name: p.default for p in _TAIL}
    assert cli["speed"] == params["speed_m_s"]
    assert cli["endurance"] == params["endurance_s"]
    assert cli["accel"] == params["accel_m_s2"] == DEFAULT_BATTERY.accel_m_s2
    assert cli["wp_radius"] == params["wp_radius_m"] == DEFAULT_BATTERY.wp_radius_m


def test_camera_and_battery_energy_are_planned_as_the_cli_plans_them(station, pilot):
    """The API takes the CLI's camera (field of view and overlap) and battery (Wh and W) in
    place of a swath and an endurance: the same passes as the derived swath, the sorties split
    by the derived endurance; half a camera or battery, or a camera and a swath, is a 422."""
    from routes.sizing import Camera, endurance_from_energy

    swath = Camera(84, 0.2).swath_m(40)
    camera = {"swath_width_m": None, "camera_hfov_deg": 84, "overlap_frac": 0.2}
    plans = [
        station.client.post("/api/plans/preview", json=coverage(**body), headers=pilot)
        for body in ({"swath_width_m": swath}, camera)
    ]
    assert [r.status_code for r in plans] == [200, 200], plans[1].text
    by_swath, by_camera = (r.json()["stats"] for r in plans)
    assert by_camera["length_m"] == by_swath["length_m"]
    assert by_camera["turns"] == by_swath["turns"]

    energy = {"battery_wh": 50, "power_w": 600, "speed_m_s": 5, "endurance_s": 9000}
    timed = {"endurance_s": 300, "speed_m_s": 5}
    plans = [
        station.client.post("/api/plans/preview", json=coverage(**body), headers=pilot)
        for body in (energy, timed)
    ]
    assert [r.status_code for r in plans] == [200, 200], plans[0].text
    by_energy, by_time = (r.json()["stats"] for r in plans)
    assert by_energy["battery"]["endurance_s_used"] == endurance_from_energy(50, 600) == 300.0
    assert by_energy["sorties"] == by_time["sorties"] > by_swath["sorties"]
    assert by_energy["flight_time_s"] == by_time["flight_time_s"]

    refused: list[tuple[dict[str, float], str]] = [
        ({"battery_wh": 20}, "battery_wh and power_w"),
        ({"camera_hfov_deg": 84, "overlap_frac": 0.2}, "swath_width_m or camera_hfov_deg"),
    ]
    for bad, names in refused:
        r = station.client.post("/api/plans/preview", json=coverage(**bad), headers=pilot)
        assert r.status_code == 422
        assert names in r.json()["detail"]


def test_a_plan_the_planner_refuses_is_422_with_its_error_and_figures(station, pilot):
    """The planner's own refusal (routes.errors) crosses the worker pool and is answered 422
    with its class and the figures that explain it."""
    r = station.client.post("/api/plans", json=coverage(swath_width_m=2000), headers=pilot)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "SwathTooWideError"
    assert "wider than the area" in body["detail"]
    assert body["fields"]["width_m"] == 2000


def test_the_cli_and_the_api_make_the_same_plan(station, pilot, tmp_path):
    """One request planned by `ecopatrol plan` and by the API gives the same route: both take
    the one planning path."""
    from typer.testing import CliRunner

    from groundstation.cli.main import app

    out = tmp_path / "tour.geojson"
    res = CliRunner().invoke(app, ["plan", "tour", "--altitude", "50", "--min-priority", "3",
                                   "--format", "geojson", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    cli = json.loads(out.read_text())["properties"]
    body = {"name": "t", "kind": "tour", "altitude_m": 50, "area": "patrol_zone",
            "min_priority": 3}  # fmt: skip
    r = station.client.post("/api/plans/preview", json=body, headers=pilot)
    assert r.status_code == 200, r.text
    api = r.json()["stats"]
    assert api["length_m"] == pytest.approx(cli["length_m"], abs=0.1)
    assert api["sorties"] == cli["sorties"]
