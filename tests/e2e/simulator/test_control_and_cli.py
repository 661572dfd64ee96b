"""The run-time control API (JSON lines over TCP) and the `ecopatrol sim` command line."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.control import handle_request, serve_control
from simulator.testing import SimConfig, SimFleet

pytestmark = pytest.mark.e2e


async def _ask(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: object
) -> dict[str, Any]:
    writer.write((req if isinstance(req, str) else json.dumps(req)).encode() + b"\n")
    await writer.drain()
    reply: dict[str, Any] = json.loads(await reader.readline())
    return reply


async def test_control_port_status_and_faults() -> None:
    """Over TCP: status lists vehicles; faults, cuts and params apply; errors are explained."""
    async with SimFleet(SimConfig(drones=2, speedup=10)) as sim:
        server = await serve_control(sim, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            status = await _ask(reader, writer, {"op": "status"})
            assert status["ok"] is True
            assert [v["sysid"] for v in status["vehicles"]] == [1, 2]
            assert status["vehicles"][0]["mode"] == "STABILIZE"
            assert (await _ask(reader, writer, {"op": "faults", "packet_loss_pct": 25}))["ok"]
            assert sim.faults.packet_loss_pct == 25
            assert (await _ask(reader, writer, {"op": "cut_link", "sysid": 2, "seconds": 30}))["ok"]
            assert sim.faults.blocked(2)
            assert not sim.faults.blocked(1)
            reply = await _ask(
                reader, writer, {"op": "param", "sysid": 1, "name": "RTL_ALT", "value": 2000}
            )
            assert reply == {"ok": True, "value": 2000.0}
            assert (await _ask(reader, writer, "{not json"))["error"].startswith("not JSON")
            bad = await _ask(reader, writer, {"op": "gps_loss", "sysid": 7, "seconds": 3})
            assert bad["ok"] is False
            assert "no vehicle" in bad["error"]
        finally:
            writer.close()
            server.close()


@pytest.mark.parametrize(
    ("req", "message"),
    [
        ('{"op": "launch"}', "unknown op"),
        ('{"op": "faults", "latency_ms": -5}', "latency"),
        ('{"op": "battery_sag", "sysid": 1, "pct": "lots"}', "must be a number"),
        ('{"op": "mute", "sysid": true, "seconds": 1}', "must be an integer"),
        ("[1, 2]", "JSON object"),
        ('{"op": "param", "sysid": 1, "name": "NOPE", "value": 1}', "unknown parameter"),
    ],
)
def test_control_requests_rejected_with_reason(req: str, message: str) -> None:
    """Each malformed control request gets ok=false and a message naming the problem."""
    sim = SimFleet(SimConfig(drones=1, manual_clock=True))
    reply = handle_request(sim, req)
    assert reply["ok"] is False
    assert message in reply["error"]


def _squash(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in "│╭╮╰╯─")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--home", "95,119,40"], "latitude"),
        (["--home", "north"], "LAT,LON,ALT"),
        (["--signing-key", "zz"], "hexadecimal"),
        (["--listen", "serial:ttyUSB0:57600"], "kind must be one of"),
        (["--connect", "udpout:localhost"], "KIND:HOST:PORT"),
        (["--drones", "0"], "greater than or equal to 1"),
    ],
)
def test_cli_refuses_bad_options(args: list[str], message: str) -> None:
    """`ecopatrol sim` with a bad option exits non-zero and says what is wrong."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert _squash(message) in _squash(result.output)  # Rich wraps errors in a box


def test_cli_default_sends_to_the_usual_gcs_port() -> None:
    """With no endpoint given, the fleet sends to 127.0.0.1:14550 (QGC, MAVProxy) and says so."""
    result = CliRunner().invoke(app, ["--drones", "3", "--duration", "0.2"])
    assert result.exit_code == 0, result.output
    assert "endpoint: udpout:127.0.0.1:14550  sysid 1,2,3" in result.output


def test_cli_runs_and_prints_the_fleet() -> None:
    """`ecopatrol sim --drones 2 --duration 0.3` starts, prints its vehicles table and stops."""
    result = CliRunner().invoke(
        app,
        [
            "--drones",
            "2",
            "--listen",
            "udpin:127.0.0.1:0",
            "--duration",
            "0.3",
            "--control",
            "tcp:127.0.0.1:0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 vehicles" in result.output
    assert "29.05253" in result.output
    assert "control: JSON lines" in result.output
    assert "endpoint: udpin:127.0.0.1:" in result.output


def test_cli_port_in_use_is_a_clear_error() -> None:
    """A listen port already taken ends with exit code 1 and the system's reason, no traceback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["--listen", f"udpin:127.0.0.1:{port}", "--duration", "1"])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_python_m_simulator_stops_cleanly_on_signal(sig: int) -> None:
    """`python -m simulator` stops with exit code 0 on Ctrl-C or SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--drones", "1", "--listen", "udpin:127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "endpoint:" in proc.stdout.readline()
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    assert "stopped" in out
