"""The video API without a fleet: camera list, commands refused properly, photos with their
hash and position, the websocket's authentication, and a configured (non-MAVLink) camera's
RTP stream relayed as fragmented MP4."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from groundstation.app import create_app
from groundstation.config import Settings
from groundstation.db import camera_media
from groundstation.video import photos
from groundstation.video.settings import VideoSettings
from simulator.camera.h264 import H264Encoder
from simulator.camera.photo import jpeg_with_exif
from simulator.camera.rtp import RtpH264Packetizer
from tests.api.conftest import Station


def test_cameras_empty_and_commands_need_a_camera_and_a_pilot(
    station: Station, pilot: dict[str, str], officer: dict[str, str]
) -> None:
    """No fleet: no cameras; a pilot's capture is 404, an officer's 403, a bad pitch 422."""
    c = station.client
    assert c.get("/api/video/cameras", headers=officer).json() == {"data": [], "count": 0}
    assert c.get("/api/video/cameras").status_code == 401
    assert c.post("/api/video/1/capture", headers=pilot).status_code == 404
    assert c.post("/api/video/1/capture", headers=officer).status_code == 403
    assert c.post("/api/video/1/recording", headers=officer, json={"on": True}).status_code == 403
    assert c.post("/api/video/1/recording", headers=pilot, json={"on": True}).status_code == 404
    r = c.post("/api/video/1/gimbal", headers=pilot, json={"pitch_deg": 45})
    assert r.status_code == 422


def test_photos_listed_with_exif_position_and_served_with_their_hash(
    station: Station, officer: dict[str, str]
) -> None:
    """A stored camera photo is listed at its EXIF position and served byte for byte."""
    jpeg = jpeg_with_exif(np.full((8, 8, 3), 90, np.uint8), 29.0531, 119.1822, 75.0, 1.8e9)
    stored = photos.store(jpeg, station.settings.data_dir / "photos")
    exif = stored.exif
    assert exif is not None
    taken = exif.taken_at
    assert taken is not None
    services = station.client.app.state.services  # type: ignore[attr-defined]

    async def add() -> None:
        async with services.sessions.begin() as session:
            await camera_media.add_photo(
                session,
                camera_media.NewPhoto(
                    sysid=2, image_index=1, taken_at=taken,
                    lat_deg=29.05311, lon_deg=119.18221, alt_msl_m=75.0,
                    exif_lat_deg=exif.lat_deg, exif_lon_deg=exif.lon_deg,
                    exif_alt_m=exif.alt_msl_m, source_url="http://cam/images/1.jpg",
                    sha256=stored.sha256, size_bytes=stored.size_bytes, path=str(stored.path),
                ),
            )  # fmt: skip

    station.client.portal.call(add)  # type: ignore[union-attr]
    page = station.client.get("/api/photos", headers=officer).json()
    assert page["count"] == 1
    (p,) = page["data"]
    assert (round(p["lat_deg"], 6), round(p["lon_deg"], 6)) == (29.0531, 119.1822)
    assert p["reported_lat_deg"] == 29.05311
    assert p["sha256"] == stored.sha256
    r = station.client.get(p["url"], headers=officer)
    assert r.status_code == 200
    assert r.content == jpeg
    assert r.headers["x-sha256"] == stored.sha256
    assert station.client.get(p["url"]).status_code == 401
    assert station.client.get("/api/photos/999/image", headers=officer).status_code == 404


def test_video_socket_needs_a_token(station: Station, officer: dict[str, str]) -> None:
    """Without a token the socket closes with 1008; with one, an unknown vehicle gets an error."""
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        station.client.websocket_connect("/ws/video/1") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 1008
    token = station.token(officer)
    with station.client.websocket_connect(f"/ws/video/1?token={token}") as ws:
        assert ws.receive_json() == {"type": "error", "detail": "no video from vehicle 1"}


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_configured_camera_stream_is_relayed_as_fragmented_mp4(
    settings: Settings, tmp_path: Path
) -> None:
    """A camera from the settings (no MAVLink): its RTP/H.264 on the port is relayed to a
    viewer as a JSON init message, an MP4 init segment (ftyp, moov) and one fragment a frame."""
    port = _free_udp_port()
    settings = settings.model_copy(
        update={"video": VideoSettings(streams={7: f"udp://127.0.0.1:{port}"})}
    )
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/auth/login", json={"username": "root", "password": "admin-password"})
        token = r.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 10
        while not client.get("/api/video/cameras", headers=headers).json()["data"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (cam,) = client.get("/api/video/cameras", headers=headers).json()["data"]
        assert (cam["sysid"], cam["source"], cam["has_video"], cam["can_capture"]) == (
            7, "config", True, False,
        )  # fmt: skip
        enc, rtp = H264Encoder(160, 96, fps=10), RtpH264Packetizer(ssrc=3)
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rng = np.random.default_rng(2)
        with client.websocket_connect(f"/ws/video/7?token={token}") as ws:
            for i in range(12):  # a key frame every 10: the viewer starts at frame 0 or 10
                nals = enc.encode(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8))
                for pkt in rtp.packetize(nals, i * 9000):
                    sender.sendto(pkt, ("127.0.0.1", port))
                time.sleep(0.02)
            init = ws.receive_json()
            assert init["type"] == "init"
            assert init["mime"].startswith('video/mp4; codecs="avc1.')
            assert (init["width"], init["height"]) == (160, 96)
            head = ws.receive_bytes()
            assert head[4:8] == b"ftyp"
            assert b"moov" in head
            assert ws.receive_bytes()[4:8] == b"moof"
        sender.close()


def test_a_pilot_starts_and_stops_recording_a_stream(settings: Settings, tmp_path: Path) -> None:
    """record=[9] leaves drone 7's stream unrecorded; a pilot starts it, frames go to a
    segment, stopping stores it with its hash, and both are audited."""
    port = _free_udp_port()
    settings = settings.model_copy(
        update={"video": VideoSettings(streams={7: f"udp://127.0.0.1:{port}"}, record=[9])}
    )
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/auth/login", json={"username": "root", "password": "admin-password"})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        deadline = time.monotonic() + 10
        while not client.get("/api/video/cameras", headers=headers).json()["data"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)

        def recording() -> bool:
            (cam,) = client.get("/api/video/cameras", headers=headers).json()["data"]
            return bool(cam["recording"])

        assert not recording()
        r = client.post("/api/video/7/recording", headers=headers, json={"on": True})
        assert r.status_code == 200
        assert recording()
        time.sleep(0.2)  # the recorder subscribes
        enc, rtp = H264Encoder(160, 96, fps=10), RtpH264Packetizer(ssrc=3)
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rng = np.random.default_rng(2)
        for i in range(12):
            nals = enc.encode(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8))
            for pkt in rtp.packetize(nals, i * 9000):
                sender.sendto(pkt, ("127.0.0.1", port))
            time.sleep(0.02)
        sender.close()
        time.sleep(0.2)
        r = client.post("/api/video/7/recording", headers=headers, json={"on": False})
        assert r.status_code == 200
        deadline = time.monotonic() + 10
        while not (segs := client.get("/api/video/recordings", headers=headers).json()["data"]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not recording()
        (seg,) = segs
        assert seg["sysid"] == 7
        assert seg["frames"] >= 10
        from groundstation.video.recorder import sha256_of

        path = next((tmp_path / "data" / "recordings" / "7").glob("*.mp4"), None)
        assert path is not None
        assert sha256_of(path) == seg["sha256"]
        audit = client.get("/api/audit", headers=headers, params={"limit": 50}).json()["data"]
        commands = [a["command"] for a in audit]
        assert "video.record_start" in commands
        assert "video.record_stop" in commands


def test_an_incident_lists_its_drone_camera_photos(
    station: Station, officer: dict[str, str]
) -> None:
    """The photos of the incident's drone taken within evidence.track_margin_s (600 s) of it
    are the incident's: another drone's, or the same drone's an hour later, are not."""
    from datetime import UTC, datetime, timedelta

    from groundstation.db.models import Incident, IncidentType, Vehicle

    services = station.client.app.state.services  # type: ignore[attr-defined]
    t0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    ids: dict[str, int] = {}

    async def add() -> None:
        async with services.sessions.begin() as session:
            heron = Vehicle(sysid=2, name="heron")
            session.add(heron)
            await session.flush()
            shots = {"near": (2, 120), "other_drone": (3, 60), "later": (2, 3600)}
            for n, (name, (sysid, after_s)) in enumerate(shots.items()):
                row = await camera_media.add_photo(
                    session,
                    camera_media.NewPhoto(
                        sysid=sysid, image_index=n, taken_at=t0 + timedelta(seconds=after_s),
                        lat_deg=29.05, lon_deg=119.18, alt_msl_m=70.0, exif_lat_deg=None,
                        exif_lon_deg=None, exif_alt_m=None, source_url="http://cam/x.jpg",
                        sha256=f"{n}" * 64, size_bytes=10, path="/nowhere.jpg",
                    ),
                )  # fmt: skip
                ids[name] = row.id
            incident = Incident(type=IncidentType.OTHER, lat_deg=29.05, lon_deg=119.18,
                                vehicle_id=heron.id, created_at=t0)  # fmt: skip
            session.add(incident)
            await session.flush()
            ids["incident"] = incident.id

    station.client.portal.call(add)  # type: ignore[union-attr]
    r = station.client.get(f"/api/incidents/{ids['incident']}/camera-photos", headers=officer)
    assert r.status_code == 200
    assert [p["id"] for p in r.json()["data"]] == [ids["near"]]
    assert r.json()["data"][0]["url"] == f"/api/photos/{ids['near']}/image"
    c = station.client
    assert c.get("/api/incidents/999/camera-photos", headers=officer).status_code == 404
    assert c.get(f"/api/incidents/{ids['incident']}/camera-photos").status_code == 401
