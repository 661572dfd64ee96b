"""Video path cost and latency: the simulated camera's encoder, and camera -> station on loopback.

    .venv/bin/python bench/video.py [--frames 150] [--seconds 10] [--viewers 10]
        [--width 640 --height 360 --bitrate-kbps 800] [--segment-s 10] [--keep DIR] [--no-encoder]

1. Encoder CPU per stream: render + H.264 encode (PyAV libx264, ultrafast, zerolatency) of
   `--frames` frames at 640x360 and 1280x720 (the view turning and moving), process CPU time per
   frame (x264's threads included), and the share of one core that costs at 15 fps.
2. Camera to station, glass to glass on loopback: a simulated vehicle streams RTP/H.264 to the
   station's VideoSource for `--seconds`; the station decodes every frame and reads the time
   stamp the camera drew into it (`render.draw_stamp`): latency = station clock - stamp. Also
   `--viewers` fMP4 relays (what each browser websocket costs the station, without sockets):
   the station's CPU time per second for receiving, muxing and decoding is printed, and the
   stream is recorded to `--segment-s` segments: size per hour, hashes checked. The hour is
   extrapolated from the time actually recorded (said so when that is under an hour); for the
   issue's figure run ``--seconds 3600 --no-encoder --keep DIR`` (the segments stay in DIR). The
   size follows the camera's encoder bitrate (`--bitrate-kbps`, the simulator's x264 setting).

Do not quote figures measured while other work runs on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import socket
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from groundstation.video.decode import H264Decoder
from groundstation.video.fmp4 import Fmp4Muxer
from groundstation.video.recorder import Segment, SegmentRecorder, sha256_of
from groundstation.video.source import VideoSource
from simulator.camera.fleet_cameras import CameraConfig
from simulator.camera.h264 import H264Encoder
from simulator.camera.render import Gimbal, Pose, Renderer, read_stamp
from simulator.camera.scene import Scene
from simulator.fleet import SimConfig, SimFleet

HOME = (29.05253, 119.181841, 40.0)


def encoder_cost(width: int, height: int, frames: int, fps: int = 15) -> None:
    scene = Scene.synthetic(HOME)
    renderer = Renderer(scene, width, height)
    encoder = H264Encoder(width, height, fps)
    render_s = encode_s = 0.0
    size = 0
    for i in range(frames):
        pose = Pose(HOME[0] + i * 2e-6, HOME[1], 30.0, (i * 2) % 360)
        t0 = time.process_time()  # all threads: x264 encodes on its own threads
        rgb = renderer.render(pose, Gimbal(-45.0, 0.0), stamp_ms=i)
        t1 = time.process_time()
        size += sum(len(n) for n in encoder.encode(rgb))
        t2 = time.process_time()
        render_s += t1 - t0
        encode_s += t2 - t1
    r_ms, e_ms = render_s / frames * 1000, encode_s / frames * 1000
    share = (r_ms + e_ms) * fps / 1000
    kbps = size * 8 / (frames / fps) / 1000
    print(f"{width}x{height}@{fps}: render {r_ms:.1f} ms + encode {e_ms:.1f} ms a frame "
          f"= {share:.0%} of a core per stream; {kbps:.0f} kbit/s")  # fmt: skip


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def loopback(
    seconds: float, viewers: int, camera_config: CameraConfig, segment_s: float, keep: Path | None
) -> None:
    port = free_udp_port()
    source = VideoSource(port, "127.0.0.1")
    await source.start()
    camera_config = replace(camera_config, ports=(port,))
    config = SimConfig(drones=1, speedup=1, home=HOME, camera=camera_config)
    latencies: list[float] = []
    decoder = H264Decoder()
    station_cpu = 0.0
    async with SimFleet(config) as sim:
        camera = sim.vehicles[1].camera
        assert camera is not None
        assert sim.cameras is not None
        camera.streaming = True
        muxers = [Fmp4Muxer() for _ in range(viewers)]
        relayed = 0
        folder = keep or Path(tempfile.mkdtemp(prefix="ecopatrol-bench-video-"))
        segments: list[Segment] = []
        recorder = SegmentRecorder(1, folder, segment_s, segments.append)
        recorded_from: float | None = None
        async with source.subscribe("bench") as sub:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                camera.gimbal = Gimbal(-30.0, (time.monotonic() * 20) % 360 - 180)  # a moving view
                try:
                    async with asyncio.timeout(2.0):
                        unit = await sub.queue.get()
                except TimeoutError:
                    break
                t0 = time.thread_time()
                for mux in muxers:
                    relayed += sum(len(b) for b in mux.feed(unit))
                recorder.feed(unit)
                if recorded_from is None and unit.keyframe:
                    recorded_from = time.monotonic()  # the recorder starts at a key frame
                pictures = decoder.decode(unit)
                station_cpu += time.thread_time() - t0
                now_ms = int(time.time() * 1000) & 0xFFFFFFFF
                for pic in pictures:
                    latencies.append((now_ms - read_stamp(pic)) & 0xFFFFFFFF)
        sent = sim.cameras.services[1].frames_sent
        camera.streaming = False
        recorded_s = time.monotonic() - recorded_from if recorded_from is not None else 0.0
        recorder.close()
    source.close()
    lat = sorted(latencies)
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"loopback {seconds:g} s: {len(lat)} frames decoded of {sent} sent "
          f"({len(lat) / max(sent, 1):.1%}), {source.rtp.lost} RTP packets lost")  # fmt: skip
    print(f"camera stamp -> station decoded: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {lat[-1]} ms")
    size = sum(s.size_bytes for s in segments)
    ok = all(sha256_of(s.path) == s.sha256 for s in segments)
    on_disk = sum(s.path.stat().st_size for s in segments)
    if keep is None:
        shutil.rmtree(folder)
    else:
        manifest = "".join(f"{s.sha256}  {s.path.relative_to(folder)}\n" for s in segments)
        (folder / "SHA256SUMS").write_text(manifest)  # sha256sum -c SHA256SUMS
    how = "measured" if recorded_s >= 3600 else f"extrapolated from {recorded_s:.0f} s"
    per_hour = size / max(recorded_s, 1e-9) * 3600
    print(f"recording {camera_config.width}x{camera_config.height}@{camera_config.fps} "
          f"{camera_config.bitrate_kbps} kbit/s: {len(segments)} segments of {segment_s:g} s, "
          f"{size / 1e6:.1f} MB ({on_disk / 1e6:.1f} MB on disk) in {recorded_s:.0f} s recorded; "
          f"{per_hour / 1e9:.3f} GB an hour ({how}); hashes verify: {ok}")  # fmt: skip
    if keep is not None:
        print(f"segments kept in {folder} with SHA256SUMS")
    print(f"station: decode + {viewers} fMP4 relays {station_cpu / seconds:.1%} of a core; "
          f"relayed {relayed / seconds / 1e6 * 8:.1f} Mbit/s in all")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--width", type=int, default=640, help="the camera's stream")
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--bitrate-kbps", type=int, default=800)
    ap.add_argument("--segment-s", type=float, default=10.0, help="recording segment length")
    ap.add_argument("--keep", type=Path, help="record into this folder and keep it")
    ap.add_argument("--no-encoder", action="store_true", help="skip the encoder cost (part 1)")
    args = ap.parse_args()
    np.random.seed(0)
    if not args.no_encoder:
        for w, h in ((640, 360), (1280, 720)):
            encoder_cost(w, h, args.frames)
    camera = CameraConfig(width=args.width, height=args.height, bitrate_kbps=args.bitrate_kbps)
    before = resource.getrusage(resource.RUSAGE_SELF)
    asyncio.run(loopback(args.seconds, args.viewers, camera, args.segment_s, args.keep))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f"whole process (camera + station) during loopback: {cpu / args.seconds:.0%} of a core")


if __name__ == "__main__":
    main()
