"""``/docs`` (Swagger UI) works with no internet: every file comes from the station.

The browser may reach the station (127.0.0.1) only; any other request is aborted and recorded,
as it would fail on a station with no internet or behind a firewall that blocks the usual CDN.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.pages import WAIT_MS
from tests.browser.station import LiveStation


@pytest.fixture
def station(tmp_path):
    station = LiveStation(tmp_path / "station").start()
    try:
        yield station
    finally:
        station.stop()


def test_swagger_ui_renders_the_api_offline(browser, station, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []

    def only_the_station(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_station)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{station.url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=WAIT_MS)
        assert "ecopatrol station" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=WAIT_MS)
        paths = page.eval_on_selector_all(
            ".opblock-summary-path", "els => els.map(e => e.getAttribute('data-path'))"
        )
        assert "/api/auth/login" in paths
        assert "/api/vehicles/{vehicle_id}" in paths
        page.screenshot(path=str(artifacts / "api-docs-offline.png"))
        assert elsewhere == [], elsewhere
        assert errors == [], errors
    finally:
        context.close()
