"""A vehicle without a camera: the station asks (MAVLink camera protocol), hears nothing, and
goes on flying it, on ArduCopter SITL (no component 100) as on our simulator without --camera."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from groundstation.link import Fleet, LinkConfig
from groundstation.video.service import VideoService
from groundstation.video.settings import VideoSettings
from tests.conformance.backends import vehicles
from tests.sitl import FACTOR

pytestmark = pytest.mark.e2e


async def test_vehicle_without_camera_is_listed_as_such_and_still_flies(autopilot, tmp_path):
    kind, factory = autopilot
    async with vehicles(kind, factory, [1]) as backend:
        fleet = Fleet([LinkConfig(url=backend.urls[0])], lost_after_s=30)
        async with fleet:
            await fleet.wait_for_vehicles(1, timeout_s=20 * FACTOR)
            video = VideoService(VideoSettings(), tmp_path, None, fleet)
            task = asyncio.get_running_loop().create_task(video.run())
            try:
                # 3 REQUEST_MESSAGE attempts, 1 s each: no ACK, no CAMERA_INFORMATION
                assert await video.wait_for_discovery(1, 15 * FACTOR) is None
                assert video.sources == {}
                handle = fleet.vehicle(1)
                assert not handle.is_lost
                await handle.set_mode("GUIDED")  # the autopilot still answers its commands
                state = await handle.wait_for(lambda s: s.mode == "GUIDED", 10 * FACTOR)
                assert state.position is not None
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
