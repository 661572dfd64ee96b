"""``ecopatrol mission`` against fake vehicles in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from groundstation.cli.main import app
from routes.formats import qgc_plan, waypoints
from routes.mission import Mission, MissionItem


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def vehicle_port():
    port = _free_port()
    code = (
        "import asyncio; from groundstation.link.testing import run_fake_vehicles; "
        f"asyncio.run(run_fake_vehicles({port}, [2, 3], 60))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    yield port
    proc.kill()
    proc.wait()


def _items(n: int) -> list[MissionItem]:
    return [MissionItem(0, 0, 16, current=1, x=290500000, y=1191700000, z=60.0)] + [
        MissionItem(i, 6, 16, x=290500000 + 100 * i, y=1191700000, z=40.0) for i in range(1, n)
    ]


def test_upload_download_clear_waypoints_and_plan(tmp_path, vehicle_port):
    """Upload a .plan to vehicle 3, read it back as .plan and .waypoints, then clear it."""
    url = f"udpin:127.0.0.1:{vehicle_port}"
    fence = tuple(
        MissionItem(i, 5, 5001, param1=3, x=290500000 + i * 1000, y=1191700000 + (i % 2) * 1000,
                    mission_type=1)
        for i in range(3)
    )  # fmt: skip
    plan = Mission(tuple(_items(6)), fence=fence)
    src = tmp_path / "patrol.plan"
    src.write_text(qgc_plan.dumps(plan))
    runner = CliRunner()
    up = runner.invoke(app, ["mission", "upload", str(src), "--connect", url, "--sysid", "3"])
    assert up.exit_code == 0, up.output
    assert "vehicle 3: uploaded 6 mission, 3 fence, 0 rally (verified)" in up.output
    out = tmp_path / "back.plan"
    down = runner.invoke(app, ["mission", "download", str(out), "--connect", url, "--sysid", "3"])
    assert down.exit_code == 0, down.output
    back = qgc_plan.loads(out.read_text())
    assert [(i.x, i.y) for i in back.items] == [(i.x, i.y) for i in plan.items]
    assert len(back.fence) == 3
    wp = tmp_path / "back.waypoints"
    runner.invoke(app, ["mission", "download", str(wp), "--connect", url, "--sysid", "3"])
    assert len(waypoints.loads(wp.read_text())) == 6
    cl = runner.invoke(app, ["mission", "clear", "--connect", url, "--sysid", "3", "--type", "all"])
    assert cl.exit_code == 0, cl.output
    empty = runner.invoke(app, ["mission", "download", "--connect", url, "--sysid", "3"])
    assert "vehicle 3: 0 mission item(s)" in empty.output


def test_failures_exit_one_with_message(tmp_path, vehicle_port):
    """A missing vehicle, a bad file and a bad --type each exit 1 with a one-line reason."""
    url = f"udpin:127.0.0.1:{vehicle_port}"
    src = tmp_path / "m.waypoints"
    src.write_text(waypoints.dumps(_items(3)))
    runner = CliRunner()
    gone = runner.invoke(
        app, ["mission", "upload", str(src), "--connect", url, "--sysid", "9", "--wait", "1"]
    )
    assert gone.exit_code == 1
    assert "no heartbeat from vehicle 9" in gone.output
    bad = tmp_path / "bad.waypoints"
    bad.write_text("hello\n")
    res = runner.invoke(app, ["mission", "upload", str(bad), "--connect", url])
    assert res.exit_code == 1
    assert "QGC WPL" in res.output
    binary = tmp_path / "photo.plan"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not a plan")
    res = runner.invoke(app, ["mission", "upload", str(binary), "--connect", url])
    assert res.exit_code == 1
    assert "not a text file" in res.output
    res = runner.invoke(app, ["mission", "clear", "--connect", url, "--type", "geofence"])
    assert res.exit_code == 1
    assert "--type must be one of" in res.output
    res = runner.invoke(app, ["mission", "clear", "--connect", "serial:x:1"])
    assert res.exit_code == 1
    assert "unknown kind" in res.output
