"""A simulated fleet with cameras, the station's link to it and its video service."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.link import Fleet, LinkConfig
from groundstation.video.service import VideoService
from groundstation.video.settings import VideoSettings
from simulator.camera.fleet_cameras import CameraConfig, free_udp_ports
from simulator.camera.scene import SceneObject
from simulator.fleet import SimConfig, SimFleet
from simulator.geo import offset_deg

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
HOME = (29.05253, 119.181841, 40.0)


@dataclass
class Rig:
    sim: SimFleet
    fleet: Fleet
    video: VideoService
    sessions: async_sessionmaker[AsyncSession]
    data_dir: Path


def dredger_north(metres: float) -> SceneObject:
    return SceneObject("dredger", *offset_deg(HOME[0], HOME[1], metres, 0.0), heading_deg=90.0)


async def make_rig(tmp_path: Path, settings: VideoSettings, drones: int = 2) -> AsyncIterator[Rig]:
    db = DbSettings(url=f"sqlite:///{tmp_path / 'station.db'}")
    await asyncio.to_thread(upgrade_to_head, db, tmp_path)
    engine = make_async_engine(db)
    camera = CameraConfig(ports=free_udp_ports("127.0.0.1", drones), objects=(dredger_north(60.0),))
    config = SimConfig(
        drones=drones, listen="udpin:127.0.0.1:0", speedup=10, home=HOME, camera=camera
    )
    try:
        async with SimFleet(config) as sim:
            fleet = Fleet([LinkConfig(url=f"udpout:127.0.0.1:{sim.ports[0]}")], lost_after_s=5)
            async with fleet:
                await fleet.wait_for_vehicles(drones, timeout_s=10 * FACTOR)
                video = VideoService(settings, tmp_path, make_sessionmaker(engine), fleet)
                task = asyncio.get_running_loop().create_task(video.run())
                try:
                    yield Rig(sim, fleet, video, make_sessionmaker(engine), tmp_path)
                finally:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    finally:
        await engine.dispose()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async for r in make_rig(tmp_path, VideoSettings(stop_grace_s=0.5)):
        yield r
