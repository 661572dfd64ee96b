"""Render what a gimbal camera sees: a pinhole camera over the flat ground of a `Scene`.

Every pixel's ray is cast from the camera (vehicle position, `alt_m` above the ground) along
the gimbal's pointing (vehicle heading + gimbal yaw, gimbal pitch, negative down) and looked up
in the scene's texture where it meets the ground; rays above the horizon see sky, rays beyond
the texture see haze. Nearest-texel lookup: about 10 ms a 640x360 frame.

A time stamp can be drawn into the frame (`stamp_ms`): 32 black or white squares along the
bottom-left edge, most significant bit first, so a viewer reads when the frame was made
(:func:`read_stamp`) and the glass-to-glass latency can be measured from the picture itself.

>>> from simulator.camera.scene import Scene
>>> scene = Scene.synthetic((29.05, 119.18, 40.0), half_size_m=60.0)
>>> cam = Renderer(scene, 160, 90)
>>> frame = cam.render(Pose(29.05, 119.18, 30.0, 0.0), Gimbal(-90.0, 0.0), stamp_ms=1234)
>>> frame.shape, read_stamp(frame)
((90, 160, 3), 1234)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulator.camera.scene import Scene, Texture

SKY = np.array((150, 186, 222), dtype=np.uint8)
HAZE = np.array((170, 180, 172), dtype=np.uint8)
STAMP_BITS = 32


@dataclass(frozen=True, slots=True)
class Pose:
    """Where the camera is: position, height above the ground, vehicle heading."""

    lat_deg: float
    lon_deg: float
    alt_m: float
    heading_deg: float


@dataclass(frozen=True, slots=True)
class Gimbal:
    """Gimbal angles: pitch (0 level, -90 straight down), yaw relative to the vehicle's nose."""

    pitch_deg: float
    yaw_deg: float

    def clamped(self) -> Gimbal:
        """Within the limits of a typical 3-axis gimbal: pitch -90..+30, yaw -180..180."""
        yaw = (self.yaw_deg + 180.0) % 360.0 - 180.0
        return Gimbal(min(30.0, max(-90.0, self.pitch_deg)), yaw)


class Renderer:
    """Renders frames of one size and field of view (horizontal `hfov_deg`)."""

    def __init__(self, scene: Scene, width: int, height: int, hfov_deg: float = 78.0) -> None:
        self.scene, self.width, self.height = scene, width, height
        f = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
        xs = (np.arange(width, dtype=np.float32) + 0.5 - width / 2) / f
        ys = (np.arange(height, dtype=np.float32) + 0.5 - height / 2) / f
        self._x, self._y = np.meshgrid(xs, ys)

    def render(self, pose: Pose, gimbal: Gimbal, stamp_ms: int | None = None) -> Texture:
        """One RGB frame (height, width, 3) seen from `pose` through `gimbal`."""
        g = gimbal.clamped()
        az = math.radians(pose.heading_deg + g.yaw_deg)
        el = math.radians(g.pitch_deg)
        fwd = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), -math.sin(el))
        right = (-math.sin(az), math.cos(az), 0.0)
        down = (  # fwd x right: image down in north/east/down
            fwd[1] * right[2] - fwd[2] * right[1],
            fwd[2] * right[0] - fwd[0] * right[2],
            fwd[0] * right[1] - fwd[1] * right[0],
        )
        x, y = self._x, self._y
        d_n = fwd[0] + x * right[0] + y * down[0]
        d_e = fwd[1] + x * right[1] + y * down[1]
        d_d = fwd[2] + x * right[2] + y * down[2]
        ground = d_d > 1e-3
        t = np.where(ground, max(pose.alt_m, 0.5) / np.where(ground, d_d, 1.0), 0.0)
        n0, e0 = self.scene.local(pose.lat_deg, pose.lon_deg)
        tex = self.scene.texture()
        k = 1.0 / self.scene.m_per_texel
        col = ((e0 + t * d_e + self.scene.half_size_m) * k).astype(np.int32)
        row = ((self.scene.half_size_m - (n0 + t * d_n)) * k).astype(np.int32)
        size = tex.shape[0]
        inside = ground & (col >= 0) & (col < size) & (row >= 0) & (row < size)
        frame = np.empty((self.height, self.width, 3), dtype=np.uint8)
        frame[:] = SKY
        frame[ground & ~inside] = HAZE
        frame[inside] = tex[row[inside], col[inside]]
        if stamp_ms is not None:
            draw_stamp(frame, stamp_ms)
        return frame


def _cell(frame: Texture) -> int:
    return max(4, int(frame.shape[1]) // 80)


def draw_stamp(frame: Texture, stamp_ms: int) -> None:
    """Draw `stamp_ms` (mod 2**32) as 32 black/white squares at the bottom-left, in place."""
    c = _cell(frame)
    value = stamp_ms & 0xFFFFFFFF
    top = frame.shape[0] - c
    for i in range(STAMP_BITS):
        bit = (value >> (STAMP_BITS - 1 - i)) & 1
        frame[top:, i * c : (i + 1) * c] = 255 if bit else 0


def read_stamp(frame: npt.NDArray[np.uint8]) -> int:
    """The time stamp drawn by :func:`draw_stamp` (read at each square's centre)."""
    c = _cell(frame)
    row = frame.shape[0] - c // 2 - 1
    value = 0
    for i in range(STAMP_BITS):
        lum = int(np.mean(frame[row, i * c + c // 2]))
        value = (value << 1) | (1 if lum >= 128 else 0)
    return value
