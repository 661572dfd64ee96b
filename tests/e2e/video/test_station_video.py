"""The station's video service against simulated cameras: discovery over MAVLink, decoded
frames that follow the vehicle, photos fetched with their EXIF position, recorded segments."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np
import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from groundstation.db import camera_media
from groundstation.video.decode import H264Decoder, Picture
from groundstation.video.recorder import sha256_of
from groundstation.video.service import VideoService
from groundstation.video.settings import VideoSettings
from simulator.geo import ne_offset_m
from tests.e2e.video.conftest import FACTOR, Rig, make_rig

pytestmark = pytest.mark.e2e
M = mavlink2


async def pictures(video: VideoService, sysid: int, count: int) -> list[Picture]:
    """Subscribe to `sysid`'s stream and decode `count` pictures (from a key frame)."""
    decoder = H264Decoder()
    out: list[Picture] = []
    async with video.watch(sysid, "test") as (source, sub), asyncio.timeout(15 * FACTOR):
        async for unit in source.frames_for(sub):
            out += decoder.decode(unit)
            if len(out) >= count:
                return out
    return out


async def fly_to(rig: Rig, sysid: int, alt_m: float) -> None:
    v = rig.fleet.vehicle(sysid)
    await v.set_mode("GUIDED")
    await v.arm()
    await v.takeoff(alt_m)
    await rig.sim.wait_for(lambda: rig.sim.vehicles[sysid].state.alt_rel_m > alt_m - 1, 120)


async def test_streams_are_discovered_and_decode_changing_with_the_pose(rig: Rig) -> None:
    """Both vehicles' cameras are found through CAMERA_INFORMATION and VIDEO_STREAM_INFORMATION;
    a viewer starts the stream, its frames decode at 640x360, are not blank, and change when
    the vehicle climbs; the stream stops after the last viewer leaves."""
    video = rig.video
    for sysid in (1, 2):
        info = await video.wait_for_camera(sysid, 10 * FACTOR)
        assert info.source == "mavlink"
        assert info.model == "sim gimbal camera"
        (stream,) = info.streams
        assert stream.kind == "rtp_udp"
        assert stream.encoding == "h264"
        assert (stream.width, stream.height) == (640, 360)
        assert stream.udp_port == rig.sim.config.camera.ports[sysid - 1]  # type: ignore[union-attr]
    camera = rig.sim.vehicles[1].camera
    assert camera is not None
    assert not camera.streaming  # nobody watches yet
    ground = (await pictures(video, 1, 3))[-1]
    assert ground.shape == (360, 640, 3)
    assert float(ground[:-20].std()) > 5.0
    await fly_to(rig, 1, 30.0)
    high = (await pictures(video, 1, 3))[-1]
    assert np.abs(high.astype(int) - ground.astype(int)).mean() > 10
    await asyncio.sleep(1.5 * FACTOR)  # stop_grace_s = 0.5
    assert not camera.streaming
    assert rig.sim.vehicles[2].camera is not None
    assert not rig.sim.vehicles[2].camera.streaming


async def test_gimbal_command_moves_the_view(rig: Rig) -> None:
    """Pointing the gimbal from straight down to 20 degrees down brings the dredger 60 m north
    (yellow pixels) into the picture."""
    await rig.video.wait_for_camera(1, 10 * FACTOR)
    await fly_to(rig, 1, 30.0)
    client = rig.video.clients[1]
    await client.point(-90.0, 0.0)
    down = (await pictures(rig.video, 1, 4))[-1]
    await client.point(-20.0, 0.0)
    ahead = (await pictures(rig.video, 1, 4))[-1]

    def yellow(p: Picture) -> int:
        return int(((p[..., 0] > 180) & (p[..., 1] > 140) & (p[..., 2] < 90)).sum())

    assert yellow(down) == 0
    assert yellow(ahead) > 200


async def test_photo_is_fetched_with_exif_gps_where_the_vehicle_was(rig: Rig) -> None:
    """A capture while flying: CAMERA_IMAGE_CAPTURED -> the JPEG fetched over the camera's HTTP
    interface, stored under its SHA-256, its EXIF GPS within 3 m of the vehicle."""
    await rig.video.wait_for_camera(2, 10 * FACTOR)
    await fly_to(rig, 2, 25.0)
    state = rig.sim.vehicles[2].state
    await rig.video.clients[2].capture()
    await rig.video.wait_for_photos(1, 10 * FACTOR)
    async with rig.sessions() as session:
        (photo,) = await camera_media.list_photos(session, sysid=2)
    assert photo.exif_lat_deg is not None
    assert photo.exif_lon_deg is not None
    off = math.hypot(
        *ne_offset_m(state.lat_deg, state.lon_deg, photo.exif_lat_deg, photo.exif_lon_deg)
    )
    assert off < 3.0
    assert photo.exif_alt_m is not None
    assert abs(photo.exif_alt_m - state.alt_msl_m) < 3.0
    path = Path(photo.path)
    assert path.parent == rig.data_dir / "photos"
    assert sha256_of(path) == photo.sha256
    assert path.name == f"{photo.sha256}.jpg"


async def test_recording_segments_verify_against_their_hashes(tmp_path: Path) -> None:
    """With recording on, 2-second segments are written, each stored with a SHA-256 that the
    file on disk matches, and each opens as an MP4 whose frames decode."""
    import av

    settings = VideoSettings(record=True, segment_s=2.0)
    async for rig in make_rig(tmp_path, settings, drones=1):
        await rig.video.wait_for_camera(1, 10 * FACTOR)
        async with asyncio.timeout(30 * FACTOR):
            while True:
                async with rig.sessions() as session:
                    segments = await camera_media.list_segments(session, sysid=1)
                if len(segments) >= 2:
                    break
                await asyncio.sleep(0.2)
        for seg in segments:
            assert sha256_of(Path(seg.path)) == seg.sha256
            with av.open(seg.path) as container:
                frames = sum(1 for _ in container.decode(video=0))
            assert frames == seg.frames
            assert frames >= 15


async def test_a_watched_stream_that_stops_is_asked_for_again(rig: Rig) -> None:
    """The camera stops streaming by itself while someone watches: within a few seconds the
    station sends VIDEO_START_STREAMING again and frames flow."""
    await rig.video.wait_for_camera(1, 10 * FACTOR)
    camera = rig.sim.vehicles[1].camera
    assert camera is not None
    async with rig.video.watch(1, "test") as (source, _sub):
        await source.next_frame(10 * FACTOR)
        camera.streaming = False  # as after a camera reboot
        await asyncio.sleep(0.5)
        stopped_at = source.frames
        await source.next_frame(10 * FACTOR)
        assert camera.streaming
        assert source.frames > stopped_at


async def test_a_full_disk_stops_recording_with_an_alert_and_the_stream_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing a segment fails (ENOSPC): recording stops, an alert says so, viewers still get
    frames and the vehicle still answers."""
    import errno

    from sqlalchemy import select

    from groundstation.db.models import Alert
    from groundstation.video.recorder import SegmentRecorder

    def full(self: SegmentRecorder, unit: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SegmentRecorder, "feed", full)
    async for rig in make_rig(tmp_path, VideoSettings(record=True), drones=1):
        await rig.video.wait_for_camera(1, 10 * FACTOR)
        async with asyncio.timeout(20 * FACTOR):
            while True:
                async with rig.sessions() as session:
                    alert = await session.scalar(
                        select(Alert).where(Alert.kind == "recording_stopped")
                    )
                if alert is not None:
                    break
                await asyncio.sleep(0.2)
        assert alert.sysid == 1
        assert "No space left on device" in alert.text_en
        assert 1 not in rig.video.recorders
        assert len(await pictures(rig.video, 1, 2)) >= 2
        await rig.fleet.vehicle(1).set_mode("GUIDED")
