"""The simulated gimbal camera over real sockets: camera protocol, RTP/H.264 video, photos."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import AsyncIterator

import numpy as np
import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from groundstation.video.decode import H264Decoder, Picture
from groundstation.video.rtp import RtpH264Depacketizer
from simulator.camera.component import COMPID
from simulator.camera.fleet_cameras import CameraConfig
from simulator.camera.photo import read_gps
from simulator.camera.render import read_stamp
from simulator.camera.scene import SceneObject
from simulator.geo import ne_offset_m, offset_deg
from simulator.testing import SimConfig, SimFleet
from tests.e2e.simulator.udp_gcs import UdpGcs

pytestmark = pytest.mark.e2e
M = mavlink2
HOME = (29.05253, 119.181841, 40.0)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class VideoSink(asyncio.DatagramProtocol):
    """Receives the RTP stream and decodes every frame."""

    def __init__(self) -> None:
        self.rtp = RtpH264Depacketizer()
        self.decoder = H264Decoder()
        self.pictures: list[Picture] = []
        self._new = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        for unit in self.rtp.feed(data):
            self.pictures += self.decoder.decode(unit)
            self._new.set()

    async def next_picture(self, timeout_s: float = 10.0) -> Picture:
        self._new.clear()
        async with asyncio.timeout(timeout_s):
            await self._new.wait()
        return self.pictures[-1]


@pytest.fixture
async def camera_sim() -> AsyncIterator[tuple[SimFleet, UdpGcs, int]]:
    port = free_udp_port()
    boat = SceneObject("dredger", *offset_deg(HOME[0], HOME[1], 60.0, 0.0), heading_deg=90.0)
    config = SimConfig(
        drones=1, speedup=10, home=HOME, camera=CameraConfig(ports=(port,), objects=(boat,))
    )
    async with SimFleet(config) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        gcs.heartbeat()
        try:
            yield sim, gcs, port
        finally:
            gcs.close()


async def take_off(sim: SimFleet, gcs: UdpGcs, alt_m: float) -> None:
    """GUIDED, arm, take off to `alt_m` and wait until there."""
    guided = await gcs.command(1, M.MAV_CMD_DO_SET_MODE, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4)
    assert guided.result == M.MAV_RESULT_ACCEPTED
    assert (await gcs.command(1, M.MAV_CMD_COMPONENT_ARM_DISARM, 1)).result == 0
    assert (await gcs.command(1, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt_m)).result == 0
    await sim.wait_for(lambda: sim.vehicles[1].state.alt_rel_m > alt_m - 1.0, timeout_s=120)


async def request(gcs: UdpGcs, msg_id: int) -> object:
    ack = await gcs.command(1, M.MAV_CMD_REQUEST_MESSAGE, msg_id, compid=COMPID)
    assert ack.result == M.MAV_RESULT_ACCEPTED
    name = mavlink2.mavlink_map[msg_id].msgname
    await gcs.wait_for(lambda: bool(gcs.of(name, 1)))
    return gcs.of(name, 1)[-1]


async def test_camera_announces_itself_and_its_stream(
    camera_sim: tuple[SimFleet, UdpGcs, int],
) -> None:
    """Component 100 heartbeats as a camera and describes an RTP/H.264 stream on its port."""
    _, gcs, port = camera_sim
    await gcs.wait_for(lambda: any(m.get_srcComponent() == COMPID for m in gcs.of("HEARTBEAT", 1)))
    hb = next(m for m in gcs.of("HEARTBEAT", 1) if m.get_srcComponent() == COMPID)
    assert hb.type == M.MAV_TYPE_CAMERA
    info = await request(gcs, M.MAVLINK_MSG_ID_CAMERA_INFORMATION)
    assert info.flags & M.CAMERA_CAP_FLAGS_HAS_VIDEO_STREAM  # type: ignore[attr-defined]
    assert info.flags & M.CAMERA_CAP_FLAGS_CAPTURE_IMAGE  # type: ignore[attr-defined]
    stream = await request(gcs, M.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION)
    assert stream.type == M.VIDEO_STREAM_TYPE_RTPUDP  # type: ignore[attr-defined]
    assert stream.uri == f"udp://0.0.0.0:{port}"  # type: ignore[attr-defined]
    assert stream.encoding == M.VIDEO_STREAM_ENCODING_H264  # type: ignore[attr-defined]
    status = await request(gcs, M.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS)
    assert status.image_count == 0  # type: ignore[attr-defined]
    ack = await gcs.command(1, 4242, compid=COMPID)
    assert ack.result == M.MAV_RESULT_UNSUPPORTED


async def test_stream_decodes_and_follows_the_gimbal(
    camera_sim: tuple[SimFleet, UdpGcs, int],
) -> None:
    """Frames decode at 640x360, are not blank, carry a recent time stamp and move with the
    gimbal; nothing is sent before VIDEO_START_STREAMING or after STOP."""
    sim, gcs, port = camera_sim
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(VideoSink, local_addr=("127.0.0.1", port))
    try:
        await take_off(sim, gcs, 30.0)
        assert sink.rtp.packets == 0
        ack = await gcs.command(1, M.MAV_CMD_VIDEO_START_STREAMING, 1, compid=COMPID)
        assert ack.result == M.MAV_RESULT_ACCEPTED
        down = await gcs.command(1, M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -90, 0, compid=COMPID)
        assert down.result == M.MAV_RESULT_ACCEPTED
        await sink.next_picture()
        nadir = await sink.next_picture()
        assert nadir.shape == (360, 640, 3)
        assert float(nadir[:-20].std()) > 5.0  # textured ground, not a flat colour
        await gcs.command(1, M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -20, 0, compid=COMPID)
        await sink.next_picture()
        await sink.next_picture()
        ahead = await sink.next_picture()
        # looking ahead (north): sky at the top, the yellow dredger 60 m north in view
        assert ahead[:20].mean(axis=(0, 1))[2] > 180
        yellow = (ahead[..., 0] > 180) & (ahead[..., 1] > 140) & (ahead[..., 2] < 90)
        assert yellow.sum() > 200
        assert not (nadir[..., 0] > 180)[(nadir[..., 1] > 140) & (nadir[..., 2] < 90)].any()
        assert np.abs(ahead.astype(int) - nadir.astype(int)).mean() > 20
        assert read_stamp(ahead) > 0
        await gcs.command(1, M.MAV_CMD_VIDEO_STOP_STREAMING, 1, compid=COMPID)
        await asyncio.sleep(0.3)
        before = sink.rtp.packets
        await asyncio.sleep(0.5)
        assert sink.rtp.packets == before
        assert sink.rtp.lost == 0
        assert sim.cameras is not None
        assert sim.cameras.services[1].frames_sent > 2
    finally:
        transport.close()


async def test_photo_has_exif_gps_where_the_vehicle_was(
    camera_sim: tuple[SimFleet, UdpGcs, int],
) -> None:
    """IMAGE_START_CAPTURE makes a JPEG, announced by CAMERA_IMAGE_CAPTURED with an HTTP URL;
    its EXIF GPS is within a metre of the vehicle (flying) and the capture status counts it."""
    sim, gcs, _ = camera_sim
    await take_off(sim, gcs, 20.0)
    ack = await gcs.command(1, M.MAV_CMD_IMAGE_START_CAPTURE, 0, 0, 1, 1, compid=COMPID)
    assert ack.result == M.MAV_RESULT_ACCEPTED
    await gcs.wait_for(lambda: bool(gcs.of("CAMERA_IMAGE_CAPTURED", 1)))
    shot = gcs.of("CAMERA_IMAGE_CAPTURED", 1)[-1]
    assert shot.capture_result == 1
    assert shot.image_index == 1
    url = shot.file_url
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/images/1.jpg")
    host_port, path = url.removeprefix("http://").split("/", 1)
    host, port = host_port.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
    response = await reader.read()
    writer.close()
    head, body = response.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    assert body[:2] == b"\xff\xd8"
    lat, lon, alt, _ = read_gps(body)
    s = sim.vehicles[1].state
    assert math.hypot(*ne_offset_m(s.lat_deg, s.lon_deg, lat, lon)) < 1.0
    assert abs(alt - s.alt_msl_m) < 1.0
    assert abs(lat - shot.lat / 1e7) < 1e-6
    status = await request(gcs, M.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS)
    assert status.image_count == 1  # type: ignore[attr-defined]


async def test_control_port_places_scene_objects() -> None:
    """The control port's `scene` op adds objects (and refuses unknown kinds, no cameras)."""
    from simulator.control import handle_request

    async with SimFleet(SimConfig(drones=1, manual_clock=True, camera=CameraConfig())) as sim:
        assert sim.cameras is not None
        version = sim.cameras.scene.version
        line = '{"op": "scene", "objects": [{"kind": "net_boat", "lat": 29.053, "lon": 119.18}]}'
        assert handle_request(sim, line) == {"ok": True, "objects": 1}
        assert sim.cameras.scene.version > version
        bad = handle_request(sim, '{"op": "scene", "objects": [{"kind": "whale", "lat": 0}]}')
        assert bad["ok"] is False
        assert "whale" in bad["error"]
    async with SimFleet(SimConfig(drones=1, manual_clock=True)) as sim:
        reply = handle_request(sim, '{"op": "scene", "objects": []}')
        assert reply == {"ok": False, "error": "no cameras: start the simulator with --camera"}
