"""The camera's network side: its RTP/H.264 stream over UDP and its HTTP interface for photos.

- Video: while the component is streaming (MAV_CMD_VIDEO_START_STREAMING), frames are rendered
  and encoded at the stream's rate (in a worker thread: numpy and x264 release the GIL) and sent
  as RTP to ``video_host:video_port``, the address a companion computer pushes QGroundControl's
  stream to. Each frame carries its wall-clock time stamp (see `render.draw_stamp`).
- Photos: ``GET /images/N.jpg`` answers the JPEG of shot N, the URL CAMERA_IMAGE_CAPTURED's
  ``file_url`` gives (cameras with an HTTP interface serve their pictures this way).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time

from simulator.camera.component import CameraComponent
from simulator.camera.h264 import H264Encoder
from simulator.camera.render import Gimbal, Pose, Renderer
from simulator.camera.rtp import CLOCK_HZ, RtpH264Packetizer

log = logging.getLogger(__name__)
_GET = re.compile(rb"^GET /images/(\d+)\.jpg HTTP/1\.[01]\r?$")


class CameraService:
    """Serve one camera component: stream when asked, answer photo downloads."""

    def __init__(self, camera: CameraComponent, video_host: str = "127.0.0.1") -> None:
        self.camera = camera
        self.video_host = video_host
        self.frames_sent = 0
        self._server: asyncio.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.http_port = 0

    async def start(self, http_host: str = "127.0.0.1", http_port: int = 0) -> None:
        self._server = await asyncio.start_server(self._http, http_host, http_port)
        self.http_port = self._server.sockets[0].getsockname()[1]
        self._task = asyncio.get_running_loop().create_task(
            self._stream_loop(), name=f"camera{self.camera.sysid}"
        )

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._server is not None:
            self._server.close()

    async def wait_closed(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # ------------------------------------------------------------------ HTTP
    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
            m = _GET.match(request.split(b"\n", 1)[0])
            shot = self.camera.shots.get(int(m.group(1))) if m else None
            if shot is None:
                body, head = b"not found\n", b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain"
            else:
                body, head = shot.jpeg, b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg"
            writer.write(
                head + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()

    # ------------------------------------------------------------------ video
    async def _stream_loop(self) -> None:
        loop = asyncio.get_running_loop()
        spec = self.camera.spec
        period = 1.0 / spec.fps
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=(self.video_host, spec.video_port)
        )
        try:
            while True:
                if not self.camera.streaming:
                    await asyncio.sleep(0.1)
                    continue
                renderer = Renderer(self.camera.scene, spec.width, spec.height, spec.hfov_deg)
                encoder = H264Encoder(spec.width, spec.height, spec.fps, spec.bitrate_kbps)
                rtp = RtpH264Packetizer(ssrc=random.getrandbits(32))
                next_t = loop.time()
                while self.camera.streaming:
                    pose, gimbal = self.camera.view()
                    stamp = int(time.time() * 1000)

                    nals = await asyncio.to_thread(_frame, renderer, encoder, pose, gimbal, stamp)
                    for packet in rtp.packetize(nals, stamp * (CLOCK_HZ // 1000)):
                        with contextlib.suppress(OSError):  # nobody listening: ICMP refused
                            transport.sendto(packet)
                    self.frames_sent += 1
                    next_t += period
                    delay = next_t - loop.time()
                    if delay < -period:  # fell behind: skip frames rather than pile up
                        next_t = loop.time()
                    await asyncio.sleep(max(0.0, delay))
        finally:
            transport.close()


def _frame(r: Renderer, enc: H264Encoder, pose: Pose, gimbal: Gimbal, stamp_ms: int) -> list[bytes]:
    return enc.encode(r.render(pose, gimbal, stamp_ms=stamp_ms))
