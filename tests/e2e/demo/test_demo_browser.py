"""The demo as a person meets it: the printed URL and officer login, drones moving on the map."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from groundstation.api.web import vendor_installed
from tests.browser.pages import WAIT_MS, log_in, open_page, vehicle_positions, wait_all_moved

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"


#: JavaScript: the standard deviation of the video picture's brightness (0: a flat colour).
PICTURE_STD = """v => {
    const c = document.createElement("canvas");
    c.width = v.videoWidth; c.height = v.videoHeight - 20;  // above the time stamp squares
    const g = c.getContext("2d");
    g.drawImage(v, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0;
    for (let i = 0; i < px.length; i += 4) {
        const l = (px[i] + px[i + 1] + px[i + 2]) / 3; s += l; s2 += l * l;
    }
    const n = px.length / 4;
    return Math.sqrt(s2 / n - (s / n) ** 2);
}"""


def _intro(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Demo folder:"):
        line = proc.stdout.readline()
        assert line, "".join(lines)[-4000:]
        lines.append(line)
    return "".join(lines)


def test_the_officer_logs_in_with_the_printed_password_and_watches_drones_fly(tmp_path):
    """Officer login from the console's intro; all three drones leave the station on the map,
    and a drone's live video plays without the officer doing anything."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: run `make setup` (scripts/install-system-deps.sh)")
    if not vendor_installed():
        pytest.fail("Leaflet is not installed: run `make setup` (npm ci in groundstation/web)")
    from playwright.sync_api import sync_playwright

    args = [sys.executable, "-m", "groundstation", "demo", "--headless", "--port", "0",
            "--speedup", "10", "--data-dir", str(tmp_path / "demo")]  # fmt: skip
    env = dict(os.environ, ECOPATROL_PASSWORD_HASH_PROFILE="cheapest")
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        intro = _intro(proc)
        url = re.search(r"Open the live map: (\S+)", intro)
        officer = re.search(r"^  officer +password (\S+) ", intro, re.M)
        assert url, intro
        assert officer, intro
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context, page, errors = open_page(browser, url.group(1))
                log_in(page, "officer", officer.group(1))
                page.wait_for_function(
                    "document.querySelectorAll('[data-testid=vehicle-marker]').length === 3",
                    timeout=WAIT_MS,
                )
                wait_all_moved(page, vehicle_positions(page))
                page.wait_for_function(
                    "() => { const v = document.querySelector('[data-testid=video]');"
                    " return v && v.videoWidth === 640 && v.currentTime > 0.5; }",
                    timeout=WAIT_MS,
                )
                std = page.eval_on_selector("[data-testid=video]", PICTURE_STD)
                assert std > 5, "the video shows a flat colour"
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "demo_live_map.png"))
                assert errors == []
                context.close()
            finally:
                browser.close()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60 * FACTOR)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest[-4000:]
    assert "Traceback" not in rest
