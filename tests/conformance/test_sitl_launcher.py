"""The SITL launcher itself: its own folder and instance, parameters from the first boot, ready
to arm, a restart on the same EEPROM, nothing left running."""

from __future__ import annotations

import socket

import pytest

from tests.sitl import FIRST_INSTANCE, SitlFactory

pytestmark = pytest.mark.e2e


def _param(conn, name: str) -> float:
    for _ in range(20):
        conn.mav.param_request_read_send(conn.target_system, 1, name.encode(), -1)
        msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=0.5)
        if msg is not None and msg.param_id == name:
            return float(msg.param_value)
    raise AssertionError(f"no PARAM_VALUE for {name}")


def test_instance_starts_ready_with_its_parameters_restarts_and_leaves_nothing(
    sitl_factory: SitlFactory, tmp_path
):
    sitl = sitl_factory(sysid=7, params={"RTL_ALT": 2500})
    assert sitl.instance is not None
    assert sitl.instance >= FIRST_INSTANCE
    assert sitl.url == f"tcp:127.0.0.1:{5760 + 10 * sitl.instance}"
    assert (sitl.workdir / "eeprom.bin").exists()
    assert sitl.workdir.is_relative_to(tmp_path)

    # SERIAL0 (the station's port) is free again and speaks for system 7
    with sitl.mavlink(serial=0) as conn:
        assert conn.target_system == 7
        assert _param(conn, "MAV_SYSID") == 7
        assert _param(conn, "RTL_ALT") == 2500

    sitl.set_params({"SIM_UART_LOSS": 1})
    with sitl.mavlink() as conn:
        assert _param(conn, "SIM_UART_LOSS") == pytest.approx(1)

    # a power cut and boot on the same EEPROM: what was set at run time survives it
    first = sitl.proc
    sitl.restart()
    assert first is not None
    assert first.returncode is not None
    with sitl.mavlink(serial=0) as conn:
        assert _param(conn, "SIM_UART_LOSS") == pytest.approx(1)

    proc, port = sitl.proc, sitl.port
    sitl.stop()
    assert proc is not None
    assert proc.returncode is not None
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "nothing listens on SERIAL0 after stop"
