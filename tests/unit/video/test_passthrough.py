"""WebRTC viewers' packets: one packet a frame per stream, shared by every viewer, from a key
frame on; a stalled viewer is reset without holding the others back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiortc.mediastreams import MediaStreamError

from groundstation.video.passthrough import RTP_CLOCK, Packet, PacketFeed, to_packet
from groundstation.video.rtp import AccessUnit
from groundstation.video.source import Subscriber, VideoSource


def unit(i: int, gop: int = 10) -> AccessUnit:
    kind = 5 if i % gop == 0 else 1
    nals = ((b"\x67sps", b"\x68pps") if kind == 5 else ()) + (bytes([0x60 | kind]) + bytes(50),)
    return AccessUnit(i * 6000, nals)


def index(packet: Packet) -> int:
    assert packet.pts is not None
    return packet.pts // 6000


def feed_on(source: VideoSource, idle: list[PacketFeed] | None = None) -> PacketFeed:
    @contextlib.asynccontextmanager
    async def watch() -> AsyncIterator[tuple[VideoSource, Subscriber]]:
        async with source.subscribe("webrtc") as sub:
            yield source, sub

    return PacketFeed(1, watch, (idle if idle is not None else []).append)


def test_a_packet_is_the_access_unit_in_annex_b_at_90_khz() -> None:
    """The packet's bytes are the frame's NAL units with start codes; its pts the RTP time."""
    packet = to_packet(unit(10))
    assert bytes(packet) == unit(10).annexb()
    assert (packet.pts, packet.time_base) == (60000, RTP_CLOCK)
    assert to_packet(unit(10), pts=99).pts == 99


async def test_every_viewer_gets_the_same_packets_from_one_subscription() -> None:
    """Three viewers: the source has one subscriber (the feed), one packet is made a frame,
    and every viewer is handed that very packet object (nothing is re-made per viewer)."""
    source = VideoSource(0)
    feed = feed_on(source)
    tracks = [feed.add() for _ in range(3)]
    await asyncio.sleep(0)  # the feed subscribes
    assert source.subscribers == 1
    for i in range(10, 25):
        source.publish(unit(i))
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert feed.packets_made == 15
    got = [[await t.recv() for _ in range(15)] for t in tracks]
    assert [index(p) for p in got[0]] == list(range(10, 25))
    assert all(a is b is c for a, b, c in zip(*got, strict=True))
    for t in tracks:
        t.stop()
    await asyncio.sleep(0)
    assert source.subscribers == 0  # the last viewer gone: the feed unsubscribed


async def test_a_late_viewer_starts_with_the_kept_key_frame_stamped_now() -> None:
    """A viewer arriving mid-GOP gets the last key frame at once, with the newest frame's
    time, then nothing until the next key frame (the frames between need pictures it lacks)."""
    source = VideoSource(0)
    feed = feed_on(source)
    first = feed.add()
    await asyncio.sleep(0)
    for i in range(10, 14):
        source.publish(unit(i))
    await asyncio.sleep(0)
    late = feed.add()
    for i in range(14, 22):
        source.publish(unit(i))
    await asyncio.sleep(0)
    key = await late.recv()
    assert bytes(key) == unit(10).annexb()
    assert key.pts == 13 * 6000
    assert (await late.recv()).pts == 20 * 6000
    assert [index(await first.recv()) for _ in range(12)] == list(range(10, 22))
    first.stop()
    late.stop()


async def test_a_stalled_viewer_is_reset_and_the_others_keep_every_frame() -> None:
    """A viewer that never reads fills its queue and is resumed at key frames; a reading
    viewer gets every frame; publishing never waits."""
    source = VideoSource(0)
    feed = feed_on(source)
    stalled, live = feed.add(max_queue=8), feed.add(max_queue=8)
    await asyncio.sleep(0)
    got: list[int] = []
    for i in range(10, 101):
        source.publish(unit(i))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        while not live.queue.empty():
            got.append(index(await live.recv()))
    assert got == list(range(10, 101))
    assert stalled.resets >= 5
    assert live.resets == 0
    assert stalled.queue.qsize() <= 8
    stalled.stop()
    live.stop()


async def test_the_feed_ends_its_tracks_when_its_stream_ends() -> None:
    """The stream's subscription ends (the station stops): every viewer's track ends."""
    source = VideoSource(0)
    idle: list[PacketFeed] = []
    feed = feed_on(source, idle)
    track = feed.add()
    await asyncio.sleep(0)
    feed.close()
    await asyncio.sleep(0)
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert idle == [feed]
    assert source.subscribers == 0
