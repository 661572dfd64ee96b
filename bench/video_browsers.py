"""Live video to headless Chromium, WebRTC (WHEP) or MSE: frames presented, glass-to-glass
latency read in the page, and the station's CPU per viewer.

    .venv/bin/python -m bench.video_browsers [--transport webrtc|mse] [--drones 3]
        [--viewers 10] [--size 1280x720] [--fps 15] [--seconds 30] [--replay] [--bitrate 800]

A station with `--drones` simulated drones and `--viewers` Chromium pages, each playing every
drone's video over `--transport` (the page's ``?video=`` choice: no fallback). In each page, for
every frame presented (requestVideoFrameCallback) the time stamp drawn into the picture is read
back and compared with the page's clock: glass to glass. Printed: frames presented per pane
against frames sent, Chromium's own dropped-frame count (getVideoPlaybackQuality), latency
p50/p99, what the station's relay did (frames delivered, stalled-viewer resets), and this
process's CPU: first for `--baseline-s` with the streams arriving and nobody watching, then
while the pages watch; the difference over drones x viewers is the CPU per viewer.

Two sources of frames:
- default: the simulated cameras render and encode live in this process (their CPU is in the
  figures: subtract bench/video.py's encoder cost per stream; at 1280x720 it is about half a
  core a stream, so 3 drones do not fit on 2 cores with the station and the browsers);
- ``--replay``: a loop of frames rendered and encoded once, stamped with their index, pushed by
  a separate process (simulator/camera/replay.py) to the station's configured streams; the drones
  still fly (so the page has vehicles to select) but carry no camera. This process's CPU is
  then the station's (plus the light flight simulation); latency starts when a frame leaves
  the camera, not when it was captured (the camera's render and encode time is left out).

Do not quote figures measured while other work runs on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from groundstation.video.settings import VideoSettings
from simulator.camera.fleet_cameras import CameraConfig, free_udp_ports
from simulator.camera.replay import ReplayProcess
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.pages import log_in
from tests.browser.station import LiveStation

#: Installed in each page: per pane, every presented frame's page time and picture stamp.
PROBE = """() => {
  window.__bench = {};
  const watch = (v) => {
    const sysid = v.closest("[data-testid=video-pane]").dataset.sysid;
    const rec = window.__bench[sysid] = {frames: 0, samples: [], q0: v.getVideoPlaybackQuality()};
    const c = document.createElement("canvas");
    const g = c.getContext("2d", {willReadFrequently: true});
    const tick = () => {
      const cell = Math.max(4, Math.floor(v.videoWidth / 80));
      c.width = cell * 32; c.height = cell;
      g.drawImage(v, 0, v.videoHeight - cell, cell * 32, cell, 0, 0, cell * 32, cell);
      const px = g.getImageData(0, 0, cell * 32, cell).data;
      let stamp = 0;
      for (let k = 0; k < 32; k++) {
        const j = (Math.floor(cell / 2) * cell * 32 + k * cell + Math.floor(cell / 2)) * 4;
        stamp = stamp * 2 + ((px[j] + px[j + 1] + px[j + 2]) / 3 >= 128 ? 1 : 0);
      }
      rec.frames += 1;
      rec.samples.push([Date.now(), stamp]);
      v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  };
  for (const v of document.querySelectorAll("[data-testid=video]")) watch(v);
}"""
#: Read at the end: the probe's records and Chromium's played/dropped frame counts.
RESULTS = """() => {
  const out = {};
  for (const v of document.querySelectorAll("[data-testid=video]")) {
    const pane = v.closest("[data-testid=video-pane]");
    const rec = window.__bench[pane.dataset.sysid];
    const q = v.getVideoPlaybackQuality();
    out[pane.dataset.sysid] = {frames: rec.frames, samples: rec.samples,
      transport: pane.dataset.transport, fallback: pane.dataset.fallback ?? null,
      total: q.totalVideoFrames - rec.q0.totalVideoFrames,
      dropped: q.droppedVideoFrames - rec.q0.droppedVideoFrames};
  }
  return out;
}"""


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def open_viewer(browser: Any, station: LiveStation, drones: int, transport: str) -> Any:
    page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
    page.goto(f"{station.url}/?video={transport}")
    log_in(page, "officer1")
    for sysid in range(1, drones + 1):
        page.click(f"[data-testid=vehicle-item][data-sysid='{sysid}']")
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=video-pane]').length === {drones}",
        timeout=60_000,
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=video]')]"
        ".every(v => v.videoWidth > 0 && v.currentTime > 0)",
        timeout=60_000,
    )
    return page


@contextlib.contextmanager
def frame_source(
    replay: bool, drones: int, size: tuple[int, int], fps: int, bitrate_kbps: int
) -> Iterator[tuple[LiveStation, Callable[[], int], Callable[[float, int], float]]]:
    """The station (started), frames sent so far per stream, and stamp -> latency (s)."""
    folder = Path(tempfile.mkdtemp(prefix="ecopatrol-bench-video-"))
    if not replay:
        camera = CameraConfig(
            video_base_port=0, width=size[0], height=size[1], fps=fps, bitrate_kbps=bitrate_kbps
        )
        station = LiveStation(folder, drones=drones, speedup=1.0, camera=camera).start()
        try:
            assert station.sim is not None
            assert station.sim.cameras is not None
            services = station.sim.cameras.services

            def sent() -> int:
                return min(s.frames_sent for s in services.values())

            def live_latency(page_s: float, stamp: int) -> float:
                return ((int(page_s * 1000) - stamp) % 2**32) / 1000

            yield station, sent, live_latency
        finally:
            station.stop()
        return
    ports = list(free_udp_ports("127.0.0.1", drones))
    streams = {i + 1: f"udp://127.0.0.1:{port}" for i, port in enumerate(ports)}
    with ReplayProcess(ports, size, fps, bitrate_kbps=bitrate_kbps) as source:
        video = VideoSettings(streams=streams, listen_host="127.0.0.1")
        station = LiveStation(folder, drones=drones, speedup=1.0, video=video).start()
        try:
            yield station, lambda: source.sent, source.latency_s
        finally:
            station.stop()


def run(
    transport: str,
    drones: int,
    viewers: int,
    size: tuple[int, int],
    fps: int,
    seconds: float,
    replay: bool,
    baseline_s: float,
    bitrate_kbps: int = 800,
) -> None:
    from playwright.sync_api import sync_playwright

    with frame_source(replay, drones, size, fps, bitrate_kbps) as (station, sent, latency_s):
        station.add_user("officer1", "officer")
        headers = {"Authorization": f"Bearer {station.token('officer1')}"}
        with station.api() as api:  # the cameras are found a moment after their drones
            deadline = time.monotonic() + 60
            while len(api.get("/api/video/cameras", headers=headers).json()["data"]) < drones:
                if time.monotonic() > deadline:
                    raise RuntimeError("the drones' cameras were not found")
                time.sleep(0.2)
        c0 = cpu_s()
        time.sleep(baseline_s)  # streams arriving (replay) or idle (live cameras wait)
        baseline = (cpu_s() - c0) / baseline_s
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = [open_viewer(browser, station, drones, transport) for _ in range(viewers)]
            for page in pages:
                page.evaluate(PROBE)
            sent0, c1 = sent(), cpu_s()
            time.sleep(seconds)
            results = [page.evaluate(RESULTS) for page in pages]
            watching = (cpu_s() - c1) / seconds
            frames_sent = sent() - sent0
            relay = station.call(relay_stats)
            browser.close()
    panes = [pane for r in results for pane in r.values()]
    lags = sorted(
        latency_s(t_ms / 1000, stamp) * 1000 for p in panes for t_ms, stamp in p["samples"][fps:]
    )
    shares = sorted(p["frames"] / max(frames_sent, 1) for p in panes)
    wrong = [p["fallback"] for p in panes if p["transport"] != transport]
    source = "pre-encoded replay" if replay else "live simulated cameras"
    print(f"{transport}: {drones} drones x {viewers} viewers, {size[0]}x{size[1]}@{fps}, "
          f"{seconds:g} s, {source}")  # fmt: skip
    if wrong:
        print(f"!! {len(wrong)} panes not on {transport}: {wrong[:3]}")
    print(f"frames presented / sent per pane: min {shares[0]:.1%}, median "
          f"{statistics.median(shares):.1%} ({len(shares)} panes, {frames_sent} sent each); "
          f"Chromium dropped {sum(p['dropped'] for p in panes)} of "
          f"{sum(p['total'] for p in panes)}")  # fmt: skip
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    start = "sent" if replay else "camera stamp"
    print(f"glass to glass ({start} -> page): p50 {statistics.median(lags):.0f} ms, "
          f"p99 {p99:.0f} ms over {len(lags)} frames")  # fmt: skip
    print(f"station relay, whole run: {relay}")
    per_viewer = (watching - baseline) / max(drones * viewers, 1)
    what = "station" if replay else "cameras + station"
    print(f"this process ({what}): {baseline:.0%} of a core with no viewer, {watching:.0%} "
          f"watched = {per_viewer:.1%} a core per viewer of a stream")  # fmt: skip


async def relay_stats(app: Any) -> str:
    video = app.state.services.video
    delivered = skipped = resets = 0
    for source in video.sources.values():
        for sub in source.stats().subscribers:
            if sub["name"] == "webrtc":
                continue
            delivered += int(sub["delivered"])
            skipped += int(sub["skipped"])
            resets += int(sub["resets"])
    made = webrtc_sent = webrtc_resets = 0
    if video.webrtc is not None:
        for feed in video.webrtc.feeds.values():
            made += feed.packets_made
            webrtc_sent += sum(t.delivered for t in feed.tracks)
            webrtc_resets += sum(t.resets for t in feed.tracks)
    return (f"MSE {delivered} frames to viewers, {skipped} skipped, {resets} stalled resets; "
            f"WebRTC {made} packets made, {webrtc_sent} handed to viewers, "
            f"{webrtc_resets} stalled resets")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transport", choices=("webrtc", "mse"), default="webrtc")
    ap.add_argument("--drones", type=int, default=3)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--replay", action="store_true", help="pre-encoded frames, no renderer")
    ap.add_argument("--baseline-s", type=float, default=5.0)
    ap.add_argument("--bitrate", type=int, default=800, help="kbit/s (the camera's default)")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    run(args.transport, args.drones, args.viewers, (w, h), args.fps, args.seconds, args.replay,
        args.baseline_s, args.bitrate)  # fmt: skip


if __name__ == "__main__":
    main()
