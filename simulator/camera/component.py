"""A gimbal camera on the vehicle's MAVLink network (component 100), sans-I/O.

It speaks the MAVLink camera protocol v2 and the gimbal protocol v2 as an integrated gimbal
camera (its own gimbal manager, as camera-gimbals with a MAVLink interface are):

- HEARTBEAT (MAV_TYPE_CAMERA) at 1 Hz, so a ground station sees it exists;
- MAV_CMD_REQUEST_MESSAGE for CAMERA_INFORMATION, VIDEO_STREAM_INFORMATION (with the stream's
  URI, ``udp://0.0.0.0:PORT`` for RTP/H.264 pushed to the ground station as QGroundControl
  expects), VIDEO_STREAM_STATUS, CAMERA_CAPTURE_STATUS, CAMERA_SETTINGS and
  GIMBAL_MANAGER_INFORMATION;
- MAV_CMD_VIDEO_START_STREAMING / STOP_STREAMING: the stream runs only between them (nobody
  watching, no CPU spent);
- MAV_CMD_IMAGE_START_CAPTURE (one shot, or every `interval` seconds for `count` shots) and
  IMAGE_STOP_CAPTURE: each shot renders a JPEG with EXIF GPS, keeps it for the camera's HTTP
  interface and sends CAMERA_IMAGE_CAPTURED whose ``file_url`` points there;
- MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW (angles; NaN keeps an axis), MAV_CMD_DO_SET_ROI_LOCATION
  (point at a place until DO_SET_ROI_NONE) and GIMBAL_DEVICE_ATTITUDE_STATUS at 2 Hz.

Only messages addressed to this component (or to component 0) are handled. The vehicle's pose
comes from `pose()`, a reading of the autopilot's state: a real camera gets it from the
autopilot's GLOBAL_POSITION_INT / ATTITUDE.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.camera.photo import jpeg_with_exif
from simulator.camera.render import Gimbal, Pose, Renderer
from simulator.camera.scene import Scene
from simulator.codec import MavMessage
from simulator.geo import ne_offset_m

M = mavlink2
COMPID = M.MAV_COMP_ID_CAMERA
ACCEPTED, DENIED, UNSUPPORTED = M.MAV_RESULT_ACCEPTED, M.MAV_RESULT_DENIED, M.MAV_RESULT_UNSUPPORTED
CAP_FLAGS = (
    M.CAMERA_CAP_FLAGS_CAPTURE_IMAGE
    | M.CAMERA_CAP_FLAGS_HAS_VIDEO_STREAM
    | M.CAMERA_CAP_FLAGS_HAS_MODES
)
GIMBAL_CAPS = (
    M.GIMBAL_MANAGER_CAP_FLAGS_HAS_PITCH_AXIS
    | M.GIMBAL_MANAGER_CAP_FLAGS_HAS_YAW_AXIS
    | M.GIMBAL_MANAGER_CAP_FLAGS_HAS_YAW_FOLLOW
    | M.GIMBAL_MANAGER_CAP_FLAGS_CAN_POINT_LOCATION_GLOBAL
)


@dataclass(frozen=True, slots=True)
class VehiclePose:
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    heading_deg: float


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """What the camera offers: stream size and rate, where it streams, photo size, HTTP base."""

    video_port: int = 5600
    width: int = 640
    height: int = 360
    fps: int = 15
    bitrate_kbps: int = 800
    hfov_deg: float = 78.0
    photo_width: int = 1280
    photo_height: int = 720
    http_base: str = ""
    """``http://host:port`` of the camera's HTTP interface (set once it listens)."""

    @property
    def uri(self) -> str:
        """Where the ground station listens: RTP/H.264 over UDP, QGroundControl's convention."""
        return f"udp://0.0.0.0:{self.video_port}"


@dataclass(frozen=True, slots=True)
class Shot:
    index: int
    jpeg: bytes
    pose: VehiclePose
    unix_s: float


class CameraComponent:
    """One vehicle's gimbal camera (see the module docstring)."""

    def __init__(
        self,
        sysid: int,
        scene: Scene,
        pose: Callable[[], VehiclePose],
        spec: CameraSpec | None = None,
        unix_now: Callable[[], float] = time.time,
    ) -> None:
        self.sysid = sysid
        self.scene = scene
        self.pose = pose
        self.spec = spec or CameraSpec()
        self.unix_now = unix_now
        self.mav = M.MAVLink(None, sysid, COMPID)
        self.gimbal = Gimbal(-45.0, 0.0)
        self.roi: tuple[float, float, float] | None = None
        self.streaming = False
        self.shots: dict[int, Shot] = {}
        self.t = 0.0
        self.outbox: list[MavMessage] = []
        self._next_heartbeat = 0.0
        self._next_attitude = 0.0
        self._interval: tuple[float, float, int] | None = None  # next time, period, remaining
        self._photo_renderer: Renderer | None = None

    # ------------------------------------------------------------------ I/O
    def send(self, msg: MavMessage) -> None:
        self.outbox.append(msg)

    def drain(self) -> list[MavMessage]:
        out, self.outbox = self.outbox, []
        return out

    @property
    def time_boot_ms(self) -> int:
        return int(self.t * 1000) & 0xFFFFFFFF

    # ------------------------------------------------------------------ view
    def view(self) -> tuple[Pose, Gimbal]:
        """Where the camera is and where it points now (the ROI wins over set angles)."""
        p = self.pose()
        gimbal = self.gimbal
        if self.roi is not None:
            gimbal = self._look_at(p, *self.roi)
        return Pose(p.lat_deg, p.lon_deg, p.alt_rel_m, p.heading_deg), gimbal.clamped()

    @staticmethod
    def _look_at(p: VehiclePose, lat: float, lon: float, alt_msl: float) -> Gimbal:
        n, e = ne_offset_m(p.lat_deg, p.lon_deg, lat, lon)
        dist = math.hypot(n, e)
        pitch = math.degrees(math.atan2(alt_msl - p.alt_msl_m, max(dist, 0.01)))
        yaw = math.degrees(math.atan2(e, n)) - p.heading_deg if dist > 0.5 else 0.0
        return Gimbal(pitch if dist > 0.5 else -90.0, yaw)

    # ------------------------------------------------------------------ time
    def update(self, now: float) -> None:
        self.t = now
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + 1.0
            self.send(
                self.mav.heartbeat_encode(
                    M.MAV_TYPE_CAMERA, M.MAV_AUTOPILOT_INVALID, 0, 0, M.MAV_STATE_ACTIVE
                )
            )
        if now >= self._next_attitude:
            self._next_attitude = now + 0.5
            self.send(self._attitude_status())
        if self._interval is not None and now >= self._interval[0]:
            _, period, remaining = self._interval
            self.capture()
            remaining -= 1
            self._interval = (now + period, period, remaining) if remaining != 0 else None

    # ------------------------------------------------------------------ messages
    def handle(self, msg: MavMessage) -> None:
        if msg.get_type() not in ("COMMAND_LONG", "COMMAND_INT"):
            return
        if msg.target_system not in (0, self.sysid) or msg.target_component not in (0, COMPID):
            return
        cmd = int(msg.command)
        params = [msg.param1, msg.param2, msg.param3, msg.param4]
        if msg.get_type() == "COMMAND_INT":
            xyz = [msg.x / 1e7, msg.y / 1e7, msg.z]
        else:
            xyz = [msg.param5, msg.param6, msg.param7]
        result, after = self._command(cmd, params, xyz, msg.target_component == COMPID)
        if result is None:
            return  # a broadcast command for someone else
        self.send(
            self.mav.command_ack_encode(
                cmd, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
            )
        )
        if after is not None:
            after()

    def _command(
        self, cmd: int, p: list[float], xyz: list[float], addressed: bool
    ) -> tuple[int | None, Callable[[], None] | None]:
        if cmd == M.MAV_CMD_REQUEST_MESSAGE:
            builder = self._builders().get(int(p[0]))
            if builder is None:
                return (UNSUPPORTED if addressed else None), None
            return ACCEPTED, lambda: self.send(builder())
        if cmd == M.MAV_CMD_VIDEO_START_STREAMING:
            self.streaming = True
            return ACCEPTED, None
        if cmd == M.MAV_CMD_VIDEO_STOP_STREAMING:
            self.streaming = False
            return ACCEPTED, None
        if cmd == M.MAV_CMD_IMAGE_START_CAPTURE:
            interval, count = p[1], int(p[2])
            if count == 1 or interval <= 0:
                return ACCEPTED, self._capture_once
            self._interval = (self.t, max(interval, 0.5), count or -1)
            return ACCEPTED, None
        if cmd == M.MAV_CMD_IMAGE_STOP_CAPTURE:
            self._interval = None
            return ACCEPTED, None
        if cmd == M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW:
            pitch = self.gimbal.pitch_deg if math.isnan(p[0]) else p[0]
            yaw = self.gimbal.yaw_deg if math.isnan(p[1]) else p[1]
            self.gimbal = Gimbal(pitch, yaw).clamped()
            self.roi = None
            return ACCEPTED, lambda: self.send(self._attitude_status())
        if cmd == M.MAV_CMD_DO_SET_ROI_LOCATION:
            lat, lon, alt = xyz
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
                return DENIED, None
            self.roi = (lat, lon, alt)
            return ACCEPTED, None
        if cmd == M.MAV_CMD_DO_SET_ROI_NONE:
            self.roi = None
            return ACCEPTED, None
        return (UNSUPPORTED if addressed else None), None

    # ------------------------------------------------------------------ photos
    def _capture_once(self) -> None:
        self.capture()

    def capture(self) -> Shot:
        """Take a photo now: render, JPEG with EXIF, keep it, send CAMERA_IMAGE_CAPTURED."""
        s = self.spec
        if self._photo_renderer is None:
            self._photo_renderer = Renderer(self.scene, s.photo_width, s.photo_height, s.hfov_deg)
        pose, gimbal = self.view()
        p = self.pose()
        unix_s = self.unix_now()
        rgb = self._photo_renderer.render(pose, gimbal)
        jpeg = jpeg_with_exif(rgb, p.lat_deg, p.lon_deg, p.alt_msl_m, unix_s)
        shot = Shot(len(self.shots) + 1, jpeg, p, unix_s)
        self.shots[shot.index] = shot
        url = (
            f"{s.http_base}/images/{shot.index}.jpg" if s.http_base else f"/images/{shot.index}.jpg"
        )
        self.send(
            self.mav.camera_image_captured_encode(
                self.time_boot_ms,
                int(unix_s * 1e6),
                0,
                round(p.lat_deg * 1e7),
                round(p.lon_deg * 1e7),
                round(p.alt_msl_m * 1000),
                round(p.alt_rel_m * 1000),
                _quaternion(gimbal, p.heading_deg),
                shot.index,
                1,
                url.encode(),
            )
        )
        return shot

    # ------------------------------------------------------------------ message builders
    def _builders(self) -> dict[int, Callable[[], MavMessage]]:
        return {
            M.MAVLINK_MSG_ID_CAMERA_INFORMATION: self._information,
            M.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION: self._stream_information,
            M.MAVLINK_MSG_ID_VIDEO_STREAM_STATUS: self._stream_status,
            M.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS: self._capture_status,
            M.MAVLINK_MSG_ID_CAMERA_SETTINGS: lambda: self.mav.camera_settings_encode(
                self.time_boot_ms, M.CAMERA_MODE_IMAGE, 1.0, float("nan")
            ),
            M.MAVLINK_MSG_ID_GIMBAL_MANAGER_INFORMATION: lambda: (
                self.mav.gimbal_manager_information_encode(
                    self.time_boot_ms,
                    GIMBAL_CAPS,
                    COMPID,
                    0,
                    0,
                    math.radians(-90),
                    math.radians(30),
                    -math.pi,
                    math.pi,
                )
            ),
        }

    def _information(self) -> MavMessage:
        s = self.spec
        return self.mav.camera_information_encode(
            self.time_boot_ms,
            _padded(b"ecopatrol", 32),
            _padded(b"sim gimbal camera", 32),
            0x01000000,
            4.5,
            6.17,
            4.55,
            s.photo_width,
            s.photo_height,
            0,
            CAP_FLAGS,
            0,
            b"",
            COMPID,
        )

    def _stream_information(self) -> MavMessage:
        s = self.spec
        flags = M.VIDEO_STREAM_STATUS_FLAGS_RUNNING if self.streaming else 0
        return self.mav.video_stream_information_encode(
            1,
            1,
            M.VIDEO_STREAM_TYPE_RTPUDP,
            flags,
            float(s.fps),
            s.width,
            s.height,
            s.bitrate_kbps * 1000,
            0,
            round(s.hfov_deg),
            b"gimbal",
            s.uri.encode(),
            M.VIDEO_STREAM_ENCODING_H264,
        )

    def _stream_status(self) -> MavMessage:
        s = self.spec
        flags = M.VIDEO_STREAM_STATUS_FLAGS_RUNNING if self.streaming else 0
        return self.mav.video_stream_status_encode(
            1, flags, float(s.fps), s.width, s.height, s.bitrate_kbps * 1000, 0, round(s.hfov_deg)
        )

    def _capture_status(self) -> MavMessage:
        interval = self._interval[1] if self._interval is not None else 0.0
        image_status = 3 if self._interval is not None else 0  # 3: interval capture running
        return self.mav.camera_capture_status_encode(
            self.time_boot_ms, image_status, 0, interval, 0, 32_000.0, len(self.shots)
        )

    def _attitude_status(self) -> MavMessage:
        _, gimbal = self.view()
        return self.mav.gimbal_device_attitude_status_encode(
            0, 0, self.time_boot_ms, M.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME,
            _quaternion(gimbal, 0.0), float("nan"), float("nan"), float("nan"), 0,
            float("nan"), float("nan"), COMPID,
        )  # fmt: skip


def _padded(text: bytes, n: int) -> list[int]:
    return list(text[:n].ljust(n, b"\0"))


def _quaternion(g: Gimbal, heading_deg: float) -> list[float]:
    """w, x, y, z of yaw (heading + gimbal yaw) then pitch (roll 0), as MAVLink's q fields."""
    yaw, pitch = math.radians(heading_deg + g.yaw_deg) / 2, math.radians(g.pitch_deg) / 2
    cy, sy, cp, sp = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)
    return [cy * cp, -sy * sp, cy * sp, sy * cp]
