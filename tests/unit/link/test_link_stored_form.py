"""What each autopilot keeps of a mission item, rule by rule, and that real differences fail.

The ArduPilot cases are what ArduCopter SITL 4.7 read back after an upload with
MISSION_ITEM_INT (sent -> read back), so each rule is pinned to an observation.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from groundstation.link.stored_form import (
    Autopilot,
    as_stored,
    differences,
    f32,
    holds_own_home,
)
from routes.mission import MissionItem

AP = Autopilot.ARDUPILOT
LAT, LON = 290525300, 1191818410


def _item(seq=1, command=16, frame=6, p=(0.0, 0.0, 0.0, 0.0), x=LAT, y=LON, z=0.0, ac=1, mt=0):
    return MissionItem(seq=seq, frame=frame, command=command, autocontinue=ac, param1=p[0],
                       param2=p[1], param3=p[2], param4=p[3], x=x, y=y, z=z,
                       mission_type=mt)  # fmt: skip


def _params(item: MissionItem) -> tuple[float, float, float, float]:
    return (item.param1, item.param2, item.param3, item.param4)


# --- ArduPilot, mission items (each as ArduCopter SITL read it back) ----------------------------


def test_ardupilot_waypoint_keeps_hold_time_as_uint16_drops_radius_frame_6_to_3_cm_altitude():
    got = as_stored(_item(command=16, frame=6, p=(2.6, 5, 1, 90), z=40.005), AP)
    assert _params(got) == (2.0, 0.0, 0.0, 0.0)  # param2 (acceptance radius) not stored
    assert (got.frame, got.x, got.y) == (3, LAT, LON)
    assert got.z == 40.0  # whole centimetres, truncated
    assert _params(as_stored(_item(command=16, p=(-3, 0, 0, math.nan)), AP))[0] == 65533.0


def test_ardupilot_takeoff_keeps_param1_only():
    got = as_stored(_item(command=22, p=(3.7, 5, 6, 7), z=60.004), AP)
    assert _params(got) == (3.0, 0.0, 0.0, 0.0)
    assert (got.frame, got.z) == (3, 60.0)


def test_ardupilot_change_speed_keeps_type_speed_throttle_frame_0_no_position():
    got = as_stored(_item(command=178, frame=2, p=(1, 15, -1, 9), x=5, y=6, z=7), AP)
    assert _params(got) == (1.0, 15.0, -1.0, 0.0)
    assert (got.frame, got.x, got.y, got.z) == (0, 0, 0, 0.0)


def test_ardupilot_loiter_time_direction_and_xtrack_as_flags():
    got = as_stored(_item(command=19, p=(30.7, 1, 0, 0.5), z=45), AP)
    assert _params(got) == (30.0, 0.0, 1.0, 1.0)
    got = as_stored(_item(command=19, p=(30, 0, -20, -1), z=45), AP)
    assert _params(got) == (30.0, 0.0, -1.0, 0.0)


def test_ardupilot_cam_trigger_distance_keeps_distance_and_trigger():
    got = as_stored(_item(command=206, frame=2, p=(12.5, 3, 1, 4), x=0, y=0), AP)
    assert _params(got) == (12.5, 0.0, 1.0, 0.0)
    assert got.frame == 0


def test_ardupilot_land_rtl_and_frames():
    land = as_stored(_item(command=21, p=(10, 1, 2, 0)), AP)
    assert _params(land) == (10.0, 0.0, 0.0, 1.0)
    rtl = as_stored(_item(command=20, frame=2, p=(1, 2, 3, 4)), AP)
    assert _params(rtl) == (0.0, 0.0, 0.0, 0.0)
    assert (rtl.frame, rtl.x, rtl.y) == (0, 0, 0)
    assert as_stored(_item(frame=5, z=100), AP).frame == 0  # GLOBAL_INT -> GLOBAL
    assert as_stored(_item(frame=3, z=50), AP).frame == 3
    assert as_stored(_item(frame=0, z=30.3), AP).z == f32(30.3)


def test_ardupilot_autocontinue_always_1_and_slot_0_is_home():
    assert as_stored(_item(frame=0, ac=0), AP).autocontinue == 1
    home = _item(seq=0, command=16, frame=0, z=40)
    assert holds_own_home(home, AP)
    assert not holds_own_home(home, Autopilot.PX4)
    read_back = _item(seq=0, command=16, frame=0, x=LAT + 12345, y=LON - 77, z=40.09)
    assert differences(home, read_back, AP) == []
    assert differences(home, replace(read_back, command=22), AP) != []


def test_arduplane_waypoint_keeps_radii_not_hold_time():
    got = as_stored(_item(command=16, p=(2, 5, 300, 90)), Autopilot.ARDUPLANE)
    assert _params(got) == (0.0, 5.0, 255.0, 0.0)


# --- ArduPilot, fence and rally ------------------------------------------------------------------


def test_ardupilot_fence_items_frame_0_autocontinue_0_no_altitude():
    vertex = as_stored(_item(command=5001, frame=5, p=(3, 7, 8, 9), z=10, mt=1), AP)
    assert (vertex.frame, vertex.autocontinue, vertex.z) == (0, 0, 0.0)
    assert _params(vertex) == (3.0, 0.0, 0.0, 0.0)
    assert (vertex.x, vertex.y) == (LAT, LON)
    circle = as_stored(_item(command=5004, frame=5, p=(50.6, 0, 0, 0), mt=1), AP)
    assert circle.param1 == f32(50.6)


def test_ardupilot_rally_frame_3_no_params_whole_metres():
    got = as_stored(_item(command=5100, frame=6, p=(1, 2, 3, 4), z=60.7, mt=2), AP)
    assert (got.frame, got.autocontinue, got.z) == (3, 0, 60.0)
    assert _params(got) == (0.0, 0.0, 0.0, 0.0)
    assert as_stored(_item(command=5100, frame=3, z=-3.9, mt=2), AP).z == -3.0


# --- PX4 -----------------------------------------------------------------------------------------


def test_px4_waypoint_keeps_time_radius_yaw_wrapped_in_int_frames():
    got = as_stored(_item(command=16, frame=3, p=(2, 5, 1, -90), z=40.005), Autopilot.PX4)
    assert got.frame == 6
    assert got.param1 == 2.0
    assert got.param2 == 5.0
    assert got.param3 == 0.0
    assert got.param4 == pytest.approx(270.0)
    assert got.z == f32(40.005)
    assert as_stored(_item(frame=0), Autopilot.PX4).frame == 5
    assert math.isnan(as_stored(_item(p=(0, 0, 0, math.nan)), Autopilot.PX4).param4)


def test_px4_loiter_time_flags_and_mission_frame_items_verbatim():
    got = as_stored(_item(command=19, p=(30, 0.5, 20, 0.3)), Autopilot.PX4)
    assert _params(got) == (30.0, 1.0, 20.0, 1.0)
    speed = _item(command=178, frame=2, p=(1, 15, -1, 0), x=0, y=0)
    assert as_stored(speed, Autopilot.PX4) == speed
    vertex = _item(command=5001, frame=5, p=(2.6, 0, 0, 0), mt=1)
    assert as_stored(vertex, Autopilot.PX4).param1 == 3


def test_autopilot_from_heartbeat():
    assert Autopilot.of(3, 2) is Autopilot.ARDUPILOT  # ArduPilot quadrotor
    assert Autopilot.of(3, 1) is Autopilot.ARDUPLANE
    assert Autopilot.of(12, 2) is Autopilot.PX4
    assert Autopilot.of(8, 2) is Autopilot.EXACT  # MAV_AUTOPILOT_INVALID and the like


# --- verification: what passes and what still fails ----------------------------------------------


def _read_back(sent: MissionItem) -> MissionItem:
    """What ArduCopter read back for ``sent`` (the stored form, as the vehicle reports it)."""
    return as_stored(sent, AP)


WAYPOINT = _item(command=16, frame=6, p=(0, 5, 0, 0), z=60)
SPEED = _item(seq=2, command=178, frame=2, p=(1, 15, -1, 0), x=0, y=0)
LOITER = _item(seq=3, command=19, frame=6, p=(30, 0, 0, 0), z=60)


@pytest.mark.parametrize("sent", [WAYPOINT, SPEED, LOITER])
def test_stored_form_and_verbatim_both_verify(sent):
    """The normalised read-back passes, and so does a vehicle that kept every field."""
    assert differences(sent, _read_back(sent), AP) == []
    assert differences(sent, sent, AP) == []


@pytest.mark.parametrize(
    ("sent", "change", "field"),
    [
        (WAYPOINT, {"x": LAT + 1}, "x"),  # wrong position, by 1e-7 degree
        (WAYPOINT, {"y": LON - 10}, "y"),
        (WAYPOINT, {"z": 61.0}, "z"),  # wrong altitude
        (WAYPOINT, {"z": 60.01}, "z"),  # one centimetre is kept, so it counts
        (WAYPOINT, {"command": 22}, "command"),  # wrong command
        (WAYPOINT, {"frame": 0}, "frame"),  # absolute instead of relative altitude
        (WAYPOINT, {"param1": 5.0}, "param1"),  # a hold time the copter does keep
        (SPEED, {"param2": 12.0}, "param2"),  # another speed
        (SPEED, {"param1": 0.0}, "param1"),  # airspeed instead of ground speed
        (LOITER, {"param1": 31.0}, "param1"),  # another loiter time
        (LOITER, {"param3": -1.0}, "param3"),  # the other direction
    ],
)
def test_a_real_difference_still_fails(sent, change, field):
    got = replace(_read_back(sent), **change)
    wrong = differences(sent, got, AP)
    assert any(w.startswith(field + " ") for w in wrong), wrong


def test_a_field_dropped_is_not_kept_verbatim_either():
    """Frame 6 kept but param2 dropped is neither ArduPilot's form nor the item as sent."""
    got = replace(WAYPOINT, param2=0.0)
    assert differences(WAYPOINT, got, AP) != []
    (only,) = differences(WAYPOINT, got, Autopilot.EXACT)
    assert only.startswith("param2 ")


def test_float_positions_allow_float32_rounding_only():
    sent = _item(x=290525312, y=1191818369)
    close = replace(_read_back(sent), x=290525312 + 20, y=1191818369 - 100)
    assert differences(sent, close, AP, float_xy=True) == []
    assert differences(sent, close, AP) != []
    far = replace(_read_back(sent), x=290525312 + 200)
    assert differences(sent, far, AP, float_xy=True) != []
