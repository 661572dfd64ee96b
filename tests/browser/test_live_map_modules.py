"""The page's own modules, run in the browser against what the station really produces:
vehicle frames (``frame_of``), plan routes and QGC WPL exports."""

from __future__ import annotations

import time
from typing import cast

import pytest
from shapely.geometry import box
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from geodata.crs import LocalFrame
from groundstation import reasons
from groundstation.federation.authority import Authority
from groundstation.freshness.geojson import freshness_geojson
from groundstation.freshness.grid import FreshnessGrid
from groundstation.link import Fleet, LinkConfig
from groundstation.link.health import LinkHealth
from groundstation.link.vehicle import Position, VehicleState
from groundstation.telemetry.events import vehicle_frame, wire_texts
from groundstation.telemetry.fleet_bridge import FleetBridge, frame_of
from groundstation.telemetry.hub import Hub
from tests.browser.pages import log_in, open_page
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[119.1802, 29.0485], [119.1832, 29.0485], [119.1832, 29.0512], [119.1802, 29.0512],
         [119.1802, 29.0485]]
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    station = LiveStation(tmp_path_factory.mktemp("modules") / "station").start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


@pytest.fixture(scope="module")
def page(browser, station):
    context, page, _ = open_page(browser, station.url)
    log_in(page, "pilot1")
    yield page
    context.close()


def run(page, module: str, body: str, arg):
    """Evaluate `body` (an expression using `m` and `arg`) with the page's module `m`."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/static/app/js/{module}'); return {body}; }}",
        arg,
    )


def test_a_station_frame_is_read_field_by_field(page):
    """A frame built by the station's fleet bridge gives the page every field it shows."""
    state = VehicleState(
        sysid=3,
        compid=1,
        position=Position(lat_deg=29.0512, lon_deg=119.1843, alt_msl_m=92.0, alt_rel_m=41.5),
        heading_deg=123.0,
        speed_m_s=9.5,
        battery_pct=67.0,
        mode="AUTO",
        armed=True,
        paused=True,
        mission_seq=7,
        mission_total=20,
        voltage_v=15.2,
        gps_fix=3,
        satellites=12,
        home=Position(lat_deg=29.0525, lon_deg=119.1818, alt_msl_m=50.5, alt_rel_m=0.0),
        time_boot_s=200.0,
        armed_at_boot_s=127.0,
        wind_speed_m_s=4.5,
        wind_dir_deg=200.0,
        radio_rssi_pct=80.0,
        link=LinkHealth(status="degraded", last_heard_s=1.5, loss_pct=25.0),
    )
    frame = vehicle_frame(frame_of(state, vehicle_id=11, name="drone-3")).data
    v = run(page, "store.js", "m.vehicleFromFrame(arg)", frame)
    assert v == {
        "sysid": 3,
        "vehicleId": 11,
        "name": "drone-3",
        "lat": 29.0512,
        "lon": 119.1843,
        "alt": 41.5,
        "heading": 123.0,
        "speed": 9.5,
        "battery": 67.0,
        "mode": "AUTO",
        "armed": True,
        "paused": True,
        "linkStatus": "degraded",
        "lastHeardS": 1.5,
        "missionSeq": 7,
        "missionTotal": 20,
        "voltage": 15.2,
        "gpsFix": 3,
        "satellites": 12,
        "homeLat": 29.0525,
        "homeLon": 119.1818,
        "flightTimeS": 73.0,
        "windSpeed": 4.5,
        "windDir": 200.0,
        "radioRssi": 80.0,
        "radioRemrssi": None,
        "lossPct": 25.0,
        "landedState": "undefined",
        "safety": None,
        "commandedBy": None,
    }


@pytest.mark.parametrize(
    ("vehicle", "connection", "shown"),
    [
        ({"linkStatus": "ok", "ageS": 1}, "live", "ok"),
        ({"linkStatus": "degraded", "ageS": 1}, "live", "degraded"),
        ({"linkStatus": "lost", "ageS": 1}, "live", "lost"),  # the station says so
        ({"linkStatus": "offline", "ageS": 1}, "live", "lost"),
        ({"linkStatus": "ok", "ageS": 600}, "live", "ok"),  # parked: no change, no frame
        ({"linkStatus": "ok", "ageS": 1}, "reconnecting", "station"),  # the station is away
        ({"linkStatus": "ok", "ageS": None}, "live", "lost"),  # never heard
    ],
)
def test_link_state_shown(page, vehicle, connection, shown):
    """The link state is the station's own: a quiet drone stays as the station last described
    it; a drone the station calls lost or offline, or never heard, is "lost"; on a page cut off
    from the station every drone is "station" (the page lost the station, not the drones)."""
    body = """m.displayLink({linkStatus: arg.v.linkStatus, lastHeardS: 0,
        seenAt: arg.v.ageS === null ? undefined : Date.now() - arg.v.ageS * 1000}, arg.c)"""
    assert run(page, "vehicles.js", body, {"v": vehicle, "c": connection}) == shown


@pytest.mark.parametrize("station_ahead_s", [0, 3600, -600])
def test_lost_age_comes_from_the_frame_timestamp(page, station_ahead_s):
    """A lost drone's age is the frame's `last_heard_s` plus the time since the station made
    the frame (its `ts`), measured on the station's clock even when the page's clock differs."""
    body = """(async () => {
        const s = await import('/static/app/js/store.js');
        const store = new s.Store();
        const iso = (ms) => new Date(ms).toISOString();
        const stationNow = Date.now() + arg.ahead * 1000;
        store.applyMessage({type: "snapshot", ts: iso(stationNow), data: {vehicles: []}});
        store.applyMessage({type: "vehicle.frame", ts: iso(stationNow - 30000), data: {
            sysid: 5, lat_deg: 29.05, lon_deg: 119.18,
            link: {status: "lost", last_heard_s: 3.0, loss_pct: 0}}});
        const v = store.vehicles.get(5);
        return [m.displayLink(v, "live"), m.vehicleAgeS(v)];
    })()"""
    link, age = run(page, "vehicles.js", body, {"ahead": station_ahead_s})
    assert link == "lost"
    assert age == pytest.approx(33.0, abs=2.0)


def test_a_batch_of_frames_is_applied_frame_by_frame(page):
    """A vehicle.frames message as the station sends it moves every vehicle in it."""
    frames = [
        vehicle_frame(
            frame_of(
                VehicleState(sysid=s, compid=1, position=Position(lat, 119.18, 40.0, 10.0)),
                vehicle_id=s,
                name=f"drone-{s}",
            )
        )
        for s, lat in ((3, 29.053), (4, 29.054))
    ]
    (text,) = wire_texts(frames)
    body = """(() => {
        const store = new m.Store();
        store.applyMessage({type: "snapshot", ts: new Date().toISOString(), data: {vehicles: []}});
        const moved = [];
        store.on("vehicle", (v) => moved.push(v.sysid));
        store.applyMessage(JSON.parse(arg));
        return [moved, [3, 4].map((s) => [store.vehicles.get(s).name, store.vehicles.get(s).lat])];
    })()"""
    moved, rows = run(page, "store.js", body, text)
    assert moved == [3, 4]
    assert rows == [["drone-3", 29.053], ["drone-4", 29.054]]


def test_planned_route_and_waypoints_from_a_real_plan(page, station):
    """The route of sortie 1 and the mission's waypoints by seq come from the plan's own
    GeoJSON and QGC WPL export, in order and at the same positions."""
    token = station.token("pilot1")
    auth = {"Authorization": f"Bearer {token}"}
    with station.api() as client:
        body = {"name": "sq", "kind": "coverage", "altitude_m": 30, "polygon": SQUARE,
                "swath_width_m": 70}  # fmt: skip
        plan = client.post("/api/plans", json=body, headers=auth).json()
        wpl = client.get(f"/api/plans/{plan['id']}/export?format=waypoints", headers=auth).text
    legs = [
        f
        for f in plan["route"]["features"]
        if f["properties"].get("sortie") == 1 and f["geometry"]["type"] == "LineString"
    ]
    first_lon, first_lat = legs[0]["geometry"]["coordinates"][0]
    last_lon, last_lat = legs[-1]["geometry"]["coordinates"][-1]
    latlngs = run(page, "patrolroutes.js", "m.sortieLatLngs(arg, 1)", plan["route"])
    assert latlngs[0] == [first_lat, first_lon]
    assert latlngs[-1] == [last_lat, last_lon]
    assert run(page, "patrolroutes.js", "m.sortieLatLngs(arg, 2)", plan["route"]) == []

    waypoints = run(page, "patrolroutes.js", "m.waypointsBySeq(arg)", wpl)
    expected = {}
    for line in wpl.splitlines()[1:]:
        f = line.split("\t") if "\t" in line else line.split()
        if float(f[8]) or float(f[9]):
            expected[f[0]] = [float(f[8]), float(f[9])]
    assert waypoints == expected
    assert len(waypoints) >= 4


def test_stored_track_geojson_becomes_one_line(page):
    """A stored track split at gaps (MultiLineString) is drawn as one list of positions."""
    track = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[119.18, 29.05], [119.181, 29.051]], [[119.182, 29.052]]],
        },
    }
    assert run(page, "patrolroutes.js", "m.trackLatLngs(arg)", track) == [
        [29.05, 119.18],
        [29.051, 119.181],
        [29.052, 119.182],
    ]


def test_freshness_counts_read_the_stations_geojson(page):
    """The legend's numbers are the station's own: cells and km² per class from a real grid."""
    frame = LocalFrame.from_epsg(32650)
    x, y = (round(v, -2) for v in frame.xy_to_local(119.18, 29.05))
    grid = FreshnessGrid.for_area(box(x, y, x + 500, y + 300), cell_m=50.0)
    now = time.time()
    grid.last_seen[0, :4] = now - 600  # fresh
    grid.last_seen[1, :3] = now - 3 * 86400  # stale
    fc = freshness_geojson(grid, frame, now_s=now, max_age_s=86400.0)
    counts = run(page, "freshness.js", "m.freshnessCounts(arg)", fc)
    assert (counts["fresh"], counts["stale"], counts["never"]) == (4, 3, 60 - 7)
    assert counts["total"] == 60
    assert counts["km2"]["stale"] == pytest.approx(3 * 0.0025)
    assert counts["freshFraction"] == pytest.approx(4 / 60, abs=1e-4)


def test_report_and_schedule_texts(page):
    """A report's summary line, the daily summary's language and a schedule's times read well."""
    summary = {"distance_m": 2150.4, "duration_s": 390.0, "covered_frac": 0.874, "incidents": 2}
    text = run(page, "reports.js", "m.summaryText(arg)", summary)
    assert text.startswith("2.2 km · 6分30秒 · ")  # the page opens in Chinese
    assert "87" in text
    assert run(page, "reports.js", "m.dailyUrl('en')", None).endswith("lang=en")
    assert run(page, "reports.js", "m.dailyUrl('zh-CN')", None).endswith("lang=zh")
    s = {"times": ["06:30", "16:00"], "cron": "", "months": [6, 7], "timezone": "Asia/Shanghai"}
    when = run(page, "schedules.js", "m.whenText(arg)", s)
    assert when.startswith("06:30, 16:00 · ")
    assert "6,7" in when
    cron = run(page, "schedules.js", "m.whenText(arg)", {"cron": "0 8 * * *", "times": []})
    assert cron == "规则 0 8 * * *"  # the Chinese page names a cron rule in words


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"kind": "coverage", "swath_by": "camera", "hfov": "70", "overlap": "25",
             "pattern": "parallel", "battery_wh": "90", "power_w": "300"},
            {"camera_hfov_deg": 70, "overlap_frac": 0.25, "pattern": "parallel",
             "battery_wh": 90, "power_w": 300},
        ),
        ({"kind": "shore", "offset": "30", "loops": "2"}, {"offset_m": 30, "loops": 2}),
        ({"kind": "tour", "loiter": "12", "drones": "2"}, {"loiter_s": 12, "drones": 2}),
    ],
)  # fmt: skip
def test_the_planners_request_is_one_the_station_plans_and_edits_back(
    page, station, values, expected
):
    """The planner form's request is planned by the station as sent, and a saved plan's
    parameters fill the form so that saving it unchanged sends the same request."""
    form = {"name": "form plan", "altitude": "35", "area": "", "speed": "", "endurance": "",
            "battery_wh": "", "power_w": "", "drones": "1", **values}  # fmt: skip
    body = run(
        page, "planner.js", "m.planBody(arg.form, arg.shape)", {"form": form, "shape": SQUARE}
    )
    drones = int(values.get("drones", 1))
    assert body == {"name": "form plan", "kind": values["kind"], "altitude_m": 35,
                    "polygon": SQUARE, "drones": drones, **expected}  # fmt: skip
    auth = {"Authorization": f"Bearer {station.token('pilot1')}"}
    with station.api() as client:
        r = client.post("/api/plans", json=body, headers=auth)
        assert r.status_code == 201, r.text
        plan = client.get(f"/api/plans/{r.json()['id']}", headers=auth).json()
    again = run(page, "planner.js", "m.planBody(m.formValues(arg), arg.params.polygon)", plan)
    for key, value in body.items():
        assert again[key] == value, key


def test_point_names_are_shortened_in_the_pages_language(page):
    """Bilingual site names give their Chinese part on the Chinese page, English on the other."""
    names = {
        "生态警务无人机巡逻站 (SYNTHETIC) / Eco-police drone station": (
            "生态警务无人机巡逻站",
            "Eco-police drone station",
        ),
        "龙游石窟 Longyou Grottoes (小南海石室, 凤凰山, 石岩背村)": (
            "龙游石窟",
            "Longyou Grottoes",
        ),
        "县城滨江段 野泳点 (town waterfront, summer swimming) - SYNTHETIC": (
            "县城滨江段 野泳点",
            "town waterfront, summer swi…",  # cut at 28 characters
        ),
    }
    for name, (zh, en) in names.items():
        assert run(page, "labels.js", "m.shortName(arg, 'zh-CN')", name) == zh
        assert run(page, "labels.js", "m.shortName(arg, 'en')", name) == en


CHINESE_REASONS = [
    (
        reasons.landed_early(
            5, reasons.returning("RTL", 4, "command", "rtl", "wangfei", name="王飞")
        ),
        ("王飞", "返航", "第 5 个航点", "可续飞"),
    ),
    (
        reasons.returning(
            "RTL", 3, "command", "RTL", "the station (shore margin)", source="shore_margin"
        ),
        ("返航余量告急",),
    ),
    (reasons.failed(TimeoutError("no COMMAND_ACK for MAV_CMD_NAV_TAKEOFF")), ("地面站内部错误",)),
    (
        reasons.Reason(
            "preflight_failed", {"checks": ["battery", "gps"], "detail": "battery: 20 % < 31 %"}
        ),
        ("飞行前检查未通过", "电量", "卫星定位"),
    ),
    (reasons.Reason("vehicle_text", {"detail": "Battery Failsafe"}), ("飞控报告",)),
]


@pytest.mark.parametrize(("reason", "words"), CHINESE_REASONS)
def test_reasons_read_in_chinese_from_their_code(page, reason, words):
    """A reason the station sends as a code and parameters reads in Chinese on the Chinese page,
    with no Latin word: the pilot by full name, the station's own returns, errors and the
    vehicle's own texts in words."""
    text = run(page, "reasons.js", "m.reasonText(arg.code, arg.params)", reason.as_dict())
    for word in words:
        assert word in text, text
    assert not any(c.isascii() and c.isalpha() for c in text), text


def test_handover_control_shows_only_when_this_federated_station_commands(page):
    """The "hand over to…" control (a module test: no fixture runs the page federated): shown
    for a drone the station commands when it is federated with neighbours, off while an offer
    waits; a drone another station commands says which, read from the ``commanded_by`` of the
    frames the fleet bridge makes from the holds `Authority` sets on the fleet."""
    fleet = Fleet([LinkConfig("udpin:127.0.0.1:0")], lost_after_s=1.0)  # never entered
    authority = Authority(":memory:", "river-a", fleet, guests=[7])
    authority.take(3, "h0")
    authority.give(2, "river-b", "h1")
    bridge = FleetBridge(fleet, Hub(queue_size=4), cast(async_sessionmaker[AsyncSession], None))
    frames = {
        sysid: vehicle_frame(
            frame_of(VehicleState(sysid=sysid, compid=1), sysid, f"drone-{sysid}",
                     commanded_by=bridge.commanded_by(sysid))
        ).data
        for sysid in (2, 3, 7)
    }  # fmt: skip
    assert [frames[s]["commanded_by"] for s in (2, 3, 7)] == [
        {"station": "river-b"}, None, {"station": None},
    ]  # fmt: skip
    v = run(page, "store.js", "Object.fromEntries(Object.entries(arg).map(([s, f]) => "
            "[s, m.vehicleFromFrame(f)]))", frames)  # fmt: skip
    fed = {"enabled": True, "station": "river-a", "neighbours": ["river-b"]}
    cases = [
        (v["3"], fed, False, "ready"),
        (v["3"], fed, True, "pending"),
        (v["3"], {**fed, "enabled": False}, False, "hidden"),
        (v["3"], None, False, "hidden"),  # not read yet, or an older station
        (v["3"], {**fed, "neighbours": []}, False, "hidden"),
        (v["2"], fed, False, "commanded"),
        (v["7"], fed, False, "commanded"),
    ]
    got = run(page, "handover.js", "arg.map(([v, f, p]) => m.handoverState(v, f, p))", cases)
    assert got == [c[3] for c in cases]
    by = run(page, "handover.js", "arg.map((v) => m.commandedBy(v))", [v["2"], v["7"], v["3"]])
    assert by == ["river-b", "", None]


@pytest.mark.parametrize(
    ("result", "words"),
    [
        ({"state": "released", "to": "river-b"}, ("已移交", "river-b")),
        (
            {"state": "refused", "to": "river-b", "code": "not_heard"},
            ("拒绝", "收不到", "继续指挥"),
        ),
        ({"state": "refused", "to": "river-b", "code": "no_pilot"}, ("无飞手值班",)),
        ({"state": "refused", "to": "river-b", "code": None}, ("未说明原因",)),
        ({"state": "timeout", "to": "river-b"}, ("未按时答复", "继续指挥")),
    ],
)
def test_handover_outcome_reads_in_chinese(page, result, words):
    """The offer's outcome in plain Chinese words, the refusal's code as a reason."""
    text = run(page, "handover.js", "m.outcomeText(arg)", result)
    for word in words:
        assert word in text, text
    assert not any(c.isascii() and c.isalpha() for c in text.replace("river-b", "")), text
