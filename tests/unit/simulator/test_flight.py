"""Missions flown on a stepped clock: from takeoff to landed and disarmed."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.geo import ne_offset_m
from simulator.modes import AUTO
from tests.unit.simulator.gcs import HOME, Gcs, item, of, survey_mission

M = mavlink2


def _start(gcs: Gcs, items: list[tuple[Any, ...]]) -> None:
    assert gcs.upload(items).type == M.MAV_MISSION_ACCEPTED
    assert gcs.set_mode(AUTO) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == M.MAV_RESULT_ACCEPTED


def test_survey_mission_flies_to_landed_and_disarmed(gcs: Gcs, ap: Autopilot) -> None:
    """Every nav item is reached in order, photos are taken every 20 m, and it lands at home."""
    _start(gcs, survey_mission())
    got = gcs.run_until(lambda: not ap.armed, 900)
    assert [m.seq for m in of(got, "MISSION_ITEM_REACHED")] == [1, 3, 4, 5]
    photos = of(got, "CAMERA_FEEDBACK")
    # legs of 111 m and 97 m at 20 m spacing, plus the return
    assert len(photos) >= 10
    assert [p.img_idx for p in photos] == list(range(len(photos)))
    assert len(of(got, "CAMERA_IMAGE_CAPTURED")) == len(photos)
    first_leg = [p for p in photos if p.alt_rel == pytest.approx(20, abs=0.5)]
    gaps = [
        math.hypot(*ne_offset_m(a.lat / 1e7, a.lng / 1e7, b.lat / 1e7, b.lng / 1e7))
        for a, b in itertools.pairwise(first_leg)
    ]
    assert all(g == pytest.approx(20, abs=1.5) for g in gaps)
    assert ap.frame.on_ground
    assert ne_offset_m(ap.home[0], ap.home[1], *ap.latlon()) == pytest.approx((0, 0), abs=2.5)
    states = [m.mission_state for m in of(got, "MISSION_CURRENT")]
    assert states[-1] == M.MISSION_STATE_COMPLETE
    assert any("Mission complete" in t for t in gcs.texts())


def test_landed_state_goes_through_takeoff_air_landing_ground(gcs: Gcs, ap: Autopilot) -> None:
    """EXTENDED_SYS_STATE reports takeoff, in air, landing and on ground in that order."""
    gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE, 200_000)
    _start(gcs, survey_mission())
    got = gcs.run_until(lambda: not ap.armed, 900)
    seen: list[int] = []
    for m in of(got, "EXTENDED_SYS_STATE"):
        if not seen or seen[-1] != m.landed_state:
            seen.append(m.landed_state)
    assert seen == [
        M.MAV_LANDED_STATE_TAKEOFF,
        M.MAV_LANDED_STATE_IN_AIR,
        M.MAV_LANDED_STATE_LANDING,
        M.MAV_LANDED_STATE_ON_GROUND,
    ]


def test_do_jump_repeats_then_continues(gcs: Gcs, ap: Autopilot) -> None:
    """DO_JUMP to item 2 with repeat 2 flies items 2-3 three times in all, then lands."""
    lat, lon, _ = HOME
    items = [
        item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT),
        item(1, M.MAV_CMD_NAV_TAKEOFF, alt=10),
        item(2, 16, lat + 0.0003, lon, 10),
        item(3, 16, lat, lon, 10),
        item(4, M.MAV_CMD_DO_JUMP, p1=2, p2=2),
        item(5, M.MAV_CMD_NAV_LAND),
    ]
    _start(gcs, items)
    got = gcs.run_until(lambda: not ap.armed, 900)
    assert [m.seq for m in of(got, "MISSION_ITEM_REACHED")] == [1, 2, 3, 2, 3, 2, 3, 5]


def test_loiter_time_and_change_speed(gcs: Gcs, ap: Autopilot) -> None:
    """LOITER_TIME holds; DO_CHANGE_SPEED in the mission sets the next leg's speed."""
    lat, lon, _ = HOME
    items = [
        item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT),
        item(1, M.MAV_CMD_NAV_TAKEOFF, alt=10),
        item(2, M.MAV_CMD_NAV_LOITER_TIME, lat, lon, 10, p1=30),
        item(3, M.MAV_CMD_DO_CHANGE_SPEED, p1=1, p2=3),
        item(4, 16, lat + 0.003, lon, 10),
        item(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]
    _start(gcs, items)
    got = gcs.run_until(lambda: ap.runner.current == 4, 200)
    reached = {m.seq: ap.t for m in of(got, "MISSION_ITEM_REACHED")}
    assert 2 in reached
    gcs.run(30)
    assert ap.frame.groundspeed_m_s == pytest.approx(3, abs=0.3)


def test_mission_upload_in_flight_keeps_flying(gcs: Gcs, ap: Autopilot) -> None:
    """A new mission uploaded in flight is flown from the same index; no crash, no stop."""
    _start(gcs, survey_mission(0.003))
    gcs.run(30)
    assert ap.runner.current == 3
    assert gcs.upload(survey_mission(0.001)).type == M.MAV_MISSION_ACCEPTED
    got = gcs.run_until(lambda: not ap.armed, 900)
    assert [m.seq for m in of(got, "MISSION_ITEM_REACHED")] == [3, 4, 5]


def test_set_current_starts_the_mission_there(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_SET_CURRENT before the start makes AUTO begin at that item."""
    lat, lon, _ = HOME
    items = [
        item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT),
        item(1, M.MAV_CMD_NAV_TAKEOFF, alt=10),
        item(2, 16, lat + 0.001, lon, 10),
        item(3, 16, lat, lon + 0.001, 10),
        item(4, M.MAV_CMD_NAV_LAND),
    ]
    gcs.upload(items)
    out = gcs.send(gcs.mav.mission_set_current_encode(1, 1, 3))
    assert of(out, "MISSION_CURRENT")[-1].seq == 3
    gcs.set_mode(AUTO)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    got = gcs.run_until(lambda: not ap.armed, 600)
    assert [m.seq for m in of(got, "MISSION_ITEM_REACHED")] == [3, 4]


def test_do_set_mission_current_in_flight_jumps(gcs: Gcs, ap: Autopilot) -> None:
    """DO_SET_MISSION_CURRENT in flight abandons the current leg for the item asked."""
    _start(gcs, survey_mission(0.003))
    gcs.run(20)
    assert ap.runner.current == 3
    assert gcs.command(M.MAV_CMD_DO_SET_MISSION_CURRENT, 5).result == M.MAV_RESULT_ACCEPTED
    assert ap.runner.current == 5
    assert gcs.command(M.MAV_CMD_DO_SET_MISSION_CURRENT, 42).result == M.MAV_RESULT_FAILED


def test_rtl_alt_and_land_speed_parameters_take_effect(gcs: Gcs, ap: Autopilot) -> None:
    """RTL climbs to RTL_ALT before coming home, and lands no faster than LAND_SPEED at the end."""
    ap.params.set("RTL_ALT", 4000)
    ap.params.set("LAND_SPEED", 30)
    gcs.set_mode(4)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 15)
    gcs.run(10)
    gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, HOME[0] + 0.002, HOME[1], 15)
    gcs.run(40)
    gcs.command(M.MAV_CMD_NAV_RETURN_TO_LAUNCH)
    top = 0.0
    final_rates = []
    while ap.armed:
        gcs.run(0.5)
        top = max(top, ap.alt_rel_m)
        if 0.3 < ap.alt_rel_m < 5:
            final_rates.append(-ap.frame.vu)
    assert top == pytest.approx(40, abs=0.6)
    assert max(final_rates) <= 0.3 + 1e-6


def test_mission_drops_a_lifebuoy_over_a_point(gcs: Gcs, ap: Autopilot) -> None:
    """A DO_GRIPPER after a LOITER_TIME over the point releases the payload on arrival there
    (ArduPilot runs a do command when the nav command before it starts, not when it ends)."""
    lat, lon, _ = HOME
    items = [
        item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT),
        item(1, M.MAV_CMD_NAV_TAKEOFF, alt=10),
        item(2, 16, lat + 0.001, lon, 10),
        item(3, M.MAV_CMD_NAV_LOITER_TIME, lat + 0.001, lon, 10, p1=5),
        item(4, M.MAV_CMD_DO_GRIPPER, p1=1, p2=0),
        item(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]
    _start(gcs, items)
    gcs.run_until(lambda: ap.runner.current == 2, 60)
    gcs.run(5)
    assert ap.state.actuators == {}  # still on the way
    gcs.run_until(lambda: ap.runner.current == 3, 120)
    assert ap.state.actuators == {"gripper1": "release"}
    drop = ne_offset_m(lat + 0.001, lon, *ap.latlon())
    assert math.hypot(*drop) < 3
    gcs.run_until(lambda: not ap.armed, 600)


def test_auto_on_the_ground_needs_a_takeoff_first(gcs: Gcs, ap: Autopilot) -> None:
    """Armed on the ground, AUTO is refused for a mission that does not start with a takeoff,
    as ArduCopter does ("Auto: Missing Takeoff Cmd"); arming in AUTO is refused the same way."""
    lat, lon, _ = HOME
    items = [
        item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT),
        item(1, 16, lat + 0.001, lon, 20),
    ]
    gcs.upload(items)
    gcs.set_mode(4)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert gcs.set_mode(AUTO) == M.MAV_RESULT_DENIED
    assert "Auto: Missing Takeoff Cmd" in gcs.texts()
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 0)
    assert gcs.set_mode(AUTO) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == M.MAV_RESULT_DENIED
