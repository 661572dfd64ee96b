"""Gimbal cameras for every vehicle of a fleet: one shared scene, one component and service each.

`CameraConfig` says where the streams go (vehicle i of the fleet pushes RTP to
``video_host:video_base_port + i``, QGroundControl's 5600 for the first) and what the scene holds
(a GeoJSON water layer or the synthetic lake, plus scene objects).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from simulator.camera.component import CameraComponent, CameraSpec, VehiclePose
from simulator.camera.scene import Scene, SceneObject
from simulator.camera.service import CameraService


@dataclass(frozen=True)
class CameraConfig:
    video_host: str = "127.0.0.1"
    video_base_port: int = 5600
    """Vehicle i streams to this port + i; 0: free ports on `video_host`, found at start."""
    http_host: str = "127.0.0.1"
    width: int = 640
    height: int = 360
    fps: int = 15
    bitrate_kbps: int = 800
    scene_file: Path | None = None
    """GeoJSON water polygons (lon/lat), optionally with ``scene_objects``; None: synthetic."""
    objects: tuple[SceneObject, ...] = ()
    scene_half_size_m: float = 400.0
    """How far from the first vehicle's start the ground is drawn (haze beyond)."""
    scene_m_per_texel: float = 0.25
    stream_on_start: bool = False
    """Stream from the start, as a companion pushing to QGroundControl does (no command needed)."""
    ports: tuple[int, ...] = field(default=())
    """Explicit video ports, one per vehicle (overrides `video_base_port`)."""


def free_udp_ports(host: str, n: int) -> tuple[int, ...]:
    """`n` distinct UDP ports free on `host` now (for the station to listen on)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind((host, 0))
        return tuple(int(s.getsockname()[1]) for s in socks)
    finally:
        for s in socks:
            s.close()


class FleetCameras:
    """The cameras of a fleet: build them, start their services, step and feed them."""

    def __init__(
        self,
        config: CameraConfig,
        origin: tuple[float, float, float],
        poses: dict[int, Callable[[], VehiclePose]],
    ) -> None:
        self.config = config
        if config.scene_file is not None:
            self.scene = Scene.from_geojson(
                origin, config.scene_file, config.scene_half_size_m, config.scene_m_per_texel
            )
        else:
            self.scene = Scene.synthetic(
                origin, config.scene_half_size_m, m_per_texel=config.scene_m_per_texel
            )
        for obj in config.objects:
            self.scene.add(obj)
        self.components: dict[int, CameraComponent] = {}
        ports = config.ports
        if not ports and config.video_base_port == 0:
            ports = free_udp_ports(config.video_host, len(poses))
        for i, (sysid, pose) in enumerate(sorted(poses.items())):
            port = ports[i] if ports else config.video_base_port + i
            spec = CameraSpec(port, config.width, config.height, config.fps, config.bitrate_kbps)
            cam = CameraComponent(sysid, self.scene, pose, spec)
            cam.streaming = config.stream_on_start
            self.components[sysid] = cam
        self.services: dict[int, CameraService] = {}

    async def start(self) -> None:
        for sysid, cam in self.components.items():
            service = CameraService(cam, self.config.video_host)
            await service.start(self.config.http_host)
            self.services[sysid] = service
            base = f"http://{self.config.http_host}:{service.http_port}"
            cam.spec = replace(cam.spec, http_base=base)

    async def close(self) -> None:
        for service in self.services.values():
            service.close()
        for service in self.services.values():
            await service.wait_closed()

    def place(self, objects: Sequence[SceneObject], replace: bool = False) -> None:
        if replace:
            self.scene.clear()
        for obj in objects:
            self.scene.add(obj)
