"""Live video in a real browser: a simulated drone's camera, found over MAVLink, played in the
page through Media Source Extensions (H.264 passed through), checked by its pixels. The page
plays WebRTC by default (test_live_video_webrtc.py); ``?video=mse`` picks MSE here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.camera.scene import SceneObject
from simulator.geo import offset_deg
from tests.browser.pages import WAIT_MS, log_in, open_page
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

HOME = (29.05253, 119.181841, 40.0)
#: JavaScript: the video's current picture as pixel counts and its time stamp (the 32 squares
#: the simulated camera draws along the bottom-left edge; see simulator/camera/render.py).
SAMPLE = """video => {
    const c = document.createElement("canvas");
    c.width = video.videoWidth; c.height = video.videoHeight;
    const g = c.getContext("2d");
    g.drawImage(video, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let yellow = 0, yellowTop = 0, sum = 0, sum2 = 0;
    for (let i = 0; i < px.length; i += 4) {
        const [r, gr, b] = [px[i], px[i + 1], px[i + 2]];
        const lum = (r + gr + b) / 3; sum += lum; sum2 += lum * lum;
        if (r > 180 && gr > 140 && b < 90) {
            yellow++;
            if (i / 4 / c.width < c.height / 2) yellowTop++;
        }
    }
    const n = px.length / 4, cell = Math.max(4, Math.floor(c.width / 80));
    const row = c.height - Math.floor(cell / 2) - 1;
    let stamp = 0;
    for (let k = 0; k < 32; k++) {
        const j = (row * c.width + k * cell + Math.floor(cell / 2)) * 4;
        stamp = stamp * 2 + ((px[j] + px[j + 1] + px[j + 2]) / 3 >= 128 ? 1 : 0);
    }
    const lag = ((Date.now() % 4294967296) - stamp + 4294967296) % 4294967296;
    return {w: c.width, h: c.height, yellow, yellowTop, std: Math.sqrt(sum2 / n - (sum / n) ** 2),
            lagMs: lag, t: video.currentTime};
}"""


@pytest.fixture
def camera_station(tmp_path: Any) -> Iterator[LiveStation]:
    dredger = SceneObject("dredger", *offset_deg(HOME[0], HOME[1], 10.0, 0.0), heading_deg=90.0)
    station = LiveStation(tmp_path / "station", drones=1, camera_objects=(dredger,)).start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


def sample(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.eval_on_selector("[data-testid=video]", SAMPLE)
    return result


def test_pilot_watches_the_drone_and_turns_its_gimbal(
    camera_station: LiveStation, browser: Any, artifacts: Any
) -> None:
    """Selecting the drone opens its video: 640x360 frames decoded by Chromium, textured (not
    blank), recent (time stamp < 2 s old); "look ahead" tilts the gimbal up and the yellow
    dredger placed 10 m north comes into the upper half of the picture; "photo" puts the
    camera's 1280x720 JPEG on the map and in the popup of an incident the drone reports; the
    record button starts and stops a recording that is stored."""
    context, page, errors = open_page(browser, f"{camera_station.url}/?video=mse")
    try:
        log_in(page, "pilot1")
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        page.wait_for_selector(
            "[data-testid=video-pane][data-sysid='1'][data-transport=mse]", timeout=WAIT_MS
        )
        page.wait_for_function(
            "() => { const v = document.querySelector('[data-testid=video]');"
            " return v && v.videoWidth > 0 && v.currentTime > 0.3; }",
            timeout=WAIT_MS,
        )
        first = sample(page)
        assert (first["w"], first["h"]) == (640, 360)
        assert first["std"] > 5  # a textured picture, not a flat colour
        assert first["yellow"] < 50  # looking 45 degrees down from the ground: no dredger
        assert first["lagMs"] < 2000
        page.click("[data-testid=gimbal-ahead]")
        page.wait_for_function(
            f"() => ({SAMPLE})(document.querySelector('[data-testid=video]')).yellowTop > 300",
            timeout=WAIT_MS,
        )
        ahead = sample(page)
        assert ahead["t"] > first["t"]
        page.screenshot(path=str(artifacts / "live-video.png"))
        # a photo: fetched by the station, then shown on the map where it was taken
        page.click("[data-testid=video-photo]")
        page.wait_for_selector("path.photo-marker", timeout=WAIT_MS)
        page.click("path.photo-marker", force=True)
        page.wait_for_function(
            "() => { const i = document.querySelector('[data-testid=photo-image]');"
            " return i && i.complete && i.naturalWidth === 1280; }",
            timeout=WAIT_MS,
        )
        # an incident the drone reports there shows the camera's photo in its popup
        headers = {"Authorization": f"Bearer {camera_station.token('pilot1')}"}
        with camera_station.api() as api:
            (drone,) = api.get("/api/vehicles", headers=headers).json()["data"]
            body = {"type": "other", "lat_deg": HOME[0], "lon_deg": HOME[1],
                    "vehicle_id": drone["id"]}  # fmt: skip
            r = api.post("/api/incidents", json=body, headers=headers)
            assert r.status_code == 201, r.text
        marker = f"[data-testid=incident-marker][data-id='{r.json()['id']}']"
        page.wait_for_selector(marker, timeout=WAIT_MS)
        page.dispatch_event(marker, "click")  # the drone and its photo are on top of it
        page.wait_for_function(
            "() => { const i = document.querySelector('[data-testid=incident-camera-photo]');"
            " return i && i.complete && i.naturalWidth === 1280; }",
            timeout=WAIT_MS,
        )
        # recording: the pilot starts and stops it; the segment so far is stored with its hash
        record = "[data-testid=video-record]"
        assert page.get_attribute(record, "aria-pressed") == "false"
        page.click(record)
        page.wait_for_selector(f"{record}[aria-pressed=true]", timeout=WAIT_MS)
        with camera_station.api() as api:
            (cam,) = api.get("/api/video/cameras", headers=headers).json()["data"]
            assert cam["recording"]
            page.wait_for_timeout(2500)  # a key frame (every second) reaches the recorder
            page.click(record)
            page.wait_for_selector(f"{record}[aria-pressed=false]", timeout=WAIT_MS)
            deadline = time.monotonic() + WAIT_MS / 1000
            while not (segs := api.get("/api/video/recordings", headers=headers).json()["data"]):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert segs[0]["sysid"] == 1
            assert segs[0]["frames"] > 0
        assert errors == []
    finally:
        context.close()
