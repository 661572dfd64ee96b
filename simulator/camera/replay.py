"""A camera that replays pre-encoded frames: the station and browsers measured without the
simulated renderer (bench/video_browsers.py --replay).

The simulated camera renders every frame (about half a core a stream at 1280x720 on this
machine), so three live 720p cameras and the station do not fit on 2 cores together. Here a loop
of `seconds` of frames is rendered and encoded once (the view turning and moving, as in flight),
each frame stamped in its pixels with its *index* in the loop (`render.draw_stamp`); a separate
process then pushes it as RTP/H.264 to each stream's port at `fps`, for as long as wanted.

Frame k of the replay (loop index ``k % n``) leaves at ``t0 + k / fps`` (wall clock), so a
picture shown at time ``t`` with index ``i`` was sent ``(t - t0 - i / fps) mod (n / fps)``
seconds earlier (:func:`latency_s`): valid while the true latency stays under the loop's length.
What this leaves out, and must be said with any figure: the camera's render and encode time
(glass to glass here starts when the frame leaves the camera, not when it was captured), and
their CPU (the station's machine is not the camera's); the loop joins cleanly (n is a whole
number of key-frame intervals, frame 0 is a key frame), the picture repeats every `seconds`.

    .venv/bin/python -m simulator.camera.replay --ports 5600,5601 [--size 1280x720] [--fps 15]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import multiprocessing.synchronize
import random
import socket
import time
from dataclasses import dataclass
from typing import Protocol

from simulator.camera.h264 import H264Encoder
from simulator.camera.render import Gimbal, Pose, Renderer, draw_stamp
from simulator.camera.rtp import CLOCK_HZ, RtpH264Packetizer
from simulator.camera.scene import Scene, SceneObject
from simulator.geo import offset_deg

HOME = (29.05253, 119.181841, 40.0)


class Stop(Protocol):
    """A threading or multiprocessing Event: the replay ends once it is set."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Loop:
    """Encoded frames (NAL units each) of one loop, frame i stamped with i."""

    fps: int
    frames: list[list[bytes]]

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps


def encode_loop(width: int, height: int, fps: int, seconds: float, bitrate_kbps: int = 800) -> Loop:
    """Render and encode ``seconds`` (rounded to whole key-frame intervals) of a flight."""
    n = max(1, round(seconds)) * fps  # the camera's key frame interval is one second
    scene = Scene.synthetic(HOME)
    for north_m, kind in ((30.0, "dredger"), (-20.0, "boat"), (50.0, "net_boat")):
        scene.add(SceneObject(kind, *offset_deg(HOME[0], HOME[1], north_m, 5.0), heading_deg=60))
    renderer = Renderer(scene, width, height)
    encoder = H264Encoder(width, height, fps, bitrate_kbps)
    frames = []
    for i in range(n):
        lat, lon = offset_deg(HOME[0], HOME[1], -40.0 + 80.0 * i / n, 0.0)
        pose = Pose(lat, lon, 30.0, (i * 360 / n) % 360)
        picture = renderer.render(pose, Gimbal(-35.0, 0.0))
        draw_stamp(picture, i)
        frames.append(encoder.encode(picture))
    return Loop(fps, frames)


def latency_s(page_s: float, index: int, t0: float, fps: int, n: int) -> float:
    """How long before `page_s` the latest send of loop frame `index` left (see above).

    >>> round(latency_s(100.35, 3, 100.0, 15, 150), 3)   # frame 3 left at 100.2
    0.15
    >>> round(latency_s(110.25, 3, 100.0, 15, 150), 3)   # its next send, 10 s later
    0.05
    """
    return (page_s - t0 - index / fps) % (n / fps)


def replay(
    loop: Loop,
    ports: list[int],
    host: str,
    t0: float,
    sent: multiprocessing.sharedctypes.Synchronized[int] | None = None,
    stop: Stop | None = None,
) -> None:
    """Push the loop to every port from wall-clock time `t0` on, until `stop` is set."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtps = [RtpH264Packetizer(ssrc=random.getrandbits(32)) for _ in ports]
    k = 0
    try:
        while stop is None or not stop.is_set():
            due = t0 + k / loop.fps
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            elif wait < -1.0:  # this process fell far behind: skip ahead, as a camera does
                k = int((time.time() - t0) * loop.fps)
                continue
            nals = loop.frames[k % len(loop.frames)]
            for rtp, port in zip(rtps, ports, strict=True):
                for packet in rtp.packetize(nals, k * (CLOCK_HZ // loop.fps)):
                    with contextlib.suppress(OSError):  # nobody listening yet
                        sock.sendto(packet, (host, port))
            k += 1
            if sent is not None:
                sent.value = k
    finally:
        sock.close()


def _child(
    size: tuple[int, int],
    fps: int,
    seconds: float,
    bitrate_kbps: int,
    ports: list[int],
    host: str,
    ready: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
    t0_out: multiprocessing.sharedctypes.Synchronized[float],
    n_out: multiprocessing.sharedctypes.Synchronized[int],
    sent: multiprocessing.sharedctypes.Synchronized[int],
) -> None:
    loop = encode_loop(size[0], size[1], fps, seconds, bitrate_kbps)
    t0 = time.time() + 0.2
    t0_out.value = t0
    n_out.value = len(loop.frames)
    ready.set()
    replay(loop, ports, host, t0, sent, stop)


class ReplayProcess:
    """The replay in its own process (its CPU is not the station's); a context manager."""

    def __init__(
        self,
        ports: list[int],
        size: tuple[int, int],
        fps: int,
        seconds: float = 10.0,
        host: str = "127.0.0.1",
        bitrate_kbps: int = 800,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.fps = fps
        self._ready, self._stop = ctx.Event(), ctx.Event()
        self._t0, self._n, self._sent = ctx.Value("d", 0.0), ctx.Value("q", 0), ctx.Value("q", 0)
        shared = (self._t0, self._n, self._sent)
        self._proc = ctx.Process(
            target=_child,
            args=(size, fps, seconds, bitrate_kbps, ports, host, self._ready, self._stop, *shared),
            name="video-replay",
            daemon=True,
        )

    def __enter__(self) -> ReplayProcess:
        self._proc.start()
        if not self._ready.wait(600):
            raise RuntimeError("the replay loop was not encoded in time")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()

    @property
    def t0(self) -> float:
        return float(self._t0.value)

    @property
    def n(self) -> int:
        return int(self._n.value)

    @property
    def sent(self) -> int:
        """Frames sent so far, per stream."""
        return int(self._sent.value)

    def latency_s(self, page_s: float, index: int) -> float:
        return latency_s(page_s, index, self.t0, self.fps, self.n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ports", required=True, help="comma-separated UDP ports, one per stream")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--loop-seconds", type=float, default=10.0)
    ap.add_argument("--bitrate", type=int, default=800, help="kbit/s (the camera's default)")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    started = time.process_time()
    loop = encode_loop(w, h, args.fps, args.loop_seconds, args.bitrate)
    size = sum(len(nal) for frame in loop.frames for nal in frame)
    print(f"{len(loop.frames)} frames encoded in {time.process_time() - started:.1f} s CPU, "
          f"{size * 8 / loop.seconds / 1000:.0f} kbit/s; replaying (Ctrl-C ends)")  # fmt: skip
    ports = [int(p) for p in args.ports.split(",")]
    with contextlib.suppress(KeyboardInterrupt):
        replay(loop, ports, args.host, time.time())


if __name__ == "__main__":
    main()
