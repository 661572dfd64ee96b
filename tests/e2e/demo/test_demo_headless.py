"""`ecopatrol demo --headless --until-reports 2` as a user runs it: one subprocess, real time."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
SPEEDUP = "30"


def _demo(data_dir: Path, *extra: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ECOPATROL_PASSWORD_HASH_PROFILE="cheapest", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "groundstation", "demo", "--headless", "--data-dir", str(data_dir),
         *extra],
        capture_output=True, text=True, env=env, timeout=timeout_s * FACTOR, check=False,
    )  # fmt: skip


def _while_running(proc: subprocess.Popen[str]) -> list[str]:
    """Read stdout up to the intro's last line; meanwhile the station must answer as printed."""
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Demo folder:"):
        line = proc.stdout.readline()
        assert line, "".join(lines)  # the demo ended before printing its intro
        lines.append(line)
    text = "".join(lines)
    url = re.search(r"Open the live map: (http://127\.0\.0\.1:\d+)", text)
    officer = re.search(r"^  officer +password (\S+) ", text, re.M)
    assert url, text
    assert officer, text
    with httpx.Client(base_url=url.group(1), timeout=30 * FACTOR) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "/static/vendor/leaflet/leaflet.css" in page.text
        assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
        login = {"username": "officer", "password": officer.group(1)}
        me = client.post("/api/auth/login", json=login).json()["user"]
        assert me["role"] == "officer"
    return lines


def test_headless_demo_flies_scheduled_patrols_to_two_reports(tmp_path):
    """The demo exits 0 after two reported patrols, each with a stored track and a map picture."""
    folder = tmp_path / "demo"
    args = [sys.executable, "-m", "groundstation", "demo", "--headless", "--data-dir", str(folder),
            "--until-reports", "2", "--speedup", SPEEDUP, "--port", "0",
            "--timeout", str(300 * FACTOR)]  # fmt: skip
    env = dict(os.environ, ECOPATROL_PASSWORD_HASH_PROFILE="cheapest", COLUMNS="200")
    with (tmp_path / "stderr.log").open("w+") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        try:
            intro = _while_running(proc)
            rest, _ = proc.communicate(timeout=400 * FACTOR)
        finally:
            if proc.poll() is None:
                proc.kill()
        err.seek(0)
        stdout, stderr = "".join(intro) + rest, err.read()
    log = stdout + stderr
    assert proc.returncode == 0, log[-6000:]
    assert "ERROR" not in log, log[-6000:]
    assert "Traceback" not in log, log[-6000:]
    for user in ("pilot", "officer", "admin"):
        assert re.search(rf"^  {user} +password \S{{12}} ", stdout, re.M), stdout
    assert f"Database: {folder.resolve() / 'ecopatrol.db'}" in stdout

    with sqlite3.connect(folder / "ecopatrol.db") as db:
        rows = db.execute(
            "SELECT r.patrol_id, r.facts, p.state, pl.kind FROM reports r "
            "JOIN patrols p ON p.id = r.patrol_id JOIN plans pl ON pl.id = p.plan_id"
        ).fetchall()
        reported = [r for r in rows if r[2] == "reported"]
        assert len(reported) >= 2, rows
        assert {r[3] for r in reported} <= {"shore", "tour", "coverage"}
        for patrol_id, facts, _state, _kind in reported:
            summary = json.loads(facts)["summary"]
            assert summary["distance_m"] > 500, summary
            points = db.execute(
                "SELECT SUM(n_points) FROM track_chunks WHERE patrol_id = ?", (patrol_id,)
            ).fetchone()[0]
            assert (points or 0) > 20, (patrol_id, points)
            png = folder / "reports" / f"patrol-{patrol_id}.png"
            assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
            html = (folder / "reports" / f"patrol-{patrol_id}.html").read_text()
            assert "data:image/png;base64," in html
        runs = db.execute("SELECT status FROM schedule_runs").fetchall()
        assert ("skipped",) not in runs, runs
    assert "ERROR" not in (folder / "demo.log").read_text()


def test_demo_refuses_a_folder_that_is_not_a_demo_folder(tmp_path):
    """A --data-dir holding other files is refused with exit 2 and left untouched."""
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "ecopatrol.db").write_bytes(b"precious")
    run = _demo(folder, "--until-reports", "1", "--port", "0", timeout_s=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "not an ecopatrol demo" in run.stderr
    assert (folder / "ecopatrol.db").read_bytes() == b"precious"


def test_demo_on_a_taken_port_fails_cleanly(tmp_path):
    """A port already in use is exit 2 with a message naming it, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _demo(tmp_path / "demo", "--until-reports", "1", "--port", str(port), timeout_s=60)
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert f"port {port}" in out
    assert "--port" in out
    assert "Traceback" not in out


def _start(folder: Path, *extra: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "groundstation", "demo", "--headless", "--data-dir", str(folder),
            "--port", "0", *extra]  # fmt: skip
    env = dict(os.environ, ECOPATROL_PASSWORD_HASH_PROFILE="cheapest", COLUMNS="200")
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def test_ctrl_c_while_drones_fly_stops_cleanly_and_says_where_things_are(tmp_path):
    """SIGINT with patrols in the air: exit 0, no traceback, the database path printed."""
    folder = tmp_path / "demo"
    proc = _start(folder, "--speedup", "5")
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        while not any(line.endswith(": flying\n") for line in seen[-1:]):
            line = proc.stdout.readline()
            assert line, "".join(seen)[-4000:]
            seen.append(line)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60 * FACTOR)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(seen) + rest
    assert proc.returncode == 0, out[-4000:]
    assert "SIGINT: stopping the demo" in out
    assert "Traceback" not in out
    assert "ERROR" not in out
    assert f"Database: {folder.resolve() / 'ecopatrol.db'}" in out
    with sqlite3.connect(folder / "ecopatrol.db") as db:
        assert db.execute("SELECT COUNT(*) FROM patrols").fetchone()[0] >= 1


def test_until_reports_that_never_come_fails_with_a_timeout(tmp_path):
    """--until-reports with a too short --timeout exits 1 saying how many reports it got."""
    proc = _start(tmp_path / "demo", "--until-reports", "1", "--timeout", "1")
    try:
        out, _ = proc.communicate(timeout=120 * FACTOR)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out[-4000:]
    assert re.search(r"demo failed: timed out after 1 s with 0 of 1 reports written", out), out
    assert "Traceback" not in out
