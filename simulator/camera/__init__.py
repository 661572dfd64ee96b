"""The vehicle's cameras: the survey trigger (`trigger`) and the gimbal camera that renders,
streams and photographs the scene (`scene`, `render`, `h264`, `rtp`, `photo`, `component`,
`service`)."""

from simulator.camera.trigger import Camera, Photo

__all__ = ["Camera", "Photo"]
