"""`ecopatrol demo --stations 2` as a user runs it: a broker, a centre on its own PostgreSQL,
two station demos, one command."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from groundstation.demo.local_postgres import PostgresMissing, pg_bindir
from groundstation.federation.local_broker import mosquitto_binary

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))


def _servers_installed() -> bool:
    try:
        pg_bindir()
    except PostgresMissing:
        return False
    return mosquitto_binary() is not None


@pytest.mark.skipif(
    not _servers_installed() and os.environ.get("CI") != "true",
    reason="mosquitto or PostgreSQL not installed (scripts/install-system-deps.sh)",
)
def test_two_stations_and_a_centre_in_one_command(tmp_path: Path) -> None:
    """The demo exits 0 once each station has a report and the centre has heard both; each
    station's lines come prefixed with its id, and the centre's user is printed."""
    folder = tmp_path / "demo"
    env = dict(os.environ, ECOPATROL_PASSWORD_HASH_PROFILE="cheapest", COLUMNS="200")
    done = subprocess.run(
        [sys.executable, "-m", "groundstation", "demo", "--stations", "2", "--port", "0",
         "--data-dir", str(folder), "--drones", "1", "--speedup", "30",
         "--until-reports", "1", "--timeout", "300"],
        capture_output=True, text=True, env=env, timeout=420 * FACTOR, check=False,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert re.search(r"^centre: http://127\.0\.0\.1:\d+  user chief, password \S+", out, re.M)
    assert "centre: hears river-a, river-b" in out
    assert "every station reported; the centre heard them all: done" in out
    for station in ("river-a", "river-b"):
        assert re.search(rf"^\[{station}\]   officer +password \S+", out, re.M), out[-4000:]
        db = folder / station / "ecopatrol.db"
        with sqlite3.connect(db) as conn:
            reported = conn.execute("SELECT count(*) FROM patrols WHERE state = 'reported'")
            assert reported.fetchone()[0] >= 1
