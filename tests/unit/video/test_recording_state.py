"""The video service tells the pages each start and stop of a recording, with its reason: the
settings at start, the drone's link lost (the recording stops, its segment so far kept) and
back (it starts again), a pilot's choice."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from groundstation.db.recording_choices import Choice
from groundstation.link.fleet import Fleet, FleetEvent
from groundstation.telemetry.hub import ClientQueue, Hub
from groundstation.video.service import VideoService
from groundstation.video.settings import VideoSettings

SYSID = 5


class FakeFleet:
    """Just what the video service reads of a fleet: new vehicles (none) and events."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[FleetEvent] = asyncio.Queue()

    async def new_vehicles(self) -> AsyncIterator[int]:
        await asyncio.Event().wait()
        yield 0  # never reached

    async def events(self) -> AsyncIterator[FleetEvent]:
        while True:
            yield await self.queue.get()

    def emit(self, kind: str) -> None:
        self.queue.put_nowait(FleetEvent(kind, SYSID, 0.0))


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _next_state(client: ClientQueue) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            msg = await client.get()
            if msg.type == "video.recording":
                return dict(msg.data)


async def test_link_lost_stops_and_link_back_restarts_the_recording(tmp_path: Path) -> None:
    """Recorded by the settings; the link is lost: stopped, reason offline; back: recording
    again, reason settings; a pilot's stop then says who and holds over the next link loss."""
    settings = VideoSettings(
        streams={SYSID: f"udp://127.0.0.1:{_free_udp_port()}"}, record=True, webrtc=False
    )
    fleet, hub = FakeFleet(), Hub()
    client = hub.subscribe()
    video = VideoService(settings, tmp_path, None, cast(Fleet, fleet), hub)
    task = asyncio.create_task(video.run())
    try:
        started = await _next_state(client)
        assert (started["recording"], started["reason"]) == (True, "settings")
        assert video.is_recording(SYSID)

        fleet.emit("lost")
        stopped = await _next_state(client)
        assert (stopped["recording"], stopped["reason"]) == (False, "offline")
        assert not video.is_recording(SYSID)
        assert video.recording_state(SYSID).reason == "offline"

        fleet.emit("regained")
        again = await _next_state(client)
        assert (again["recording"], again["reason"]) == (True, "settings")

        at = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
        video.set_recording(Choice(SYSID, False, "王飞", at))
        chosen = await _next_state(client)
        assert (chosen["recording"], chosen["reason"], chosen["chosen_by"]) == (
            False, "pilot", "王飞",
        )  # fmt: skip
        fleet.emit("lost")
        fleet.emit("regained")
        await asyncio.sleep(0.1)
        assert not video.is_recording(SYSID)  # the pilot's stop holds
        assert video.recording_state(SYSID).reason == "pilot"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
