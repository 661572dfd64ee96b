"""The live map's schedules tab, patrol reports and coverage freshness layer, in a real browser
against a real station (no simulated drones: the finished patrol is stored through the same
helper the report tests use, and the report filer picks it up as it would after a flight)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from groundstation.app import services_of
from groundstation.schedule.store import record_run
from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, api_status, log_in, open_page, show_tab
from tests.browser.station import LiveStation
from tests.integration.reports.patrol_data import store_patrol

pytestmark = pytest.mark.e2e

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[119.1802, 29.0485], [119.1832, 29.0485], [119.1832, 29.0512], [119.1802, 29.0512],
         [119.1802, 29.0485]]
    ],
}  # fmt: skip
SHANGHAI = timedelta(hours=8)


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    station = LiveStation(tmp_path_factory.mktemp("reports") / "station").start()
    try:
        station.add_user("pilot1", "pilot")
        station.add_user("officer1", "officer")
        yield station
    finally:
        station.stop()


def _get(station: LiveStation, user: str, path: str) -> Any:
    with station.api() as client:
        r = client.get(path, headers={"Authorization": f"Bearer {station.token(user)}"})
        r.raise_for_status()
        return r.json()


def _post(station: LiveStation, user: str, path: str, body: dict[str, Any]) -> Any:
    with station.api() as client:
        r = client.post(path, json=body, headers={"Authorization": f"Bearer {station.token(user)}"})
        assert r.status_code == 201, r.text
        return r.json()


def test_schedule_tab_shows_next_run_runs_and_pilot_switches_it_off(browser, station, artifacts):
    """A schedule made through the API shows its plan and next run in Asia/Shanghai time; a
    skipped run shows with its reason and raises a banner; the pilot disables it from the page,
    the officer has no switch and is refused by the station."""
    plan = _post(station, "pilot1", "/api/plans", {"name": "晨巡 square", "kind": "coverage",
                 "altitude_m": 30, "polygon": SQUARE, "swath_width_m": 70})  # fmt: skip
    schedule = _post(station, "pilot1", "/api/schedules", {"plan_id": plan["id"],
                     "name": "dawn river", "times": ["05:30"]})  # fmt: skip
    next_run = datetime.fromisoformat(schedule["next_run_at"])
    local = (next_run.astimezone(UTC) + SHANGHAI).strftime("%H:%M")
    assert local == "05:30"

    pilot_ctx, pilot, pilot_errors = open_page(browser, station.url)
    officer_ctx, officer, officer_errors = open_page(browser, station.url)
    try:
        log_in(pilot, "pilot1")
        log_in(officer, "officer1")
        item = f"[data-testid=schedule-item][data-id='{schedule['id']}']"
        show_tab(pilot, "schedules")
        pilot.wait_for_selector(item, timeout=WAIT_MS)
        text = pilot.inner_text(item)
        assert "dawn river" in text
        assert "晨巡 square" in text
        assert "05:30" in text
        shown_next = pilot.inner_text(f"{item} [data-testid=schedule-next]")
        assert "下次执行" in shown_next
        assert (next_run.astimezone(UTC) + SHANGHAI).strftime("%m/%d") in shown_next.replace(
            "-", "/"
        )

        # the scheduler fires it now: no drone, so the run is skipped; both pages are told
        outcome = station.call(lambda app: services_of(app).schedules.fire(schedule["id"]))
        assert outcome == "skipped"
        officer.wait_for_selector(
            "#alert-banner:not([hidden]) >> text=定时巡逻「dawn river」已跳过", timeout=WAIT_MS
        )
        show_tab(officer, "schedules")
        run = "[data-testid=run-item][data-status=skipped]"
        officer.wait_for_selector(run, timeout=WAIT_MS)
        assert "没有可用的无人机" in officer.inner_text(run)  # the reason, from its code
        assert "已跳过" in officer.inner_text(run)

        # officers see no switch, and the station refuses them anyway
        assert officer.locator(f"{item} [data-testid=schedule-toggle]").count() == 0
        assert api_status(officer, "PATCH", f"/api/schedules/{schedule['id']}",
                          {"enabled": False}) == 403  # fmt: skip

        pilot.click(f"{item} [data-testid=schedule-toggle]")
        pilot.wait_for_selector(f"{item}[data-enabled=false]", timeout=WAIT_MS)
        stored = _get(station, "pilot1", f"/api/schedules/{schedule['id']}")
        assert stored["enabled"] is False
        assert stored["next_run_at"] is None
        assert "已停用" in pilot.inner_text(item)
        # the officer's page reads the schedules again when the tab is opened
        show_tab(officer, "alerts")
        show_tab(officer, "schedules")
        officer.wait_for_selector(f"{item}[data-enabled=false]", timeout=WAIT_MS)
        officer.click("header [data-testid=lang-switch]")
        officer.wait_for_selector("[data-testid=run-item] >> text=skipped", timeout=WAIT_MS)
        assert "no drone available" in officer.inner_text(run)
        assert 'Scheduled patrol "dawn river" skipped' in officer.inner_text("#alert-banner")
        officer.screenshot(path=str(artifacts / "live_map_schedules.png"))
        assert pilot_errors == [], pilot_errors
        assert officer_errors == [], officer_errors
    finally:
        pilot_ctx.close()
        officer_ctx.close()


def test_finished_patrol_report_opens_and_freshness_layer_draws_its_cells(
    browser, station, artifacts
):
    """A patrol that ends is reported: the officer gets a banner, the patrols tab lists it, its
    HTML report opens in a new tab (with the station's numbers) and its PDF downloads; the
    freshness layer then counts the cells its track saw as fresh, the rest red."""
    context, page, errors = open_page(browser, station.url)
    try:
        log_in(page, "officer1")
        stored = store_patrol(
            station.settings().db, sysid=17, start=datetime.now(UTC) - timedelta(minutes=20)
        )
        pid = stored.patrol_id
        page.wait_for_selector(
            f"#alert-banner:not([hidden]) >> text=巡逻 #{pid} 的报告已生成", timeout=WAIT_MS
        )
        show_tab(page, "patrols")
        item = f"[data-testid=report-item][data-patrol='{pid}']"
        page.wait_for_selector(item, timeout=WAIT_MS)
        assert "巡逻 test lawnmower" in page.inner_text(item)

        summary = next(
            r["summary"]
            for r in _get(station, "officer1", "/api/reports")["data"]
            if r["patrol_id"] == pid
        )
        with context.expect_page(timeout=WAIT_MS) as opened:
            page.click(f"{item} [data-testid=report-html]")
        report = opened.value
        report.wait_for_selector("#summary #distance_m", timeout=WAIT_MS)
        assert report.url.startswith("blob:")
        assert f"#{pid}" in report.inner_text("h1")
        shown = float(report.get_attribute("#summary #distance_m", "data-value"))
        assert shown == pytest.approx(summary["distance_m"])
        assert report.evaluate("document.getElementById('map').naturalWidth") > 100
        report.close()

        # a scheduled run that flew this patrol links to the same report
        schedule = _post(station, "pilot1", "/api/schedules", {"plan_id": stored.plan_id,
                         "name": "lawnmower daily", "times": ["09:00"]})  # fmt: skip

        async def flown(app: Any) -> None:
            async with services_of(app).sessions() as session:
                await record_run(session, schedule["id"], stored.start, "started",
                                 f"drone-17 flying patrol {pid}", patrol_id=pid)  # fmt: skip

        station.call(flown)
        show_tab(page, "schedules")
        run = "[data-testid=run-item][data-status=started]:has-text('lawnmower daily')"
        page.wait_for_selector(f"{run} [data-testid=run-report]", timeout=WAIT_MS)
        assert "已起飞" in page.inner_text(run)
        with context.expect_page(timeout=WAIT_MS) as opened:
            page.click(f"{run} [data-testid=run-report]")
        opened.value.wait_for_selector("#summary #distance_m", timeout=WAIT_MS)
        assert f"#{pid}" in opened.value.inner_text("h1")
        opened.value.close()
        show_tab(page, "patrols")

        with page.expect_download(timeout=WAIT_MS) as got:
            page.click(f"{item} [data-testid=report-pdf]")
        pdf = got.value
        assert pdf.suggested_filename == f"patrol-{pid}.pdf"
        with open(pdf.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"

        with context.expect_page(timeout=WAIT_MS) as opened:
            page.click("[data-testid=daily-summary]")
        daily = opened.value
        daily.wait_for_load_state()
        daily.wait_for_selector("#freshness", timeout=WAIT_MS)
        daily.close()

        # the coverage freshness layer, switched on in the layer control
        page.hover(".leaflet-control-layers")
        page.click(".leaflet-control-layers-overlays label:has-text('近24小时巡查覆盖') input")
        legend = "[data-testid=freshness-legend][data-fresh]"
        page.wait_for_selector(legend, timeout=WAIT_MS)
        api = _get(station, "officer1", "/api/freshness?max_age_h=24")
        cells = {f["properties"]["class"]: f["properties"]["cells"] for f in api["features"]}
        assert cells["fresh"] > 0
        assert int(page.get_attribute(legend, "data-fresh")) == cells["fresh"]
        assert int(page.get_attribute(legend, "data-never")) == cells["never"]
        assert page.locator(".leaflet-freshness-pane canvas").count() == 1
        assert page.locator(".leaflet-freshness-fresh-pane canvas").count() == 1
        # both canvases are painted: the red zone, and the few fresh cells under the track
        painted = page.wait_for_function(
            """() => [".leaflet-freshness-pane", ".leaflet-freshness-fresh-pane"].map((pane) => {
                const c = document.querySelector(`${pane} canvas`);
                const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n += 1;
                return n;
            }).every((n) => n > 0)""",
            timeout=WAIT_MS,
        )
        assert painted.json_value() is True
        page.mouse.move(400, 400)
        page.screenshot(path=str(artifacts / "live_map_freshness.png"))

        # in English the layer control and the legend follow, and the layer stays on
        page.click("header [data-testid=lang-switch]")
        overlays = page.text_content(".leaflet-control-layers-overlays") or ""
        assert "Coverage freshness" in overlays
        assert "Tracks" in overlays
        assert "近24小时巡查覆盖" not in overlays
        assert "not seen for > 24 h" in page.inner_text("[data-testid=freshness-legend]")
        assert page.is_checked(
            ".leaflet-control-layers-overlays label:has-text('Coverage freshness') input"
        )
        assert errors == [], errors
    finally:
        context.close()


@pytest.mark.parametrize(
    "size", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_tour_report_lists_its_hotspots(browser, station, size):
    """A finished hotspot tour (stops stored as Points by the planner's GeoJSON writer) is
    listed with the hotspots it flew over, in Chinese and in English, like a coverage patrol
    with its coverage."""
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, "officer1")
        stored = store_patrol(station.settings().db, sysid=30 + size["width"] % 7, kind="tour",
                              start=datetime.now(UTC) - timedelta(minutes=30))  # fmt: skip
        page.wait_for_selector(
            f"#alert-banner:not([hidden]) >> text=巡逻 #{stored.patrol_id} 的报告已生成",
            timeout=WAIT_MS,
        )
        summary = next(
            r["summary"]
            for r in _get(station, "officer1", "/api/reports?limit=100")["data"]
            if r["patrol_id"] == stored.patrol_id
        )
        assert (summary["hotspots_visited"], summary["hotspots_planned"]) == (2, 3)
        show_tab(page, "patrols")
        item = f"[data-testid=report-item][data-patrol='{stored.patrol_id}']"
        page.wait_for_selector(f"{item} >> text=重点部位 2/3 处已到", timeout=WAIT_MS)
        page.click("header [data-testid=lang-switch]")
        page.wait_for_selector(f"{item} >> text=2 of 3 hotspots visited", timeout=WAIT_MS)
        assert errors == [], errors
    finally:
        context.close()
