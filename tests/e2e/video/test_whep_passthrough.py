"""WebRTC viewers on loopback: several real WebRTC peers (aiortc clients) watch one camera
stream through the station's WHEP sessions; the station passes the H.264 through, never
encoding, and the stream has one subscription however many watch."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import h264
from aiortc.mediastreams import MediaStreamTrack

from groundstation.video.source import Subscriber, VideoSource
from groundstation.video.whep import WhepSessions
from simulator.camera.h264 import H264Encoder
from simulator.camera.render import draw_stamp, read_stamp
from simulator.camera.rtp import RtpH264Packetizer

pytestmark = pytest.mark.e2e
FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
W, H, FPS = 320, 180, 15


async def camera(port: int, frames: int) -> None:
    """A camera pushing RTP/H.264 to the station: frames stamped with their index."""
    enc, rtp = H264Encoder(W, H, FPS), RtpH264Packetizer(ssrc=5)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for i in range(frames):
            picture = np.full((H, W, 3), 90, np.uint8)
            picture[20:60, 40 + i : 120 + i] = (230, 190, 40)  # a moving yellow box
            draw_stamp(picture, i)
            for packet in rtp.packetize(enc.encode(picture), i * (90_000 // FPS)):
                sock.sendto(packet, ("127.0.0.1", port))
            await asyncio.sleep(1 / FPS)
    finally:
        sock.close()


async def viewer(whep: WhepSessions, user_id: int) -> tuple[RTCPeerConnection, str]:
    """A browser's part: a recvonly offer, POSTed (here: handed) to the station, answered."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    session = await whep.open(1, user_id, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(session.answer_sdp, "answer"))
    return pc, session.id


async def stamps(track: MediaStreamTrack, count: int) -> list[tuple[int, int, int]]:
    out = []
    for _ in range(count):
        frame = await track.recv()
        picture = frame.to_ndarray(format="rgb24")  # type: ignore[union-attr]
        out.append((picture.shape[1], picture.shape[0], read_stamp(picture)))
    return out


async def test_three_viewers_get_the_stream_from_one_subscription_unencoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three WebRTC peers each decode 20 frames of the camera's 320x180 picture (stamps in
    order); meanwhile the stream has exactly one subscriber, one packet is made a frame, and
    aiortc's H.264 encoder is never asked to encode (it would raise)."""

    def no_encoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("the station re-encoded video")

    monkeypatch.setattr(h264.H264Encoder, "encode", no_encoding)
    source = VideoSource(0, "127.0.0.1")
    await source.start()
    seen_subscribers: list[int] = []

    @contextlib.asynccontextmanager
    async def watch() -> AsyncIterator[tuple[VideoSource, Subscriber]]:
        async with source.subscribe("webrtc") as sub:
            yield source, sub

    whep = WhepSessions(lambda sysid: watch if sysid == 1 else None)
    pcs: list[RTCPeerConnection] = []
    try:
        tracks: list[asyncio.Future[MediaStreamTrack]] = []
        for user in range(3):
            pc, _ = await viewer(whep, user)
            got: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
            pc.on("track", got.set_result)
            for t in pc.getTransceivers():  # the remote track exists once the answer is set
                if t.receiver.track is not None and not got.done():
                    got.set_result(t.receiver.track)
            pcs.append(pc)
            tracks.append(got)
        cam = asyncio.create_task(camera(source.port, 15 * 8))

        async def count_subscribers() -> None:
            while True:
                seen_subscribers.append(source.subscribers)
                await asyncio.sleep(0.1)

        counter = asyncio.create_task(count_subscribers())
        async with asyncio.timeout(30 * FACTOR):
            remote = [await t for t in tracks]
            received = await asyncio.gather(*(stamps(t, 20) for t in remote))
        counter.cancel()
        cam.cancel()
        for frames in received:
            assert {(w, h) for w, h, _ in frames} == {(W, H)}
            indices = [s for _, _, s in frames]
            assert indices == sorted(indices)
            assert len(set(indices)) >= 15
        assert set(seen_subscribers) == {1}
        (feed,) = whep.feeds.values()
        assert feed.packets_made == source.frames
        assert len(whep.sessions) == 3
    finally:
        await whep.close()
        for pc in pcs:
            await pc.close()
        source.close()
    assert whep.sessions == {}
    assert source.subscribers == 0


async def test_a_session_whose_browser_never_connects_is_ended() -> None:
    """An offer answered but never followed by ICE (the browser went away) is ended after the
    connect timeout, and the stream's subscription with it."""
    source = VideoSource(0, "127.0.0.1")

    @contextlib.asynccontextmanager
    async def watch() -> AsyncIterator[tuple[VideoSource, Subscriber]]:
        async with source.subscribe("webrtc") as sub:
            yield source, sub

    whep = WhepSessions(lambda sysid: watch, connect_timeout_s=0.5)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    await pc.close()  # gone before the answer
    try:
        await whep.open(1, 1, pc.localDescription.sdp)
        await asyncio.sleep(0.05)
        assert len(whep.sessions) == 1
        assert source.subscribers == 1
        for _ in range(round(100 * FACTOR)):  # up to 5 s
            if not whep.sessions and not source.subscribers:
                break
            await asyncio.sleep(0.05)
        assert whep.sessions == {}
        assert source.subscribers == 0
    finally:
        await whep.close()
