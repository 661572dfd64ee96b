"""The stream's fan-out: a stalled viewer never holds the others back."""

from __future__ import annotations

import asyncio

from groundstation.video.rtp import AccessUnit
from groundstation.video.source import VideoSource


def unit(i: int, gop: int = 10) -> AccessUnit:
    kind = 5 if i % gop == 0 else 1
    return AccessUnit(i * 6000, (bytes([0x60 | kind]) + bytes(50),))


async def test_a_stalled_viewer_does_not_slow_the_others() -> None:
    """A viewer that never reads is reset to key frames once its queue is full; a reading
    viewer gets every frame from its first key frame, in order, and publishing never waits."""
    demand: list[bool] = []
    source = VideoSource(0, max_queue=8, on_demand=demand.append)
    got: list[int] = []
    async with source.subscribe("stalled") as stalled, source.subscribe("live") as live:

        async def read() -> None:
            async for u in source.frames_for(live):
                got.append(u.timestamp // 6000)

        reader = asyncio.create_task(read())
        for i in range(1, 101):  # starts mid-GOP: both wait for frame 10
            source.publish(unit(i))
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        reader.cancel()
        assert got == list(range(10, 101))
        assert stalled.queue.qsize() <= 8
        assert stalled.resets >= 5
        assert live.resets == 0
    assert demand == [True, False]  # the camera asked to stream, then to stop


async def test_a_new_viewer_starts_at_a_key_frame() -> None:
    """Frames before the next key frame are skipped for a viewer that just arrived."""
    source = VideoSource(0)
    async with source.subscribe() as sub:
        for i in (3, 4, 10, 11):
            source.publish(unit(i))
        assert [sub.queue.get_nowait().timestamp // 6000 for _ in range(2)] == [10, 11]
        assert sub.skipped == 2
