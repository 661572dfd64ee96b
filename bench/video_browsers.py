"""Live video to headless Chromium: frames delivered and glass-to-glass latency read in the page.

    .venv/bin/python bench/video_browsers.py [--drones 3] [--viewers 10] [--size 1280x720]
                                             [--fps 15] [--seconds 30]

A station with `--drones` simulated drones whose cameras stream `--size` at `--fps` (simulator
and station in this process, as in the browser tests), and `--viewers` Chromium pages, each
playing every drone's video. In each page, for every frame presented (requestVideoFrameCallback)
the time stamp the camera drew into it is read back from the picture and compared with the
page's clock: that is glass to glass (render, encode, RTP, station relay, websocket, MSE decode,
paint). Printed: frames presented per pane against frames the cameras sent, latency p50/p99,
and this process's CPU (cameras' render and encode, plus the station), so the station's share
is that minus bench/video.py's encoder cost per stream.

Do not quote figures measured while other work runs on the machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator.camera.fleet_cameras import CameraConfig
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.pages import log_in
from tests.browser.station import LiveStation

#: Installed in each page: counts presented frames per pane and reads each one's time stamp.
PROBE = """() => {
  window.__bench = {};
  const watch = (v) => {
    const sysid = v.closest("[data-testid=video-pane]").dataset.sysid;
    const rec = window.__bench[sysid] = {frames: 0, lags: []};
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
      rec.lags.push(((Date.now() % 4294967296) - stamp + 4294967296) % 4294967296);
      v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  };
  for (const v of document.querySelectorAll("[data-testid=video]")) watch(v);
}"""


def open_viewer(browser: Any, station: LiveStation, drones: int) -> Any:
    page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
    page.goto(station.url)
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


def run(drones: int, viewers: int, size: tuple[int, int], fps: int, seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    camera = CameraConfig(video_base_port=0, width=size[0], height=size[1], fps=fps)
    folder = Path(tempfile.mkdtemp(prefix="ecopatrol-bench-video-"))
    station = LiveStation(folder, drones=drones, speedup=1.0, camera=camera).start()
    try:
        station.add_user("officer1", "officer")
        headers = {"Authorization": f"Bearer {station.token('officer1')}"}
        with station.api() as api:  # the cameras are found a moment after their drones
            deadline = time.monotonic() + 60
            while len(api.get("/api/video/cameras", headers=headers).json()["data"]) < drones:
                if time.monotonic() > deadline:
                    raise RuntimeError("the drones' cameras were not found")
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = [open_viewer(browser, station, drones) for _ in range(viewers)]
            assert station.sim is not None
            assert station.sim.cameras is not None
            services = station.sim.cameras.services
            sent0 = {s: svc.frames_sent for s, svc in services.items()}
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            for page in pages:
                page.evaluate(PROBE)
            time.sleep(seconds)
            results = [page.evaluate("() => window.__bench") for page in pages]
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            sent = {s: svc.frames_sent - sent0[s] for s, svc in services.items()}
            assert station.app is not None
            video = station.app.state.services.video
            relay = [sub for src in video.sources.values() for sub in src.stats().subscribers]
            browser.close()
    finally:
        station.stop()
    lags = sorted(lag for r in results for pane in r.values() for lag in pane["lags"][fps:])
    shares = [
        pane["frames"] / max(sent[int(sysid)], 1) for r in results for sysid, pane in r.items()
    ]
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    resets = sum(int(r["resets"]) for r in relay)
    skipped = sum(int(r["skipped"]) for r in relay)
    delivered = sum(int(r["delivered"]) for r in relay)
    print(f"{drones} drones x {viewers} viewers, {size[0]}x{size[1]}@{fps}, {seconds:g} s")
    print(f"frames presented / sent per pane: min {min(shares):.1%}, "
          f"median {statistics.median(shares):.1%} ({len(shares)} panes)")  # fmt: skip
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    print(f"glass to glass (camera stamp -> page): p50 {statistics.median(lags):.0f} ms, "
          f"p99 {p99:.0f} ms over {len(lags)} frames")  # fmt: skip
    print(f"station relay, whole run: {delivered} frames to viewers, {skipped} skipped, "
          f"{resets} stalled-viewer resets")  # fmt: skip
    print(f"this process (cameras + station): {cpu / seconds:.0%} of a core")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drones", type=int, default=3)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    run(args.drones, args.viewers, (w, h), args.fps, args.seconds)


if __name__ == "__main__":
    main()
