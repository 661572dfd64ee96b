"""COMMAND_LONG / COMMAND_INT / SET_MODE handling and their acknowledgements."""

from __future__ import annotations

from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.geo import ne_offset_m
from simulator.modes import AUTO, GUIDED, LAND, LOITER, MODE_NAMES, RTL
from tests.unit.simulator.gcs import HOME, Gcs, of, one, survey_mission

M = mavlink2


def _fly_guided(gcs: Gcs, alt: float = 15.0) -> None:
    gcs.set_mode(GUIDED)
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == 0
    assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt).result == 0
    gcs.run(15)


def test_set_mode_with_set_mode_message(gcs: Gcs, ap: Autopilot) -> None:
    """The SET_MODE message changes mode and is acknowledged like ArduPilot does (command 11)."""
    out = gcs.send(gcs.mav.set_mode_encode(1, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, LOITER))
    ack = one(out, "COMMAND_ACK")
    assert (ack.command, ack.result) == (M.MAVLINK_MSG_ID_SET_MODE, M.MAV_RESULT_ACCEPTED)
    assert MODE_NAMES[ap.mode] == "LOITER"


def test_unknown_mode_fails(gcs: Gcs, ap: Autopilot) -> None:
    """A custom mode this vehicle lacks answers FAILED and keeps the mode."""
    assert gcs.set_mode(42) == M.MAV_RESULT_FAILED
    assert MODE_NAMES[ap.mode] == "STABILIZE"


def test_auto_without_mission_denied(gcs: Gcs) -> None:
    """AUTO with no mission is refused with a reason."""
    assert gcs.set_mode(AUTO) == M.MAV_RESULT_DENIED
    assert any("no mission" in t for t in gcs.texts())


def test_unknown_command_unsupported(gcs: Gcs) -> None:
    """A MAV_CMD the vehicle does not implement answers UNSUPPORTED."""
    assert gcs.command(M.MAV_CMD_DO_WINCH, 1).result == M.MAV_RESULT_UNSUPPORTED


def test_takeoff_needs_guided_and_armed(gcs: Gcs, ap: Autopilot) -> None:
    """Takeoff is DENIED disarmed; in GUIDED and armed it climbs to the altitude asked."""
    assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10).result == M.MAV_RESULT_DENIED
    _fly_guided(gcs, 12.0)
    assert ap.alt_rel_m == pytest.approx(12.0, abs=0.6)
    landed = [m for m in gcs.run(1) if m.get_type() == "EXTENDED_SYS_STATE"]
    assert landed[-1].landed_state == M.MAV_LANDED_STATE_IN_AIR


def test_reposition_command_int_flies_there(gcs: Gcs, ap: Autopilot) -> None:
    """DO_REPOSITION as COMMAND_INT (degE7) takes the vehicle to the point."""
    _fly_guided(gcs)
    lat, lon = HOME[0] + 0.002, HOME[1] + 0.001
    out = gcs.send(
        gcs.mav.command_int_encode(
            1,
            1,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            M.MAV_CMD_DO_REPOSITION,
            0,
            0,
            -1,
            0,
            0,
            0,
            round(lat * 1e7),
            round(lon * 1e7),
            30,
        )
    )
    assert one(out, "COMMAND_ACK").result == M.MAV_RESULT_ACCEPTED
    gcs.run(60)
    here = ap.latlon()
    assert abs(ne_offset_m(lat, lon, *here)[0]) < 2
    assert abs(ne_offset_m(lat, lon, *here)[1]) < 2
    assert ap.alt_rel_m == pytest.approx(30, abs=1)


def test_reposition_outside_guided_without_flag_denied(gcs: Gcs) -> None:
    """DO_REPOSITION in LOITER without the change-mode flag is DENIED."""
    gcs.set_mode(LOITER)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    ack = gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, HOME[0], HOME[1], 10)
    assert ack.result == M.MAV_RESULT_DENIED


def test_change_speed_and_rtl_then_land(gcs: Gcs, ap: Autopilot) -> None:
    """DO_CHANGE_SPEED sets cruise speed; RTL brings the vehicle home and lands and disarms."""
    _fly_guided(gcs)
    assert gcs.command(M.MAV_CMD_DO_CHANGE_SPEED, 1, 4).result == 0
    gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, HOME[0] + 0.003, HOME[1], 15)
    gcs.run(20)
    assert ap.frame.groundspeed_m_s == pytest.approx(4, abs=0.3)
    assert gcs.command(M.MAV_CMD_NAV_RETURN_TO_LAUNCH).result == 0
    assert ap.mode == RTL
    gcs.run_until(lambda: not ap.armed, 600)
    n, e = ne_offset_m(ap.home[0], ap.home[1], *ap.latlon())
    assert abs(n) < 2.5
    assert abs(e) < 2.5
    assert ap.frame.on_ground


def test_land_command(gcs: Gcs, ap: Autopilot) -> None:
    """NAV_LAND switches to LAND, which descends and disarms on touchdown."""
    _fly_guided(gcs)
    assert gcs.command(M.MAV_CMD_NAV_LAND).result == 0
    assert ap.mode == LAND
    gcs.run_until(lambda: not ap.armed, 300)
    assert ap.alt_rel_m == pytest.approx(0, abs=0.1)


def test_request_message_autopilot_version(gcs: Gcs) -> None:
    """MAV_CMD_REQUEST_MESSAGE(AUTOPILOT_VERSION) is ACKed and answered with honest capabilities."""
    out = gcs.send(
        gcs.mav.command_long_encode(
            1, 1, M.MAV_CMD_REQUEST_MESSAGE, 0, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION, 0, 0, 0, 0, 0, 0
        )
    )
    assert one(out, "COMMAND_ACK").result == 0
    caps = one(out, "AUTOPILOT_VERSION").capabilities
    assert caps & M.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    assert caps & M.MAV_PROTOCOL_CAPABILITY_MAVLINK2
    assert not caps & M.MAV_PROTOCOL_CAPABILITY_FTP


def test_get_home_position_answers_home(gcs: Gcs) -> None:
    """MAV_CMD_GET_HOME_POSITION (MAVProxy polls it) gets HOME_POSITION at the station."""
    out = gcs.send(
        gcs.mav.command_long_encode(1, 1, M.MAV_CMD_GET_HOME_POSITION, 0, 0, 0, 0, 0, 0, 0, 0)
    )
    home = one(out, "HOME_POSITION")
    assert home.latitude == round(HOME[0] * 1e7)


def test_set_message_interval_changes_rate(gcs: Gcs) -> None:
    """SET_MESSAGE_INTERVAL 10 Hz on GLOBAL_POSITION_INT gives about 10 per simulated second."""
    gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, 100_000)
    got = of(gcs.run(10), "GLOBAL_POSITION_INT")
    assert 95 <= len(got) <= 105
    gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, -1)
    assert not of(gcs.run(5), "GLOBAL_POSITION_INT")


def test_request_data_stream_sets_group(gcs: Gcs) -> None:
    """REQUEST_DATA_STREAM(POSITION, 5 Hz) sends GLOBAL_POSITION_INT five times a second."""
    gcs.send(gcs.mav.request_data_stream_encode(1, 1, M.MAV_DATA_STREAM_POSITION, 5, 1))
    assert 48 <= len(of(gcs.run(10), "GLOBAL_POSITION_INT")) <= 52
    gcs.send(gcs.mav.request_data_stream_encode(1, 1, M.MAV_DATA_STREAM_ALL, 0, 0))
    kinds = {m.get_type() for m in gcs.run(5)}
    assert kinds == {"HEARTBEAT"}


def test_pause_and_continue_mission(gcs: Gcs, ap: Autopilot) -> None:
    """DO_PAUSE_CONTINUE 0 holds position in AUTO, 1 carries on with the mission."""
    gcs.upload(survey_mission(0.003))
    gcs.set_mode(AUTO)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    gcs.run(20)
    assert gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 0).result == 0
    gcs.run(5)
    here = ap.latlon()
    gcs.run(10)
    assert ne_offset_m(*here, *ap.latlon()) == pytest.approx((0, 0), abs=0.5)
    assert one(of(gcs.run(1.5), "MISSION_CURRENT")[-1:], "MISSION_CURRENT").mission_state == (
        M.MISSION_STATE_PAUSED
    )
    assert gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 1).result == 0
    gcs.run(5)
    assert ap.frame.groundspeed_m_s > 3


def test_set_home_moves_rtl_target(gcs: Gcs, ap: Autopilot) -> None:
    """DO_SET_HOME with a location changes HOME_POSITION and where RTL goes."""
    new = (HOME[0] + 0.001, HOME[1] + 0.001, HOME[2])
    out = gcs.send(gcs.mav.command_long_encode(1, 1, M.MAV_CMD_DO_SET_HOME, 0, 0, 0, 0, 0, *new))
    assert one(out, "COMMAND_ACK").result == 0
    assert one(out, "HOME_POSITION").latitude == pytest.approx(new[0] * 1e7, abs=30)  # float32
    _fly_guided(gcs)
    gcs.command(M.MAV_CMD_NAV_RETURN_TO_LAUNCH)
    gcs.run_until(lambda: not ap.armed, 600)
    assert ne_offset_m(new[0], new[1], *ap.latlon()) == pytest.approx((0, 0), abs=2.5)


def test_calibration_reports_in_progress_then_accepted(gcs: Gcs) -> None:
    """A long-running command answers IN_PROGRESS first and ACCEPTED when done."""
    first = gcs.command(M.MAV_CMD_PREFLIGHT_CALIBRATION, 0, 0, 1)
    assert first.result == M.MAV_RESULT_IN_PROGRESS
    final = one(gcs.run(3), "COMMAND_ACK")
    assert (final.command, final.result) == (M.MAV_CMD_PREFLIGHT_CALIBRATION, 0)


def test_command_for_other_system_ignored(gcs: Gcs, ap: Autopilot) -> None:
    """A COMMAND_LONG for system 2 is not answered and not obeyed by system 1."""
    out = gcs.send(
        gcs.mav.command_long_encode(2, 1, M.MAV_CMD_COMPONENT_ARM_DISARM, 0, 1, 0, 0, 0, 0, 0, 0)
    )
    assert out == []
    assert not ap.armed


def test_rtl_on_the_ground_disarms(gcs: Gcs, ap: Autopilot) -> None:
    """RTL chosen while armed on the ground lands at once (disarms) instead of climbing."""
    gcs.set_mode(LOITER)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert gcs.command(M.MAV_CMD_NAV_RETURN_TO_LAUNCH).result == 0
    gcs.run(3)
    assert not ap.armed
    assert ap.alt_rel_m == 0


def test_timesync_and_autopilot_version_request(gcs: Gcs) -> None:
    """TIMESYNC requests get our clock and their stamp back; the old version request works too."""
    reply = one(gcs.send(gcs.mav.timesync_encode(0, 123456789)), "TIMESYNC")
    assert reply.ts1 == 123456789
    assert reply.tc1 > 0
    out = gcs.send(gcs.mav.autopilot_version_request_encode(1, 1))
    assert one(out, "AUTOPILOT_VERSION").flight_sw_version >> 24 == 4


def test_all_streams_include_navigation_and_ekf_messages(gcs: Gcs, ap: Autopilot) -> None:
    """REQUEST_DATA_STREAM(ALL) adds NAV_CONTROLLER_OUTPUT, LOCAL_POSITION_NED and EKF status."""
    gcs.send(gcs.mav.request_data_stream_encode(1, 1, M.MAV_DATA_STREAM_ALL, 2, 1))
    _fly_guided(gcs)
    gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, HOME[0] + 0.002, HOME[1], 15)
    got = gcs.run(5)
    nav = of(got, "NAV_CONTROLLER_OUTPUT")[-1]
    assert nav.target_bearing in (0, 359, 360)  # due north
    assert 150 < nav.wp_dist < 222
    local = of(got, "LOCAL_POSITION_NED")[-1]
    assert local.z == pytest.approx(-15, abs=0.5)
    ekf = of(got, "EKF_STATUS_REPORT")[-1]
    assert ekf.flags & M.EKF_POS_HORIZ_ABS
    ap.gps_lost_until = ap.t + 60
    ekf = of(gcs.run(2), "EKF_STATUS_REPORT")[-1]
    assert not ekf.flags & M.EKF_POS_HORIZ_ABS


def test_retransmitted_command_is_acknowledged_not_repeated(gcs: Gcs, ap: Autopilot) -> None:
    """A COMMAND_LONG resent with confirmation > 0 (its ACK was lost) gets the same ACK again
    instead of being done twice (a second takeoff would be refused)."""
    gcs.set_mode(GUIDED)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)

    def takeoff(confirmation: int) -> Any:
        msg = gcs.mav.command_long_encode(
            1, 1, M.MAV_CMD_NAV_TAKEOFF, confirmation, 0, 0, 0, 0, 0, 0, 10
        )
        return one(gcs.send(msg), "COMMAND_ACK")

    first = takeoff(0)
    gcs.run(2)
    again = takeoff(1)
    assert first.result == again.result == M.MAV_RESULT_ACCEPTED
    fresh = takeoff(0)
    assert fresh.result == M.MAV_RESULT_DENIED  # a new takeoff while flying is refused


def test_payload_gripper_servo_relay(gcs: Gcs, ap: Autopilot) -> None:
    """DO_GRIPPER / DO_SET_SERVO / DO_SET_RELAY are accepted, reported and kept in the state;
    out-of-range values are refused."""
    assert gcs.command(M.MAV_CMD_DO_GRIPPER, 1, 0).result == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_SERVO, 9, 1900).result == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_RELAY, 0, 1).result == M.MAV_RESULT_ACCEPTED
    assert ap.state.actuators == {"gripper1": "release", "servo9": "1900", "relay0": "on"}
    assert "gripper1: release" in gcs.texts()
    assert gcs.command(M.MAV_CMD_DO_SET_SERVO, 9, 5000).result == M.MAV_RESULT_FAILED
    assert gcs.command(M.MAV_CMD_DO_GRIPPER, 1, 7).result == M.MAV_RESULT_FAILED
