"""MAVProxy 1.8, driven interactively through pexpect, works the simulator like an ArduCopter."""

from __future__ import annotations

import asyncio
import io
import re
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.testing import SimConfig, SimFleet
from tests.clients.conftest import TIMEOUT_FACTOR, free_port

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.clients

WAYPOINTS = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t{lat:.8f}\t{lon:.8f}\t40.000000\t1
1\t0\t3\t22\t0\t0\t0\t0\t0.00000000\t0.00000000\t20.000000\t1
2\t0\t3\t16\t0\t0\t0\t0\t{lat2:.8f}\t{lon:.8f}\t20.000000\t1
3\t0\t3\t16\t5\t0\t0\t0\t{lat2:.8f}\t{lon2:.8f}\t25.000000\t1
4\t0\t3\t206\t15\t0\t0\t0\t0.00000000\t0.00000000\t0.000000\t1
5\t0\t3\t20\t0\t0\t0\t0\t0.00000000\t0.00000000\t0.000000\t1
"""

# What ArduCopter reads back of WAYPOINTS (AP_Mission::mission_cmd_to_mavlink_int): slot 0 its
# own home (frame 0, current 0, its altitude), navigation items in frame 3 with NAV_WAYPOINT's
# delay (param 1) kept, DO_SET_CAM_TRIGG_DIST and RTL in frame 0 with no position.
STORED = """QGC WPL 110
0\t0\t0\t16\t0\t0\t0\t0\t{lat:.8f}\t{lon:.8f}\t{alt:.6f}\t1
1\t0\t3\t22\t0\t0\t0\t0\t0.00000000\t0.00000000\t20.000000\t1
2\t0\t3\t16\t0\t0\t0\t0\t{lat2:.8f}\t{lon:.8f}\t20.000000\t1
3\t0\t3\t16\t5\t0\t0\t0\t{lat2:.8f}\t{lon2:.8f}\t25.000000\t1
4\t0\t0\t206\t15\t0\t0\t0\t0.00000000\t0.00000000\t0.000000\t1
5\t0\t0\t20\t0\t0\t0\t0\t0.00000000\t0.00000000\t0.000000\t1
"""


class MavProxy:
    """One interactive MAVProxy session (its --cmd runs before the first heartbeat, so we type)."""

    def __init__(self, mavproxy_bin: str, port: int, workdir: Path, target: int = 1) -> None:
        args = [
            f"--master=udpout:127.0.0.1:{port}",
            f"--target-system={target}",
            "--nodtr",
            "--default-modules=mode,wp,param,cmdlong",
            f"--state-basedir={workdir}",
        ]
        self.child = pexpect.spawn(
            sys.executable,
            [mavproxy_bin, *args],
            encoding="utf-8",
            cwd=str(workdir),
            timeout=30 * TIMEOUT_FACTOR,
        )
        self.log: list[str] = []

    def expect(self, pattern: str) -> str:
        self.child.expect(pattern)
        return str(self.child.before) + str(self.child.after)

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.close(force=True)


def _rows(path: Path) -> list[list[float]]:
    lines = path.read_text().splitlines()
    assert lines[0].startswith("QGC WPL 110")
    return [
        [float(x) for x in re.split(r"\s+", line.strip())] for line in lines[1:] if line.strip()
    ]


def _session(
    mavproxy_bin: str, port: int, workdir: Path, script: list[tuple[str, str]]
) -> list[str]:
    mp = MavProxy(mavproxy_bin, port, workdir)
    try:
        mp.expect(r"Received \d+ parameters")
        outputs = []
        for cmd, pattern in script:
            mp.send(cmd)
            outputs.append(mp.expect(pattern))
        return outputs
    finally:
        mp.close()


async def test_mavproxy_wp_load_list_mode_and_params(mavproxy_bin: str, tmp_path: Path) -> None:
    """`wp load` stores the file's items, a fresh `wp list` gets them back as ArduCopter stores
    them, modes and parameters work."""
    async with SimFleet(SimConfig(drones=1, speedup=4, seed=5)) as sim:
        v = sim.vehicles[1]
        lat, lon, alt = v.state.home
        where = {"lat": lat, "lon": lon, "lat2": lat + 0.0005, "lon2": lon + 0.0006}
        src = tmp_path / "patrol.waypoints"
        src.write_text(WAYPOINTS.format(**where))
        stored = tmp_path / "stored.waypoints"
        # MISSION_ITEM_INT's z is a float32
        stored.write_text(
            STORED.format(alt=struct.unpack("<f", struct.pack("<f", alt))[0], **where)
        )
        port = sim.ports[0]

        first = tmp_path / "one"
        first.mkdir()
        out = await asyncio.to_thread(
            _session,
            mavproxy_bin,
            port,
            first,
            [
                (f"wp load {src}", r"MISSION_ACK: TYPE_MISSION: ACCEPTED"),
                # the prompt can follow the value on the same line ("1000.0STABILIZE>")
                ("param show WPNAV_SPEED", r"WPNAV_SPEED\s+\d+\.\d"),
                ("param set WPNAV_SPEED 750", r"STABILIZE>"),
                ("param show WPNAV_SPEED", r"WPNAV_SPEED\s+750\.0"),
                ("mode GUIDED", r"GUIDED>"),
            ],
        )
        assert re.search(r"WPNAV_SPEED\s+1000", out[1])
        assert v.autopilot.params.get("WPNAV_SPEED") == 750
        assert v.state.mode == "GUIDED"
        for _ in range(100):
            if len(v.state.mission) == 6:
                break
            await asyncio.sleep(0.05)
        assert [i.command for i in v.state.mission] == [16, 22, 16, 16, 206, 20]

        second = tmp_path / "two"
        second.mkdir()
        back = tmp_path / "back.waypoints"
        await asyncio.to_thread(
            _session,
            mavproxy_bin,
            port,
            second,
            [
                ("wp list", r"Saved 6 waypoints|Requesting 6 waypoints"),
                (f"wp save {back}", r"Saved 6 waypoints"),
            ],
        )
        want, got = _rows(stored), _rows(back)
        assert want != _rows(src)  # the stored form, not the file as loaded
        assert len(got) == len(want)
        for w, g in zip(want, got, strict=True):
            assert g == pytest.approx(w, abs=1e-6)


async def test_mavproxy_upload_to_sysid_2_leaves_1_and_3_alone(
    mavproxy_bin: str, tmp_path: Path
) -> None:
    """Three vehicles share one port; MAVProxy targeting system 2 changes only system 2."""
    async with SimFleet(SimConfig(drones=3, speedup=4, seed=6)) as sim:
        lat, lon, _ = sim.vehicles[2].state.home
        src = tmp_path / "two.waypoints"
        src.write_text(WAYPOINTS.format(lat=lat, lon=lon, lat2=lat + 0.0005, lon2=lon + 0.0006))
        before = {
            s: (v.state.mission, v.autopilot.params.get("RTL_ALT")) for s, v in sim.vehicles.items()
        }

        def session() -> None:
            mp = MavProxy(mavproxy_bin, sim.ports[0], tmp_path, target=2)
            try:
                mp.expect(r"Received \d+ parameters")
                mp.send(f"wp load {src}")
                mp.expect(r"MISSION_ACK: TYPE_MISSION: ACCEPTED")
                mp.send("param set RTL_ALT 2500")
                mp.send("param show RTL_ALT")
                mp.expect(r"RTL_ALT\s+2500\.0")
                mp.send("wp list")
                mp.expect(r"Saved 6 waypoints|Requesting 6 waypoints")
            finally:
                mp.close()

        await asyncio.to_thread(session)
        assert [i.command for i in sim.vehicles[2].state.mission] == [16, 22, 16, 16, 206, 20]
        assert sim.vehicles[2].autopilot.params.get("RTL_ALT") == 2500
        for sysid in (1, 3):
            v = sim.vehicles[sysid]
            assert (v.state.mission, v.autopilot.params.get("RTL_ALT")) == before[sysid]


def test_cli_fleet_seen_by_a_listening_mavproxy(mavproxy_bin: str, tmp_path: Path) -> None:
    """`python -m simulator --drones 3 --connect udpout:...` is seen by MAVProxy listening there."""
    port = free_port(socket.SOCK_DGRAM)
    mp = pexpect.spawn(
        sys.executable,
        [
            mavproxy_bin,
            f"--master=udpin:127.0.0.1:{port}",
            "--nodtr",
            "--default-modules=mode,param",
            f"--state-basedir={tmp_path}",
        ],
        encoding="utf-8",
        cwd=str(tmp_path),
        timeout=30 * TIMEOUT_FACTOR,
    )
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--drones",
            "3",
            "--connect",
            f"udpout:127.0.0.1:{port}",
            "--speedup",
            "2",
            "--duration",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log = io.StringIO()
    mp.logfile_read = log
    try:
        seen: set[str] = set()
        while seen != {"1", "2", "3"}:
            mp.expect(r"Detected vehicle (\d):1")
            seen.add(mp.match.group(1))
        mp.expect(r"Received \d+ parameters")
        assert "GPS lock at 40 meters" in log.getvalue()  # the Longyou station's ground
    finally:
        mp.sendline("exit")
        mp.close(force=True)
        sim.terminate()
        sim.wait(timeout=10)
