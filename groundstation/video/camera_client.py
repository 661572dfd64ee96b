"""The MAVLink camera protocol from the station's side: find a vehicle's camera and its streams,
start and stop them, take photos, point the gimbal.

Discovery asks component 100 (MAV_COMP_ID_CAMERA) with MAV_CMD_REQUEST_MESSAGE for
CAMERA_INFORMATION, then for VIDEO_STREAM_INFORMATION of every stream it says it has. A vehicle
without a camera simply never answers (ArduPilot has no component 100; its own camera backend,
when configured, answers as the autopilot and is asked second): :meth:`CameraClient.discover`
returns None after the command's retries, and nothing else waits on it.

Messages from the camera reach the client through the vehicle handle's
``component_listeners``; commands go through the link's usual :class:`CommandSender` (ACK,
retries, typed errors) addressed to the camera's component.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.errors import CommandError, LinkError
from groundstation.link.codec import MavMessage
from groundstation.link.command_protocol import CommandSender, CommandTiming
from groundstation.link.handle import VehicleHandle

Msg = MavMessage
log = logging.getLogger(__name__)
M = mavlink
CAMERA_COMPONENT = M.MAV_COMP_ID_CAMERA
DISCOVERY_TIMING = CommandTiming(ack_timeout_s=1.0, retries=2, in_progress_timeout_s=5.0)
_REPLY_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One video stream as VIDEO_STREAM_INFORMATION describes it (or as configured)."""

    stream_id: int
    uri: str
    kind: str  # "rtp_udp", "rtsp", "tcp_mpeg", "mpeg_ts"
    width: int
    height: int
    fps: float
    encoding: str  # "h264", "h265", "unknown"
    name: str = ""

    @property
    def udp_port(self) -> int | None:
        """The port of an ``udp://HOST:PORT`` RTP stream (QGroundControl's form), else None."""
        if self.kind != "rtp_udp" or not self.uri.startswith("udp://"):
            return None
        port = self.uri.removeprefix("udp://").rpartition(":")[2].partition("/")[0]
        return int(port) if port.isdigit() else None


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """A vehicle's camera: who it is, what it can do, its streams."""

    sysid: int
    compid: int
    vendor: str
    model: str
    flags: int
    streams: tuple[StreamInfo, ...]
    source: str = "mavlink"  # or "config": a camera that does not speak the protocol

    @property
    def can_capture(self) -> bool:
        return bool(self.flags & M.CAMERA_CAP_FLAGS_CAPTURE_IMAGE)


_STREAM_KINDS = {
    M.VIDEO_STREAM_TYPE_RTSP: "rtsp",
    M.VIDEO_STREAM_TYPE_RTPUDP: "rtp_udp",
    M.VIDEO_STREAM_TYPE_TCP_MPEG: "tcp_mpeg",
    M.VIDEO_STREAM_TYPE_MPEG_TS: "mpeg_ts",
}
_ENCODINGS = {M.VIDEO_STREAM_ENCODING_H264: "h264", M.VIDEO_STREAM_ENCODING_H265: "h265"}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.split(b"\0", 1)[0].decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return bytes(int(v) for v in value).split(b"\0", 1)[0].decode("utf-8", "replace")
    return str(value).split("\0", 1)[0]


def stream_of(msg: Msg) -> StreamInfo:
    """A VIDEO_STREAM_INFORMATION message as a :class:`StreamInfo`."""
    return StreamInfo(
        int(msg.stream_id),
        _text(msg.uri),
        _STREAM_KINDS.get(int(msg.type), "unknown"),
        int(msg.resolution_h),
        int(msg.resolution_v),
        float(msg.framerate),
        _ENCODINGS.get(int(getattr(msg, "encoding", 0)), "unknown"),
        _text(msg.name),
    )


def gimbal_angles(q: list[float], flags: int) -> tuple[float, float]:
    """(pitch, yaw) in degrees of a GIMBAL_DEVICE_ATTITUDE_STATUS quaternion (w, x, y, z).

    >>> [round(a) for a in gimbal_angles([0.9239, 0.0, -0.3827, 0.0], 0)]
    [-45, 0]
    """
    w, x, y, z = (float(v) for v in q)
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x)))))
    yaw = math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))
    return pitch, yaw


@dataclass
class _Inbox:
    """The camera's messages by type, each awaited by whoever asked for it."""

    waiting: dict[str, list[asyncio.Future[Msg]]] = field(default_factory=dict)
    listeners: list[Callable[[Msg], None]] = field(default_factory=list)

    def feed(self, msg: Msg) -> None:
        for fut in self.waiting.pop(msg.get_type(), []):
            if not fut.done():
                fut.set_result(msg)
        for listener in self.listeners:
            listener(msg)

    def expect(self, kind: str) -> asyncio.Future[Msg]:
        fut: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(kind, []).append(fut)
        return fut


class CameraClient:
    """Talks to the camera component `compid` of one vehicle."""

    def __init__(
        self,
        vehicle: VehicleHandle,
        compid: int = CAMERA_COMPONENT,
        timing: CommandTiming = DISCOVERY_TIMING,
    ) -> None:
        self.vehicle = vehicle
        self.compid = compid
        self._inbox = _Inbox()
        #: the gimbal's (pitch, yaw) in degrees, yaw from the vehicle's nose, as last reported
        self.gimbal_deg: tuple[float, float] | None = None
        self._commands = CommandSender(
            vehicle.mav,
            vehicle.send_message,
            vehicle.router,
            (vehicle.sysid, compid),
            vehicle.own_system,
            lambda _since: "",
            timing,
        )
        vehicle.component_listeners.append(self._on_message)

    def close(self) -> None:
        if self._on_message in self.vehicle.component_listeners:
            self.vehicle.component_listeners.remove(self._on_message)

    def _on_message(self, msg: Msg) -> None:
        if msg.get_header().srcComponent != self.compid:
            return
        if msg.get_type() == "GIMBAL_DEVICE_ATTITUDE_STATUS":
            self.gimbal_deg = gimbal_angles(msg.q, int(msg.flags))
        self._inbox.feed(msg)

    def on_message(self, listener: Callable[[Msg], None]) -> None:
        """Call `listener` with every message from the camera (CAMERA_IMAGE_CAPTURED ...)."""
        self._inbox.listeners.append(listener)

    async def request(self, msg_id: int, *params: float) -> Msg:
        """REQUEST_MESSAGE `msg_id` and wait for it; LinkError (CommandError, timeout) if not."""
        name = M.mavlink_map[msg_id].msgname
        reply = self._inbox.expect(name)
        try:
            await self._commands.long(M.MAV_CMD_REQUEST_MESSAGE, msg_id, *params)
            async with asyncio.timeout(_REPLY_TIMEOUT_S):
                return await reply
        except TimeoutError:
            raise LinkError(f"vehicle {self.vehicle.sysid}: no {name} after its ACK") from None
        finally:
            reply.cancel()

    async def discover(self) -> CameraInfo | None:
        """The camera and its streams, or None when nothing answers as a camera."""
        try:
            info = await self.request(M.MAVLINK_MSG_ID_CAMERA_INFORMATION)
        except LinkError as exc:
            log.info(
                "vehicle %d: no camera at component %d (%s)", self.vehicle.sysid, self.compid, exc
            )
            return None
        streams: list[StreamInfo] = []
        if int(info.flags) & M.CAMERA_CAP_FLAGS_HAS_VIDEO_STREAM:
            try:
                first = stream_of(await self.request(M.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION, 1))
                streams.append(first)
            except LinkError as exc:
                log.warning("vehicle %d: camera lists no stream (%s)", self.vehicle.sysid, exc)
        return CameraInfo(
            self.vehicle.sysid,
            self.compid,
            _text(info.vendor_name),
            _text(info.model_name),
            int(info.flags),
            tuple(streams),
        )

    async def start_streaming(self, stream_id: int = 1) -> None:
        await self._commands.long(M.MAV_CMD_VIDEO_START_STREAMING, stream_id)

    async def stop_streaming(self, stream_id: int = 1) -> None:
        await self._commands.long(M.MAV_CMD_VIDEO_STOP_STREAMING, stream_id)

    async def capture(self) -> None:
        """One photo now (IMAGE_START_CAPTURE, 1 image); CAMERA_IMAGE_CAPTURED follows."""
        await self._commands.long(M.MAV_CMD_IMAGE_START_CAPTURE, 0, 0, 1, 0)

    async def point(self, pitch_deg: float, yaw_deg: float) -> None:
        """Gimbal v2 DO_GIMBAL_MANAGER_PITCHYAW (yaw relative to the vehicle's nose)."""
        await self._commands.long(
            M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, pitch_deg, yaw_deg, float("nan"), float("nan")
        )

    async def look_at(self, lat_deg: float, lon_deg: float, alt_msl_m: float) -> None:
        """DO_SET_ROI_LOCATION: keep the camera on a place (COMMAND_INT, degE7)."""
        await self._commands.int_(
            M.MAV_CMD_DO_SET_ROI_LOCATION,
            M.MAV_FRAME_GLOBAL,
            [0.0],
            round(lat_deg * 1e7),
            round(lon_deg * 1e7),
            alt_msl_m,
        )


__all__ = ["CameraClient", "CameraInfo", "CommandError", "StreamInfo", "stream_of"]
