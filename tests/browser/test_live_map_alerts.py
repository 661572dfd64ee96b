"""A stored alert on the live map: a page opened after the alert shows it, in Chinese, in the
banner and the list, until a pilot acknowledges it from the page."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.browser.pages import WAIT_MS, log_in, open_page, show_tab
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e


@pytest.fixture
def one_drone(tmp_path) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path / "station", drones=1, speedup=10.0).start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


def _until_open_alert(station: LiveStation, token: str, kind: str) -> None:
    with station.api() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = client.get(f"/api/alerts?kind={kind}&open=true",
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            if r.json()["count"]:
                return
            time.sleep(0.2)
    raise AssertionError(f"no open {kind} alert")


def test_an_alert_raised_before_the_page_opened_is_shown_until_acknowledged(
    browser, one_drone, artifacts
):
    """Battery low on a drone standing at the station; the page opened afterwards shows it in
    the banner and the alert list in Chinese; the pilot acknowledges it there."""
    station = one_drone
    station.battery_sag(1, 75.0)  # 25 % left: under the 30 % warning
    _until_open_alert(station, station.token("pilot1"), "battery_low")

    ctx, page, errors = open_page(browser, station.url)
    try:
        log_in(page, "pilot1")
        page.wait_for_selector("#alert-banner:not([hidden])", timeout=WAIT_MS)
        assert "电池电量低" in page.inner_text("#alert-banner-text")
        show_tab(page, "alerts")
        item = page.locator("[data-testid=alert-item][data-kind=battery_low]")
        assert "电池电量低" in item.inner_text()
        page.screenshot(path=str(artifacts / "live_map_alert.png"))
        page.on("dialog", lambda d: d.accept("seen from the page"))
        item.locator("[data-testid=alert-ack]").click()
        page.wait_for_selector(
            "[data-testid=alert-item][data-kind=battery_low] [data-testid=alert-acked]",
            timeout=WAIT_MS,
        )
        assert errors == []
    finally:
        ctx.close()
    with station.api() as client:
        token = station.token("pilot1")
        r = client.get("/api/alerts?kind=battery_low", headers={"Authorization": f"Bearer {token}"})
        (acked,) = r.json()["data"]
        assert acked["open"] is False
        assert acked["ack_note"] == "seen from the page"
