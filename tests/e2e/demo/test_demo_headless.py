"""`ecopatrol demo --headless --until-reports 2` as a user runs it: one subprocess, real time."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

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


def test_headless_demo_flies_scheduled_patrols_to_two_reports(tmp_path):
    """The demo exits 0 after two reported patrols, each with a stored track and a map picture."""
    folder = tmp_path / "demo"
    run = _demo(
        folder, "--until-reports", "2", "--speedup", SPEEDUP, "--port", "0",
        "--timeout", str(300 * FACTOR), timeout_s=400,
    )  # fmt: skip
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-6000:]
    assert "ERROR" not in log, log[-6000:]
    assert "Traceback" not in log, log[-6000:]
    assert "Open the live map: http://127.0.0.1:" in run.stdout
    for user in ("pilot", "officer", "admin"):
        assert re.search(rf"^  {user} +password \S{{12}} ", run.stdout, re.M), run.stdout
    assert f"Database: {folder.resolve() / 'ecopatrol.db'}" in run.stdout

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
