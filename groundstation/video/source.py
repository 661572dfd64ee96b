"""One live video stream at the station: RTP/H.264 in on a UDP port, frames out to subscribers.

The socket feeds the depacketizer; each complete frame goes to every subscriber's bounded queue,
never awaited (the per-client queue pattern of the live hub): a subscriber that falls
`max_queue` frames behind has its queue emptied and is resumed at the next key frame, so a
stalled viewer costs the others nothing and itself at most a second of picture. A new
subscriber also starts at a key frame (a decoder cannot start elsewhere).

`on_demand(active)` is called when the first subscriber arrives (True) and when the last leaves
(False): the camera is asked to stream only while someone watches or records.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from groundstation.video.rtp import AccessUnit, RtpH264Depacketizer

DEFAULT_QUEUE_FRAMES = 30


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[AccessUnit]
    name: str
    need_key: bool = True
    delivered: int = 0
    skipped: int = 0
    resets: int = 0


@dataclass
class SourceStats:
    frames: int = 0
    packets: int = 0
    lost: int = 0
    last_frame_monotonic: float | None = None
    subscribers: list[dict[str, object]] = field(default_factory=list)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_data: Callable[[bytes], None]) -> None:
        self.on_data = on_data

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_data(data)


class VideoSource:
    """Receives one RTP/H.264 stream on `host:port` (see the module docstring)."""

    def __init__(
        self,
        port: int,
        host: str = "0.0.0.0",
        max_queue: int = DEFAULT_QUEUE_FRAMES,
        on_demand: Callable[[bool], None] | None = None,
    ) -> None:
        self.host, self.port, self.max_queue = host, port, max_queue
        self.on_demand = on_demand
        self.rtp = RtpH264Depacketizer()
        self.frames = 0
        self.last_frame_monotonic: float | None = None
        self._subscribers: set[Subscriber] = set()
        self._transport: asyncio.DatagramTransport | None = None
        self._new_frame = asyncio.Event()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self.feed), local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def feed(self, datagram: bytes) -> None:
        """One RTP datagram (the socket calls this; tests may too)."""
        for unit in self.rtp.feed(datagram):
            self.publish(unit)

    def publish(self, unit: AccessUnit) -> None:
        self.frames += 1
        self.last_frame_monotonic = time.monotonic()
        for sub in self._subscribers:
            if sub.need_key and not unit.keyframe:
                sub.skipped += 1
                continue
            if sub.queue.full():  # stalled: drop what it has, resume at the next key frame
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                sub.resets += 1
                sub.skipped += 1
                sub.need_key = True
                continue
            sub.need_key = False
            sub.queue.put_nowait(unit)
        self._new_frame.set()
        self._new_frame = asyncio.Event()

    async def next_frame(self, timeout_s: float) -> None:
        """Wait for the next frame to arrive (TimeoutError if none within `timeout_s`)."""
        async with asyncio.timeout(timeout_s):
            await self._new_frame.wait()

    @contextlib.asynccontextmanager
    async def subscribe(self, name: str = "") -> AsyncIterator[Subscriber]:
        """A subscription: read frames with ``await sub.queue.get()``; ends on exit."""
        sub = Subscriber(asyncio.Queue(self.max_queue), name)
        self._subscribers.add(sub)
        if len(self._subscribers) == 1 and self.on_demand is not None:
            self.on_demand(True)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)
            if not self._subscribers and self.on_demand is not None:
                self.on_demand(False)

    async def frames_for(self, sub: Subscriber) -> AsyncIterator[AccessUnit]:
        """The subscriber's frames as they come."""
        while True:
            unit = await sub.queue.get()
            sub.delivered += 1
            yield unit

    def stats(self) -> SourceStats:
        return SourceStats(
            self.frames,
            self.rtp.packets,
            self.rtp.lost,
            self.last_frame_monotonic,
            [
                {"name": s.name, "delivered": s.delivered, "skipped": s.skipped, "resets": s.resets}
                for s in self._subscribers
            ],
        )
