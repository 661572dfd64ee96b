"""The live map on a phone (390x844, touch) with a station and a simulated drone: a one-line
top bar (with the connection badge too), an incident popup not clipped under the top bar, a
layer switcher that stays open on tap, 44 px touch targets, and "station connection lost"
shown as what it is when the page loses the station, not as every drone's link lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page, show_tab
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

#: The smallest comfortable touch target (Apple HIG, Material: 44-48 px).
TOUCH_PX = 44
SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture(scope="module")
def station(tmp_path_factory) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path_factory.mktemp("phone") / "station", drones=1, speedup=10.0)
    station.start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


def _one_line(page: Any) -> dict[str, Any]:
    """The top bar's height and the distinct rows its visible items sit on."""
    return dict(
        page.evaluate(
            """() => {
                const bar = document.querySelector('.topbar');
                const items = [...bar.children]
                    .filter((e) => e.offsetWidth > 0 && e.offsetHeight > 0);
                const mids = items.map((e) => { const r = e.getBoundingClientRect();
                    return Math.round((r.top + r.bottom) / 2); });
                const rows = [...new Set(mids.map((m) => Math.round(m / 8)))];
                return {height: bar.getBoundingClientRect().height, rows: rows.length,
                        overflow: bar.scrollWidth > bar.clientWidth + 1};
            }"""
        )
    )


@pytest.mark.parametrize("size", SIZES)
def test_top_bar_is_one_line_with_and_without_the_station(browser, station, artifacts, size):
    """The top bar stays one line, live and while reconnecting; when the station is away the
    page says the station connection is lost, and the drone is not shown as link lost."""
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, "pilot1")
        page.wait_for_selector("[data-testid=vehicle-marker][data-sysid='1']", timeout=WAIT_MS)
        bar = _one_line(page)
        assert bar["rows"] == 1, bar
        assert bar["height"] <= 56, bar
        assert not bar["overflow"], bar
        page.screenshot(path=str(artifacts / f"live_map_topbar_{size['width']}.png"))

        station.stop_server()
        try:
            page.wait_for_selector("#conn[data-state='reconnecting']", timeout=WAIT_MS)
            page.wait_for_selector("#station-lost:not([hidden])", timeout=WAIT_MS)
            bar = _one_line(page)
            assert bar["rows"] == 1, bar
            assert bar["height"] <= 56, bar
            marker = page.locator("[data-testid=vehicle-marker][data-sysid='1']")
            assert marker.get_attribute("data-link") == "station"
            assert "链路丢失" not in page.inner_text("[data-testid=vehicle-list]")
            assert "链路丢失" not in marker.inner_text()
            assert "地面站" in page.inner_text("#station-lost")
            page.screenshot(path=str(artifacts / f"live_map_station_lost_{size['width']}.png"))
        finally:
            station.start_server()
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        page.wait_for_selector("#station-lost[hidden]", state="attached", timeout=WAIT_MS)
        assert errors == [], errors
    finally:
        context.close()


def test_phone_popup_layers_and_touch_targets(browser, station, artifacts):
    """On a phone: an incident opened from the list shows its popup whole below the top bar;
    the layer switcher opens on a tap and stays open; buttons and fields are >= 44 px high."""
    token = station.token("pilot1")
    with station.api() as client:
        body = {"type": "illegal_fishing", "lat_deg": 29.0600, "lon_deg": 119.1700,
                "description": "电鱼，两人，一条小船"}  # fmt: skip
        r = client.post("/api/incidents", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        incident = r.json()["id"]
    context, page, errors = open_page(browser, station.url, PHONE)
    try:
        log_in(page, "pilot1")
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        small = page.evaluate(
            """(min) => [...document.querySelectorAll('button, select, input, [role=tab]')]
                .filter((e) => e.offsetWidth > 0 && e.offsetHeight > 0)
                .filter((e) => e.getBoundingClientRect().height < min - 0.5)
                .map((e) => `${e.tagName} ${e.dataset.testid ?? e.id ?? ''}`
                    + ` ${e.textContent.trim().slice(0, 12)}`
                    + ` ${Math.round(e.getBoundingClientRect().height)}px`)""",
            TOUCH_PX,
        )
        assert small == [], small

        show_tab(page, "incidents")
        page.tap(f"[data-testid=incident-item][data-id='{incident}']")
        popup = page.locator(f"[data-testid=incident-popup][data-id='{incident}']")
        popup.wait_for(timeout=WAIT_MS)
        page.wait_for_timeout(600)  # the map's pan to it
        box = page.locator(".leaflet-popup").bounding_box()
        bar = page.locator(".topbar").bounding_box()
        map_box = page.locator("#map").bounding_box()
        assert box is not None
        assert bar is not None
        assert map_box is not None
        assert box["y"] >= bar["y"] + bar["height"], (box, bar)
        assert box["y"] >= map_box["y"], (box, map_box)
        assert box["y"] + box["height"] <= map_box["y"] + map_box["height"] + 1, (box, map_box)
        zoom = page.locator(".leaflet-control-zoom").bounding_box()
        assert zoom is not None
        assert box["x"] >= zoom["x"] + zoom["width"], ("popup under the zoom buttons", box, zoom)
        page.screenshot(path=str(artifacts / "live_map_phone_popup.png"))
        page.keyboard.press("Escape")
        page.locator(".leaflet-popup-close-button").click()

        page.tap(".leaflet-control-layers-toggle")
        page.wait_for_timeout(800)
        assert page.locator(".leaflet-control-layers-expanded").count() == 1
        page.tap(".leaflet-control-layers-list label >> nth=0")
        page.wait_for_timeout(500)
        assert page.locator(".leaflet-control-layers-expanded").count() == 1
        page.screenshot(path=str(artifacts / "live_map_phone_layers.png"))
        assert errors == [], errors
    finally:
        context.close()
