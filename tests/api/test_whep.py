"""WebRTC by WHEP: an offer for a configured camera's stream is answered with H.264 and a
session URL; bad offers, offers without H.264, unknown vehicles and strangers are refused
clearly; DELETE ends the session and frees the stream's subscription."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver
from fastapi.testclient import TestClient

from groundstation.app import create_app
from groundstation.config import Settings
from groundstation.video.settings import VideoSettings
from tests.api.conftest import PASSWORD

SDP = {"Content-Type": "application/sdp"}


def browser_offer(codecs: tuple[str, ...] = ("video/H264",)) -> str:
    """A recvonly video offer as a browser makes it (made by aiortc, host candidates only)."""

    async def make() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        t = pc.addTransceiver("video", direction="recvonly")
        caps = RTCRtpReceiver.getCapabilities("video")
        assert caps is not None
        t.setCodecPreferences([c for c in caps.codecs if c.mimeType in (*codecs, "video/rtx")])
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    video = VideoSettings(streams={7: f"udp://127.0.0.1:{_free_udp_port()}"})
    with TestClient(create_app(settings.model_copy(update={"video": video}))) as client:
        deadline = time.monotonic() + 10
        while 7 not in client.app.state.services.video.sources:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield client


def login(client: TestClient, username: str, role: str | None = None) -> dict[str, str]:
    if role is not None:
        admin = login(client, "root")
        body = {"username": username, "password": PASSWORD, "role": role}
        assert client.post("/api/users", json=body, headers=admin).status_code == 201
    password = "admin-password" if username == "root" else PASSWORD
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_an_officer_gets_an_h264_answer_and_delete_frees_the_stream(client: TestClient) -> None:
    """An officer's offer: 201, an SDP answer sending H.264 only with host candidates, and a
    Location; while it lasts the stream has one subscriber (the session's feed); DELETE ends
    it, frees the subscription, and a second DELETE is 404."""
    officer = login(client, "officer1", "officer")
    video = client.app.state.services.video  # type: ignore[attr-defined]
    r = client.post("/api/video/7/whep", content=browser_offer(), headers=SDP | officer)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/sdp")
    answer = r.text
    assert answer.startswith("v=0")
    m_video = next(line for line in answer.splitlines() if line.startswith("m=video"))
    rtpmaps = [line for line in answer.splitlines() if line.startswith("a=rtpmap:")]
    assert rtpmaps
    assert all("H264/90000" in line or "rtx/90000" in line for line in rtpmaps), rtpmaps
    assert "a=sendonly" in answer
    candidates = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
    assert candidates
    assert all(" typ host" in line for line in candidates)  # no STUN: nothing to the internet
    assert m_video
    location = r.headers["location"]
    assert location.startswith("/api/video/whep/")
    assert len(video.webrtc.sessions) == 1
    assert video.sources[7].subscribers == 1
    second = client.post("/api/video/7/whep", content=browser_offer(), headers=SDP | officer)
    assert second.status_code == 201
    assert video.sources[7].subscribers == 1  # one subscription for every WebRTC viewer
    (cam,) = client.get("/api/video/cameras", headers=officer).json()["data"]
    assert cam["viewers"] == 2
    assert client.delete(second.headers["location"], headers=officer).status_code == 200
    assert client.delete(location).status_code == 401
    assert client.patch(location, headers=officer).status_code == 405  # no trickle ICE
    assert client.delete(location, headers=officer).status_code == 200
    assert video.webrtc.sessions == {}
    assert video.webrtc.feeds == {}
    deadline = time.monotonic() + 5
    while video.sources[7].subscribers:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert client.delete(location, headers=officer).status_code == 404


def test_only_the_viewer_ends_its_session(client: TestClient) -> None:
    """Another user's DELETE of a session is 404 (the session is not theirs to end)."""
    pilot = login(client, "pilot1", "pilot")
    officer = login(client, "officer1", "officer")
    r = client.post("/api/video/7/whep", content=browser_offer(), headers=SDP | pilot)
    assert r.status_code == 201, r.text
    assert client.delete(r.headers["location"], headers=officer).status_code == 404
    assert client.delete(r.headers["location"], headers=pilot).status_code == 200


def test_bad_offers_unknown_vehicles_and_strangers_are_refused(client: TestClient) -> None:
    """No token 401; an unknown vehicle 404; a body that is not application/sdp 415; text
    that is not SDP, or SDP without video, 400 with the reason; an offer that cannot receive
    H.264 (VP8 only) 406. None of them leaves a session or a subscription behind."""
    officer = login(client, "officer1", "officer")
    video = client.app.state.services.video  # type: ignore[attr-defined]
    offer = browser_offer()
    assert client.post("/api/video/7/whep", content=offer, headers=SDP).status_code == 401
    r = client.post("/api/video/9/whep", content=offer, headers=SDP | officer)
    assert r.status_code == 404
    assert "vehicle" in r.json()["detail"]
    r = client.post("/api/video/7/whep", json={"sdp": offer}, headers=officer)
    assert r.status_code == 415
    r = client.post("/api/video/7/whep", content="hello", headers=SDP | officer)
    assert (r.status_code, r.json()["fields"]["reason"]) == (400, "not_sdp")
    audio_only = "\r\n".join(
        line for line in offer.splitlines() if not line.startswith("m=video")
    ).replace("v=0", "v=0", 1)
    r = client.post("/api/video/7/whep", content=audio_only, headers=SDP | officer)
    assert (r.status_code, r.json()["fields"]["reason"]) == (400, "no_video")
    broken = re.sub(r"a=rtpmap:\d+", "a=rtpmap:x", offer)  # payload types that are not numbers
    r = client.post("/api/video/7/whep", content=broken, headers=SDP | officer)
    assert r.status_code == 400, r.text
    r = client.post(
        "/api/video/7/whep", content=browser_offer(("video/VP8",)), headers=SDP | officer
    )
    assert r.status_code == 406, r.text
    assert "H.264" in r.json()["detail"]
    assert video.webrtc.sessions == {}
    assert video.sources[7].subscribers == 0


def test_viewer_places_run_out_with_503(settings: Settings) -> None:
    """Past ``webrtc_max_sessions`` an offer is 503 (the page then plays MSE)."""
    port = _free_udp_port()
    video = VideoSettings(streams={7: f"udp://127.0.0.1:{port}"}, webrtc_max_sessions=1)
    with TestClient(create_app(settings.model_copy(update={"video": video}))) as client:
        deadline = time.monotonic() + 10
        while 7 not in client.app.state.services.video.sources:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        admin = login(client, "root")
        offer = browser_offer()
        assert (
            client.post("/api/video/7/whep", content=offer, headers=SDP | admin).status_code == 201
        )
        r = client.post("/api/video/7/whep", content=offer, headers=SDP | admin)
        assert r.status_code == 503
        assert r.json()["fields"]["max_sessions"] == 1
