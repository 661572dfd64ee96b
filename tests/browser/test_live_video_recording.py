"""An open video pane follows the station's recording state: when the station stops a recording
itself (the disk is full), the pane's button and its status line change at once, without a
reload, told by the live stream's ``video.recording``; on a phone as on a desktop, in Chinese."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from groundstation.video.settings import VideoSettings
from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

PANE = "[data-testid=video-pane][data-sysid='1']"
RECORD = f"{PANE} [data-testid=video-record]"
LINE = f"{PANE} [data-testid=video-recording]"
TEXT = f"{LINE} [data-testid=video-recording-text]"
DEFAULT = f"{LINE} [data-testid=video-record-default]"
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def recording_station(tmp_path: Any) -> Iterator[LiveStation]:
    """One simulated drone with a camera, recorded from the start by the settings."""
    station = LiveStation(
        tmp_path / "station", drones=1, camera_objects=(), video=VideoSettings(record=True)
    )
    station.start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


async def _disk_full(app: FastAPI) -> None:
    """From now on drone 1's recorder cannot write: the disk is full."""
    video = app.state.services.video
    recorder = video.recorders[1]

    def full(unit: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    recorder.feed = full


@pytest.mark.parametrize(
    "size", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_a_disk_full_stop_changes_the_open_panes_button_without_reload(
    recording_station: LiveStation, browser: Any, artifacts: Any, size: dict[str, int]
) -> None:
    """The pane says the settings record the drone and offers "stop"; the station's disk fills:
    the live stream says so and, with no reload, the button offers "record" again and the line
    says the disk is full, all in Chinese; a pilot's start then reads as theirs, and "back to
    the station setting" makes it the settings' again."""
    context, page, errors = open_page(browser, f"{recording_station.url}/?video=mse", size)
    told: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda frame: told.append(frame) if "video.recording" in str(frame) else None,
        ),
    )
    try:
        log_in(page, "pilot1")
        # the page opens the first drone's video by itself (on a phone it covers the list)
        page.wait_for_selector(f"{RECORD}[aria-pressed=true]", timeout=WAIT_MS)
        page.wait_for_selector(f"{LINE}[data-reason=settings][data-recording=true]",
                               timeout=WAIT_MS)  # fmt: skip
        assert page.inner_text(TEXT) == "录像中（按站点设置）"
        assert not page.is_visible(DEFAULT)  # nobody chose: nothing to go back to
        assert page.inner_text(RECORD) == "停止录像"
        page.evaluate("() => { window.__sameDocument = true; }")
        recording_station.call(_disk_full)
        page.wait_for_selector(f"{RECORD}[aria-pressed=false]", timeout=WAIT_MS)
        page.wait_for_selector(f"{LINE}[data-reason=disk_full]", timeout=WAIT_MS)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        assert page.inner_text(RECORD) == "录像"
        line = page.inner_text(TEXT)
        assert line == "录像已停止：磁盘已满，无法写入"
        assert not LATIN.search(line), line
        assert any('"reason":"disk_full"' in frame for frame in told), told
        page.screenshot(path=str(artifacts / f"video-recording-disk-full-{size['width']}.png"))
        # the pilot starts it again: a pilot's choice now, said so in the line
        with recording_station.api() as api:
            headers = {"Authorization": f"Bearer {recording_station.token('pilot1')}"}
            body = {"on": True}
            api.post("/api/video/1/recording", json=body, headers=headers).raise_for_status()
        page.wait_for_selector(f"{RECORD}[aria-pressed=true]", timeout=WAIT_MS)
        page.wait_for_selector(f"{LINE}[data-reason=pilot][data-recording=true]",
                               timeout=WAIT_MS)  # fmt: skip
        assert page.inner_text(TEXT).startswith("录像中：pilot1 于 ")
        assert page.inner_text(DEFAULT) == "恢复站点设置"
        assert not LATIN.search(page.inner_text(DEFAULT))
        # and back to the station's setting: still recording, the settings' say again
        page.click(DEFAULT)
        page.wait_for_selector(f"{LINE}[data-reason=settings][data-recording=true]",
                               timeout=WAIT_MS)  # fmt: skip
        assert page.inner_text(TEXT) == "录像中（按站点设置）"
        assert not page.is_visible(DEFAULT)
        assert errors == []
    finally:
        context.close()
