"""Arming and disarming: the preconditions ArduCopter checks and the answers it gives."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.modes import GUIDED, LOITER, RTL
from tests.unit.simulator.gcs import Gcs

M = mavlink2
ARM = M.MAV_CMD_COMPONENT_ARM_DISARM


def test_arm_accepted_when_healthy(gcs: Gcs, ap: Autopilot) -> None:
    """A healthy vehicle in LOITER arms and says so in the heartbeat."""
    assert gcs.set_mode(LOITER) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(ARM, 1).result == M.MAV_RESULT_ACCEPTED
    assert ap.armed
    hb = [m for m in gcs.run(1.5) if m.get_type() == "HEARTBEAT"][-1]
    assert hb.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED
    assert hb.custom_mode == LOITER


def test_arm_refused_without_gps(gcs: Gcs, ap: Autopilot) -> None:
    """With no GPS fix arming is DENIED and a STATUSTEXT names the reason."""
    ap.gps_lost_until = 1e9
    gcs.run(0.5)
    ack = gcs.command(ARM, 1)
    assert ack.result == M.MAV_RESULT_DENIED
    assert not ap.armed
    assert any("GPS" in t for t in gcs.texts())


def test_arm_refused_with_low_battery(gcs: Gcs, ap: Autopilot) -> None:
    """A battery below the low-capacity threshold refuses arming with a reason."""
    ap.battery.sag(90.0)  # 10 % left: under BATT_LOW_MAH (15 %)
    gcs.run(0.5)
    assert gcs.command(ARM, 1).result == M.MAV_RESULT_DENIED
    assert any("Battery" in t for t in gcs.texts())
    assert not ap.armed


def test_force_arm_skips_checks(gcs: Gcs, ap: Autopilot) -> None:
    """param2 = 21196 arms despite a failed pre-arm check, as ArduPilot does."""
    ap.gps_lost_until = 1e9
    gcs.run(0.5)
    assert gcs.command(ARM, 1, 21196).result == M.MAV_RESULT_ACCEPTED
    assert ap.armed


def test_arm_refused_in_rtl(gcs: Gcs, ap: Autopilot) -> None:
    """RTL is not an armable mode."""
    assert gcs.set_mode(RTL) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(ARM, 1).result == M.MAV_RESULT_DENIED
    assert any("not armable" in t for t in gcs.texts())


def test_disarm_refused_in_flight_then_forced(gcs: Gcs, ap: Autopilot) -> None:
    """Disarming in the air is DENIED unless forced."""
    gcs.set_mode(GUIDED)
    gcs.command(ARM, 1)
    assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10).result == 0
    gcs.run(10)
    assert ap.alt_rel_m > 5
    assert gcs.command(ARM, 0).result == M.MAV_RESULT_DENIED
    assert gcs.command(ARM, 0, 21196).result == M.MAV_RESULT_ACCEPTED
    assert not ap.armed


def test_auto_disarm_after_delay_on_ground(gcs: Gcs, ap: Autopilot) -> None:
    """Armed and idle on the ground, the vehicle disarms after DISARM_DELAY seconds."""
    gcs.set_mode(LOITER)
    gcs.command(ARM, 1)
    gcs.run(5)
    assert ap.armed
    gcs.run(6)
    assert not ap.armed


def test_heartbeat_goes_out_with_the_arm_ack(gcs: Gcs, ap: Autopilot) -> None:
    """Arming and mode changes send a HEARTBEAT at once, ahead of the ACK, so a GCS sees the new
    state with the acknowledgement."""
    gcs.set_mode(LOITER)
    out = gcs.send(gcs.mav.command_long_encode(1, 1, ARM, 0, 1, 0, 0, 0, 0, 0, 0))
    kinds = [m.get_type() for m in out if m.get_type() in ("HEARTBEAT", "COMMAND_ACK")]
    assert kinds == ["HEARTBEAT", "COMMAND_ACK"]
    assert (
        out[[m.get_type() for m in out].index("HEARTBEAT")].base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED
    )
