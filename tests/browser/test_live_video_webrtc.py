"""Live video over WebRTC in a real browser: Debian's Chromium plays the simulated drone's H.264
through WHEP (passed through by the station), checked by its pixels; when WHEP is refused the
page falls back to the MSE websocket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.camera.scene import SceneObject
from simulator.geo import offset_deg
from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page
from tests.browser.station import LiveStation
from tests.browser.test_live_video import HOME, SAMPLE

pytestmark = pytest.mark.e2e

PLAYING = (
    "() => { const v = document.querySelector('[data-testid=video]');"
    " return v && v.videoWidth > 0 && v.currentTime > 0.3; }"
)
#: JavaScript: the WebRTC receiver's own account (codec, frames decoded).
INBOUND = """async () => {
    const v = document.querySelector('[data-testid=video]');
    return {transport: v.closest('[data-testid=video-pane]').dataset.transport,
            fallback: v.closest('[data-testid=video-pane]').dataset.fallback ?? null,
            srcObject: v.srcObject !== null};
}"""


@pytest.fixture
def camera_station(tmp_path: Any) -> Iterator[LiveStation]:
    dredger = SceneObject("dredger", *offset_deg(HOME[0], HOME[1], 10.0, 0.0), heading_deg=90.0)
    station = LiveStation(tmp_path / "station", drones=1, camera_objects=(dredger,)).start()
    try:
        station.add_user("pilot1", "pilot")
        station.add_user("officer1", "officer")
        yield station
    finally:
        station.stop()


def sample(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.eval_on_selector("[data-testid=video]", SAMPLE)
    return result


def whep_sessions(station: LiveStation) -> int:
    async def count(app: Any) -> int:
        return len(app.state.services.video.webrtc.sessions)

    return station.call(count)


def test_pilot_watches_over_webrtc_and_sees_the_dredger(
    camera_station: LiveStation, browser: Any, artifacts: Any
) -> None:
    """By default the pane plays WebRTC (WHEP): 640x360 H.264 frames decoded by Chromium,
    textured, recent (stamp < 1 s old); "look ahead" brings the yellow dredger placed 10 m
    north into the upper half; closing the pane DELETEs the session on the station."""
    context, page, errors = open_page(browser, camera_station.url)
    try:
        log_in(page, "pilot1")
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        page.wait_for_selector(
            "[data-testid=video-pane][data-sysid='1'][data-transport=webrtc]", timeout=WAIT_MS
        )
        page.wait_for_function(PLAYING, timeout=WAIT_MS)
        info = page.evaluate(INBOUND)
        assert info == {"transport": "webrtc", "fallback": None, "srcObject": True}
        first = sample(page)
        assert (first["w"], first["h"]) == (640, 360)
        assert first["std"] > 5  # a textured picture, not a flat colour
        assert first["yellow"] < 50  # looking 45 degrees down from the ground: no dredger
        assert first["lagMs"] < 1000
        assert whep_sessions(camera_station) == 1
        page.click("[data-testid=gimbal-ahead]")
        page.wait_for_function(
            f"() => ({SAMPLE})(document.querySelector('[data-testid=video]')).yellowTop > 300",
            timeout=WAIT_MS,
        )
        ahead = sample(page)
        assert ahead["t"] > first["t"]
        assert ahead["lagMs"] < 1000
        page.screenshot(path=str(artifacts / "live-video-webrtc.png"))
        page.click("[data-testid=video-pane] button[aria-label]")
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=video-pane]')", timeout=WAIT_MS
        )
        page.wait_for_timeout(500)
        assert whep_sessions(camera_station) == 0
        assert errors == []
    finally:
        context.close()


def test_a_refused_whep_offer_falls_back_to_mse(camera_station: LiveStation, browser: Any) -> None:
    """An officer whose WHEP offer is refused (503: no viewer place) still gets the picture:
    the pane falls back to the MSE websocket and plays 640x360 frames."""
    context, page, errors = open_page(browser, camera_station.url)
    try:
        body = json.dumps({"detail": "all 40 WebRTC viewer places are taken", "error": "x"})
        page.route(
            "**/api/video/*/whep",
            lambda route: route.fulfill(status=503, body=body, content_type="application/json"),
        )
        log_in(page, "officer1")
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        page.wait_for_selector(
            "[data-testid=video-pane][data-sysid='1'][data-transport=mse]", timeout=WAIT_MS
        )
        page.wait_for_function(PLAYING, timeout=WAIT_MS)
        info = page.evaluate(INBOUND)
        assert info["transport"] == "mse"
        assert "viewer places" in info["fallback"]
        frame = sample(page)
        assert (frame["w"], frame["h"]) == (640, 360)
        assert frame["std"] > 5
        assert page.locator("[data-testid=gimbal-ahead]").count() == 0  # officers watch only
        assert errors == []
    finally:
        context.close()


@pytest.fixture
def two_camera_station(tmp_path: Any) -> Iterator[LiveStation]:
    dredger = SceneObject("dredger", *offset_deg(HOME[0], HOME[1], 10.0, 0.0), heading_deg=90.0)
    station = LiveStation(tmp_path / "station", drones=2, camera_objects=(dredger,)).start()
    try:
        station.add_user("officer1", "officer")
        yield station
    finally:
        station.stop()


@pytest.mark.parametrize(("viewport", "panes"), [(DESKTOP, 2), (PHONE, 1)])
def test_panes_over_webrtc_several_on_a_desktop_one_on_a_phone(
    two_camera_station: LiveStation, browser: Any, viewport: dict[str, int], panes: int
) -> None:
    """Selecting two drones: a desktop plays both over WebRTC (two WHEP sessions), a phone
    keeps one pane, the second drone's, and the first pane's session is deleted."""
    context, page, errors = open_page(browser, two_camera_station.url, viewport=viewport)
    try:
        log_in(page, "officer1")
        for sysid in (1, 2):
            # on a phone the first pane covers the list: select as the map's marker would
            page.eval_on_selector(
                f"[data-testid=vehicle-item][data-sysid='{sysid}']", "e => e.click()"
            )
            page.wait_for_selector(
                f"[data-testid=video-pane][data-sysid='{sysid}'][data-transport=webrtc]",
                timeout=WAIT_MS,
            )
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=video]')]"
            ".every(v => v.videoWidth === 640 && v.currentTime > 0.3)",
            timeout=WAIT_MS,
        )
        shown = page.eval_on_selector_all(
            "[data-testid=video-pane]", "els => els.map(e => e.dataset.sysid)"
        )
        assert shown == (["1", "2"] if panes == 2 else ["2"])
        page.wait_for_timeout(500)
        assert whep_sessions(two_camera_station) == panes
        assert errors == []
    finally:
        context.close()
