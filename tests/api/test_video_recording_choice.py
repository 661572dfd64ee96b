"""A pilot's start or stop of a drone's recording is stored, audited and holds across a restart
of the station; every start and stop reaches the pages (``video.recording``) with its reason,
a full disk's too."""

from __future__ import annotations

import errno
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from groundstation.app import create_app
from groundstation.config import Settings
from groundstation.video.recorder import SegmentRecorder
from groundstation.video.settings import VideoSettings
from simulator.camera.h264 import H264Encoder
from simulator.camera.rtp import RtpH264Packetizer

SYSID = 7


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def stream_settings(settings: Settings) -> Settings:
    """Drone 7's camera from the settings, recorded from the start (``record=True``)."""
    video = VideoSettings(streams={SYSID: f"udp://127.0.0.1:{_free_udp_port()}"}, record=True)
    return settings.model_copy(update={"video": video})


def _login(client: TestClient) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": "root", "password": "admin-password"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _camera(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """Drone 7's camera, once the station has it."""
    deadline = time.monotonic() + 10
    while not (cams := client.get("/api/video/cameras", headers=headers).json()["data"]):
        assert time.monotonic() < deadline, "the configured camera never appeared"
        time.sleep(0.05)
    (cam,) = cams
    return dict(cam)


def _wait_camera(client: TestClient, headers: dict[str, str], recording: bool) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while (cam := _camera(client, headers))["recording"] != recording:
        assert time.monotonic() < deadline, cam
        time.sleep(0.05)
    return cam


def _recording_messages(ws: WebSocketTestSession, count: int) -> Iterator[dict[str, Any]]:
    """The next `count` ``video.recording`` messages on the live stream (others skipped)."""
    got = 0
    while got < count:
        msg = json.loads(ws.receive_text())
        if msg["type"] == "video.recording":
            got += 1
            yield msg["data"]


def _send_frames(port: int, frames: int = 12) -> None:
    enc, rtp = H264Encoder(160, 96, fps=10), RtpH264Packetizer(ssrc=3)
    rng = np.random.default_rng(2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i in range(frames):
            nals = enc.encode(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8))
            for pkt in rtp.packetize(nals, i * 9000):
                sender.sendto(pkt, ("127.0.0.1", port))
            time.sleep(0.02)


def test_a_pilots_stop_is_stored_audited_and_holds_after_a_restart(
    stream_settings: Settings,
) -> None:
    """The settings record drone 7; a pilot stops it: the stop is audited, told to the pages as
    the pilot's, and after the station restarts the drone is still not recorded, the camera
    saying whose choice that is; the pilot's start then holds over a restart too."""
    with TestClient(create_app(stream_settings)) as client:
        headers = _login(client)
        cam = _wait_camera(client, headers, recording=True)
        assert cam["recording_state"]["reason"] == "settings"
        assert cam["recording_state"]["chosen_by"] is None
        token = headers["Authorization"].removeprefix("Bearer ")
        with client.websocket_connect(f"/ws/live?token={token}") as ws:
            r = client.post(f"/api/video/{SYSID}/recording", headers=headers, json={"on": False})
            assert r.status_code == 200, r.text
            (stopped,) = _recording_messages(ws, 1)
        assert (stopped["sysid"], stopped["recording"], stopped["reason"]) == (
            SYSID, False, "pilot",
        )  # fmt: skip
        assert stopped["chosen_by"] == "root"
        audit = client.get("/api/audit", headers=headers, params={"limit": 50}).json()["data"]
        assert [a["command"] for a in audit if a["command"].startswith("video.record")] == [
            "video.record_stop"
        ]
    with TestClient(create_app(stream_settings)) as client:  # the station restarts
        headers = _login(client)
        cam = _camera(client, headers)
        time.sleep(0.3)  # time enough for a recording the settings would start
        cam = _camera(client, headers)
        assert not cam["recording"]
        state = cam["recording_state"]
        assert (state["recording"], state["reason"], state["chosen_by"]) == (False, "pilot", "root")
        assert state["chosen_at"] == stopped["chosen_at"]
        r = client.post(f"/api/video/{SYSID}/recording", headers=headers, json={"on": True})
        assert r.status_code == 200, r.text
        _wait_camera(client, headers, recording=True)
    with TestClient(create_app(stream_settings)) as client:  # and again: the start holds
        headers = _login(client)
        cam = _wait_camera(client, headers, recording=True)
        assert cam["recording_state"]["reason"] == "pilot"


def test_back_to_the_settings_drops_the_choice_for_good(stream_settings: Settings) -> None:
    """A pilot stops drone 7 (the settings record it), then sends it back to the settings: it
    records again as the settings' say, audited, and still so after a restart."""
    with TestClient(create_app(stream_settings)) as client:
        headers = _login(client)
        _wait_camera(client, headers, recording=True)
        r = client.post(f"/api/video/{SYSID}/recording", headers=headers, json={"on": False})
        assert r.status_code == 200, r.text
        _wait_camera(client, headers, recording=False)
        r = client.delete(f"/api/video/{SYSID}/recording", headers=headers)
        assert r.status_code == 200, r.text
        cam = _wait_camera(client, headers, recording=True)
        state = cam["recording_state"]
        assert (state["reason"], state["chosen_by"]) == ("settings", None)
        audit = client.get("/api/audit", headers=headers, params={"limit": 50}).json()["data"]
        assert [a["command"] for a in audit if a["command"].startswith("video.record")] == [
            "video.record_default", "video.record_stop",
        ]  # fmt: skip
        assert client.delete("/api/video/99/recording", headers=headers).status_code == 404
    with TestClient(create_app(stream_settings)) as client:
        headers = _login(client)
        cam = _wait_camera(client, headers, recording=True)
        assert cam["recording_state"]["reason"] == "settings"


def test_nobodys_choice_leaves_the_settings_in_charge(stream_settings: Settings) -> None:
    """Without a pilot's choice a restart records as the settings say, and says so."""
    off = stream_settings.video.model_copy(update={"record": [9]})
    settings = stream_settings.model_copy(update={"video": off})
    with TestClient(create_app(settings)) as client:
        headers = _login(client)
        time.sleep(0.3)
        cam = _camera(client, headers)
        assert not cam["recording"]
        state = cam["recording_state"]
        assert (state["recording"], state["reason"]) == (False, "settings")
        assert state["chosen_by"] is None


def test_a_full_disk_stops_the_recording_and_tells_the_pages(
    stream_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recording the disk cannot take (ENOSPC on write) stops: the pages get a
    ``video.recording`` saying it stopped for a full disk, and the camera list agrees."""

    def full(self: SegmentRecorder, unit: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SegmentRecorder, "feed", full)
    port = int(stream_settings.video.streams[SYSID].rsplit(":", 1)[1])
    with TestClient(create_app(stream_settings)) as client:
        headers = _login(client)
        _wait_camera(client, headers, recording=True)
        token = headers["Authorization"].removeprefix("Bearer ")
        with client.websocket_connect(f"/ws/live?token={token}") as ws:
            _send_frames(port)
            (stopped,) = _recording_messages(ws, 1)
        assert (stopped["sysid"], stopped["recording"], stopped["reason"]) == (
            SYSID, False, "disk_full",
        )  # fmt: skip
        assert stopped["error"] == "No space left on device"
        cam = _wait_camera(client, headers, recording=False)
        assert cam["recording_state"]["reason"] == "disk_full"
        alerts = client.get("/api/alerts", headers=headers).json()["data"]
        assert any(a["kind"] == "recording_stopped" for a in alerts)
