"""Planning on the page and the map's legibility, at desktop (1280x800) and phone (390x844) sizes.

A pilot draws an area on the map beside the station, previews the route with its sorties and
times, saves it, flies it and sees the patrol start with the route and track in the drone's own
colour; the legend explains the map, the points' names are on it without covering one another,
and the pilot deletes a plan no patrol was made from (one that was flown is kept).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.pages import WAIT_MS, log_in, open_page, show_tab
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}

#: About 300 m x 300 m just south of the Longyou station, inside the site's patrol zone (as in
#: tests/api/test_plans.py): the corners the pilot clicks, then the first again to close it.
CORNERS = [
    (119.18030, 29.04945),
    (119.18330, 29.04940),
    (119.18335, 29.05200),
    (119.18030, 29.05205),
]

#: Two visible labels (drone or point names) overlap: none should.
OVERLAPPING_LABELS = """() => {
  const els = [...document.querySelectorAll('.veh-label, .leaflet-tooltip.poi-label')]
    .filter((e) => !e.classList.contains('label-hidden') && e.textContent.trim());
  const boxes = els.map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
  const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, b] = [boxes[i], boxes[j]];
    const apart = a.right - 1 <= b.left || b.right - 1 <= a.left
      || a.bottom - 1 <= b.top || b.bottom - 1 <= a.top;
    if (!apart) out.push([els[i].textContent, els[j].textContent]);
  }
  return out;
}"""


@pytest.fixture
def planning_station(tmp_path) -> Iterator[LiveStation]:
    rally = [(119.23, 29.070)]  # on land (safety.site_facts' doctest)
    station = LiveStation(tmp_path / "station", drones=1, speedup=10.0, rally_points=rally).start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


def _spare_plan(station: LiveStation, token: str) -> int:
    """A plan made through the API that no patrol uses (for the pilot to delete on the page)."""
    ring = [[lon, lat] for lon, lat in CORNERS] + [list(CORNERS[0])]
    body = {"name": "旧方案", "kind": "coverage", "altitude_m": 30, "swath_width_m": 80,
            "polygon": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    with station.api() as client:
        r = client.post("/api/plans", json=body, headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return int(r.json()["id"])


def _screen_point(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Where (lon, lat) is on the screen, from the drone marker's place and position and the
    map's scale (Web Mercator: metres per pixel at this zoom and latitude)."""
    arrow = page.locator("[data-testid=vehicle-marker] .veh-arrow").first.bounding_box()
    marker = page.locator("[data-testid=vehicle-marker]").first
    lat0 = float(marker.get_attribute("data-lat"))
    lon0 = float(marker.get_attribute("data-lon"))
    zoom = float(page.get_attribute("#map", "data-zoom"))
    m_per_px = 156543.03392 * math.cos(math.radians(lat0)) / 2**zoom
    x0 = arrow["x"] + arrow["width"] / 2
    y0 = arrow["y"] + arrow["height"] / 2
    dx = (lon - lon0) * 111_320 * math.cos(math.radians(lat0)) / m_per_px
    dy = -(lat - lat0) * 110_574 / m_per_px
    return x0 + dx, y0 + dy


def _zoom_to_drone(page: Any) -> None:
    """Click the drone in the list until the map has zoomed to it (the list is re-rendered
    every second, and a click that lands on an item being replaced is lost)."""
    zoomed = "() => Number(document.getElementById('map').dataset.zoom) >= 15"
    for _ in range(5):
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        try:
            page.wait_for_function(zoomed, timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    page.wait_for_function(zoomed, timeout=WAIT_MS)


def _colour(page: Any, selector: str) -> str:
    return str(page.get_attribute(selector, "stroke")).lower()


@pytest.mark.parametrize("size", SIZES)
def test_pilot_draws_previews_saves_flies_and_deletes_plans(
    browser, planning_station, artifacts, size
):
    """Draw, preview (sorties and times), save, fly; per-drone colour; legend and labels;
    delete an unused plan, and a flown plan is kept."""
    station = planning_station
    spare = _spare_plan(station, station.token("pilot1"))
    context, page, errors = open_page(browser, station.url)
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    try:
        log_in(page, "pilot1")
        page.wait_for_selector("[data-testid=vehicle-marker]", timeout=WAIT_MS)

        # legend: zones by type, the station and other points, the drone in its colour
        legend = page.locator("[data-testid=legend]")
        if page.locator("[data-testid=legend-item]").count() == 0:  # collapsed on a phone
            page.click("[data-testid=legend-toggle]")
        keys = set(legend.locator("[data-testid=legend-item]").evaluate_all(
            "els => els.map(e => e.dataset.key)"))  # fmt: skip
        assert {"no_fly", "restricted", "keep_out", "water", "hotspot"} <= keys
        assert {"poi-patrol_station", "poi-settlement", "drone-1", "route", "track"} <= keys
        assert "rally" in keys
        assert page.locator("[data-testid=rally-point]").count() == 1
        assert "高压线走廊" in legend.inner_text()
        page.screenshot(path=str(artifacts / f"legend_{size}.png"))
        if size == "phone":
            page.click("[data-testid=legend-toggle]")  # out of the map's way again

        # labels: the points are named on the map, and no two visible labels overlap
        named = ".leaflet-tooltip.poi-label:not(.label-hidden)"
        page.wait_for_function(
            "sel => document.querySelectorAll(sel).length >= 3", arg=named, timeout=WAIT_MS
        )
        # the station's label may be placed on a later declutter pass (after the drone's marker
        # moves in): wait for it rather than reading the pane once (failed once in CI on a phone)
        page.wait_for_function(
            "t => document.querySelector('.leaflet-tooltip-pane').innerText.includes(t)",
            arg="生态警务无人机巡逻站",
            timeout=WAIT_MS,
        )
        assert page.evaluate(OVERLAPPING_LABELS) == []

        # the pilot zooms to the drone at the station and draws an area just south of it
        _zoom_to_drone(page)
        page.wait_for_timeout(400)  # the view settles
        assert page.evaluate(OVERLAPPING_LABELS) == []
        show_tab(page, "patrols")
        page.click("[data-testid=plan-new]")
        page.fill("[data-testid=plan-name]", "南侧水面")
        page.fill("[data-testid=plan-swath]", "70")
        page.fill("[data-testid=plan-altitude]", "35")
        page.click("[data-testid=plan-draw]")
        points = [_screen_point(page, lon, lat) for lon, lat in CORNERS]
        for x, y in [*points, points[0]]:
            page.mouse.click(x, y)
            page.wait_for_timeout(150)
        page.wait_for_selector("[data-testid=plan-drawn] >> text=4 个顶点", timeout=WAIT_MS)
        # no incident menu popped up from the clicks that drew the area
        assert page.locator("[data-testid=map-menu]").count() == 0

        # preview: the route on the map, its sorties with their lengths and times
        page.click("[data-testid=plan-preview]")
        page.wait_for_selector("[data-testid=plan-summary]", timeout=WAIT_MS)
        summary = page.inner_text("[data-testid=plan-summary]")
        assert "公里" in summary
        assert "分" in summary
        assert "架次 1" in summary
        assert int(page.get_attribute("#map", "data-plan-preview") or 0) >= 2
        page.screenshot(path=str(artifacts / f"planner_preview_{size}.png"))

        # save: a new plan in the list
        page.click("[data-testid=plan-save]")
        item = page.locator("[data-testid=plan-item]", has_text="南侧水面")
        item.wait_for(timeout=WAIT_MS)
        plan_id = int(item.get_attribute("data-id"))

        # fly it on the drone: the patrol appears, with the route in the drone's colour
        item.locator("[data-testid=plan-fly]").click()
        page.click("[data-testid=plan-fly-ok]")
        page.wait_for_selector("[data-testid=toast-info] >> text=已开始", timeout=WAIT_MS)
        page.wait_for_selector(
            "[data-testid=patrol-item]:not([data-state=planned])", timeout=WAIT_MS
        )
        page.wait_for_selector("path.route-1", state="attached", timeout=WAIT_MS)
        page.wait_for_selector("path.track-1", state="attached", timeout=WAIT_MS * 2)
        drone = page.eval_on_selector(
            "[data-testid=vehicle-marker]",
            "e => getComputedStyle(e).getPropertyValue('--drone').trim().toLowerCase()",
        )
        legend_dot = page.eval_on_selector(
            "[data-testid=legend-item][data-key=drone-1] .legend-dot",
            "e => getComputedStyle(e).backgroundColor",
        ) if page.locator("[data-testid=legend-item]").count() else None  # fmt: skip
        assert drone.startswith("#")
        assert _colour(page, "path.route-1") == drone
        assert _colour(page, "path.track-1") == drone
        if legend_dot is not None:
            r, g, b = (int(drone[i : i + 2], 16) for i in (1, 3, 5))
            assert legend_dot == f"rgb({r}, {g}, {b})"
        page.screenshot(path=str(artifacts / f"planner_flying_{size}.png"))

        # follow mode keeps the flying drone in view
        page.click("[data-testid=follow-toggle]")
        assert page.get_attribute("[data-testid=follow-toggle]", "aria-pressed") == "true"

        # the patrol ends (aborted by the pilot): its track stays, dimmed, in the drone's colour
        patrol_id = page.get_attribute(
            "[data-testid=patrol-item]:not([data-state=planned])", "data-id"
        )
        with station.api() as client:
            token = station.token("pilot1")
            r = client.post(
                f"/api/patrols/{patrol_id}/abort",
                json={},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code < 300, r.text
        page.wait_for_selector(
            "path.track-1[stroke-opacity='0.3']", state="attached", timeout=WAIT_MS
        )
        assert _colour(page, "path.track-1") == drone

        # the flown plan is kept as the patrol's record: deleting it says why, and it stays
        item.locator("[data-testid=plan-delete]").click()
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector("[data-testid=toast-error] >> text=record", timeout=WAIT_MS)
        assert page.locator(f"[data-testid=plan-item][data-id='{plan_id}']").count() == 1

        # the pilot edits the unused plan: lower and with narrower swaths, planned again in place
        spare_item = page.locator(f"[data-testid=plan-item][data-id='{spare}']")
        spare_item.locator("[data-testid=plan-edit]").click()
        page.wait_for_selector("[data-testid=plan-form]", timeout=WAIT_MS)
        assert page.input_value("[data-testid=plan-altitude]") == "30"
        assert page.input_value("[data-testid=plan-swath]") == "80"
        page.fill("[data-testid=plan-altitude]", "25")
        page.fill("[data-testid=plan-swath]", "50")
        page.click("[data-testid=plan-save]")
        page.wait_for_selector(f"[data-testid=toast-info] >> text=#{spare}", timeout=WAIT_MS)
        with station.api() as client:
            auth = {"Authorization": f"Bearer {station.token('pilot1')}"}
            edited = client.get(f"/api/plans/{spare}", headers=auth).json()
        assert edited["params"]["altitude_m"] == 25
        assert edited["params"]["swath_width_m"] == 50

        # the unused plan is deleted from the page
        spare_item.locator("[data-testid=plan-delete]").click()
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector(
            f"[data-testid=toast-info] >> text=巡逻方案 #{spare} 已删除", timeout=WAIT_MS
        )
        spare_item.wait_for(state="detached", timeout=WAIT_MS)
        with station.api() as client:
            token = station.token("pilot1")
            r = client.get(f"/api/plans/{spare}", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 404
        assert errors == []
    finally:
        context.close()
