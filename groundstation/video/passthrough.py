"""A camera's H.264 as av.Packets for WebRTC viewers: converted once per frame, shared by all.

One :class:`PacketFeed` per stream subscribes once to its :class:`VideoSource` and turns each
access unit into one ``av.Packet`` (Annex B bytes, the camera's 90 kHz time stamp as pts). Every
viewer's :class:`PassthroughTrack` is handed that same packet object; aiortc's H.264 codec then
only packetizes it for that viewer's SRTP session (``H264Encoder.pack``: no decode, no encode).
So a viewer costs the station RTP packetization, SRTP and the socket; a stream costs one
subscription and one packet a frame, however many watch.

A new viewer starts at once: the feed keeps the last key frame (it carries SPS and PPS, the
camera repeats them) and hands it first, stamped with the newest frame's time, so the browser's
jitter buffer sees no jump back; the viewer then waits for the next key frame (the frames in
between refer to pictures it never got). A viewer whose queue fills (a stalled browser) is
emptied and resumed at the next key frame, and costs the others nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeAlias

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.stream import Stream

from groundstation.video.rtp import AccessUnit
from groundstation.video.source import Subscriber, VideoSource

Packet: TypeAlias = "av.Packet[Stream]"

RTP_CLOCK = fractions.Fraction(1, 90_000)
DEFAULT_VIEWER_QUEUE = 30

#: How a feed reaches its stream: a subscription to the source for as long as it runs.
Watch = Callable[[], AbstractAsyncContextManager[tuple[VideoSource, Subscriber]]]


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as handed to viewers: the packet (shared, never changed) and whether it is a
    key frame."""

    packet: Packet
    keyframe: bool
    timestamp: int


def to_packet(unit: AccessUnit, pts: int | None = None) -> Packet:
    """The access unit as an Annex B ``av.Packet`` with a 90 kHz pts (`pts` or its own)."""
    packet = av.Packet(unit.annexb())
    packet.pts = unit.timestamp if pts is None else pts
    packet.time_base = RTP_CLOCK
    return packet


class PassthroughTrack(MediaStreamTrack):
    """One viewer's video track: the feed's packets, in order, from a key frame on."""

    kind = "video"

    def __init__(self, feed: PacketFeed, max_queue: int = DEFAULT_VIEWER_QUEUE) -> None:
        super().__init__()
        self.feed = feed
        self.queue: asyncio.Queue[Packet | None] = asyncio.Queue(max_queue)
        self.need_key = True
        self.delivered = 0
        self.resets = 0

    def offer(self, frame: Frame) -> None:
        """A new frame from the feed (never blocks)."""
        if self.need_key and not frame.keyframe:
            return
        if self.queue.full():  # stalled: drop what it has, resume at the next key frame
            while not self.queue.empty():
                self.queue.get_nowait()
            self.resets += 1
            self.need_key = True
            return
        self.need_key = False
        self.queue.put_nowait(frame.packet)

    def end(self) -> None:
        """The stream is gone: the next recv() ends the track."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)

    async def recv(self) -> Packet:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self.queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        self.delivered += 1
        return packet

    def stop(self) -> None:
        super().stop()
        self.feed.remove(self)


class PacketFeed:
    """The packets of one stream for its WebRTC viewers (see the module docstring)."""

    def __init__(self, sysid: int, watch: Watch, on_idle: Callable[[PacketFeed], None]) -> None:
        self.sysid = sysid
        self._watch = watch
        self._on_idle = on_idle
        self.tracks: set[PassthroughTrack] = set()
        self.packets_made = 0
        """av.Packets made: one a frame received, whatever the number of viewers."""
        self.last_key: AccessUnit | None = None
        self.last_timestamp: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def add(self, max_queue: int = DEFAULT_VIEWER_QUEUE) -> PassthroughTrack:
        """A new viewer's track, primed with the last key frame if there is one."""
        track = PassthroughTrack(self, max_queue)
        if self.last_key is not None and self.last_timestamp is not None:
            key = to_packet(self.last_key, pts=self.last_timestamp)
            track.offer(Frame(key, True, self.last_timestamp))
            track.need_key = True  # the frames after the kept one need pictures it never got
        self.tracks.add(track)
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"webrtc-feed-{self.sysid}"
            )
        return track

    def remove(self, track: PassthroughTrack) -> None:
        self.tracks.discard(track)
        if not self.tracks:
            self.close()
            self._on_idle(self)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def publish(self, unit: AccessUnit) -> Frame:
        """Turn one access unit into one packet and offer it to every viewer."""
        frame = Frame(to_packet(unit), unit.keyframe, unit.timestamp)
        self.packets_made += 1
        self.last_timestamp = unit.timestamp
        if unit.keyframe:
            self.last_key = unit
        for track in list(self.tracks):
            track.offer(frame)
        return frame

    async def _run(self) -> None:
        try:
            async with self._watch() as (source, sub):
                async for unit in source.frames_for(sub):
                    self.publish(unit)
        finally:
            for track in list(self.tracks):
                track.end()
