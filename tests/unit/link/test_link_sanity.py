"""Range checks: impossible decoded values never reach a vehicle's state; they are counted."""

from __future__ import annotations

import math

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.camera import PhotoReports
from groundstation.link.health import LinkHealth
from groundstation.link.sanity import BAD_HOLD_S, LIMITS, TelemetryCheck, plausible
from groundstation.link.vehicle import StateBuilder

MAV = mavlink.MAVLink(None, 1, 1)
NAN, INF = math.nan, math.inf


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def good_builder() -> tuple[StateBuilder, Clock]:
    """A builder holding a plausible state: at Longyou, 10 m up, battery 87 %, heading 90°."""
    b = StateBuilder(3, 1)
    clock = Clock()
    b.check = TelemetryCheck(clock)
    b.apply(MAV.global_position_int_encode(0, 290500000, 1191700000, 50_000, 10_000, 300, 400,
                                           -100, 9000))  # fmt: skip
    b.apply(MAV.sys_status_encode(0, 0, 0, 0, 12_100, 0, 87, 0, 0, 0, 0, 0, 0))
    b.apply(MAV.vfr_hud_encode(0.0, 5.0, 90, 50, 1.0, 50.0))
    b.apply(MAV.attitude_encode(0, 0.1, -0.1, 1.0, 0, 0, 0))
    b.apply(MAV.gps_raw_int_encode(0, 3, 0, 0, 0, 0, 0, 0, 0, 12))
    b.apply(MAV.home_position_encode(290500000, 1191700000, 40_000, 0, 0, 0, [1, 0, 0, 0], 0, 0, 0))
    b.apply(MAV.wind_encode(90.0, 4.0, 0.0))
    assert b.check.rejected == 0
    return b, clock


BAD_FRAMES = [
    # (message, the fields it must leave alone, the field names counted)
    (MAV.global_position_int_encode(0, 2_147_000_000, 1191700000, 50_000, 10_000, 0, 0, 0, 9000),
     ["position"], ["lat_deg"]),
    (MAV.global_position_int_encode(0, 290500000, 1191700000, -2_147_000_000, 10_000, 0, 0, 0, 0),
     ["position"], ["alt_msl_m"]),
    (MAV.global_position_int_encode(0, 290500000, 1191700000, 50_000, -2_147_483_648, 0, 0, 0, 0),
     ["position"], ["alt_rel_m"]),
    (MAV.global_position_int_encode(0, 290500000, -1_900_000_000, 50_000, 10_000, 0, 0, 0, 0),
     ["position"], ["lon_deg"]),
    (MAV.global_position_int_encode(0, 290500000, 1191700000, 50_000, 10_000, 32_000, 0, 0, 9000),
     ["velocity_ned_m_s", "speed_m_s"], ["velocity_m_s", "speed_m_s"]),
    (MAV.global_position_int_encode(0, 290500000, 1191700000, 50_000, 10_000, 300, 400, -100,
                                    40_000), ["heading_deg"], ["heading_deg"]),
    (MAV.sys_status_encode(0, 0, 0, 0, 12_100, 0, 127, 0, 0, 0, 0, 0, 0),
     ["battery_pct"], ["battery_pct"]),
    (MAV.sys_status_encode(0, 0, 0, 0, 12_100, 0, -5, 0, 0, 0, 0, 0, 0),
     ["battery_pct"], ["battery_pct"]),
    (MAV.battery_status_encode(0, 0, 0, 0, [65535] * 10, 0, 0, 0, 110),
     ["battery_pct"], ["battery_pct"]),
    (MAV.vfr_hud_encode(0.0, INF, 90, 50, 1.0, 50.0), ["speed_m_s"], ["speed_m_s"]),
    (MAV.vfr_hud_encode(0.0, 5.0, 400, 50, 1.0, 50.0), ["heading_deg"], ["heading_deg"]),
    (MAV.vfr_hud_encode(0.0, 5.0, 90, 50, 50.0, NAN), ["climb_m_s"], ["climb_m_s"]),
    (MAV.attitude_encode(0, NAN, -INF, NAN, 0, 0, 0), ["roll_deg", "pitch_deg", "yaw_deg"],
     ["roll_deg", "pitch_deg", "yaw_deg"]),
    (MAV.gps_raw_int_encode(0, 200, 0, 0, 0, 0, 0, 0, 0, 12), ["gps_fix"], ["gps_fix"]),
    (MAV.gps_raw_int_encode(0, 3, 0, 0, 0, 0, 0, 0, 0, 254), ["satellites"], ["satellites"]),
    (MAV.home_position_encode(-1_000_000_000, 1191700000, 40_000, 0, 0, 0, [1, 0, 0, 0], 0, 0, 0),
     ["home"], ["lat_deg"]),
    (MAV.wind_encode(NAN, INF, 0.0), ["wind_speed_m_s", "wind_dir_deg"],
     ["wind_dir_deg", "wind_speed_m_s"]),
]  # fmt: skip


@pytest.mark.parametrize(("msg", "kept", "counted"), BAD_FRAMES)
def test_impossible_value_is_dropped_counted_and_the_last_good_one_kept(msg, kept, counted):
    """Each impossible value leaves the previous good value in place, is counted under its
    field name, and flags the vehicle's telemetry ``bad``."""
    b, _ = good_builder()
    before = b.build(LinkHealth())
    b.apply(msg)
    after = b.build(LinkHealth())
    for name in kept:
        assert getattr(after, name) == getattr(before, name), name
    assert sorted(b.check.by_field) == sorted(counted)
    assert after.telemetry.status == "bad"
    assert after.telemetry.rejected == sum(b.check.by_field.values())
    assert after.telemetry.last_field in counted


def test_bad_flag_clears_after_a_clean_spell_but_the_count_stays():
    """``bad`` holds for BAD_HOLD_S after the last impossible value; ``rejected`` never resets."""
    b, clock = good_builder()
    b.apply(MAV.sys_status_encode(0, 0, 0, 0, 12_100, 0, 127, 0, 0, 0, 0, 0, 0))
    assert b.build(LinkHealth()).telemetry.status == "bad"
    clock.now += BAD_HOLD_S + 0.1
    b.apply(MAV.sys_status_encode(0, 0, 0, 0, 12_100, 0, 80, 0, 0, 0, 0, 0, 0))
    st = b.build(LinkHealth())
    assert st.telemetry.status == "ok"
    assert st.telemetry.rejected == 1
    assert st.battery_pct == 80.0


def test_plausible_values_at_the_limits_pass_and_unknown_markers_are_not_counted():
    """Edge values are accepted; the MAVLink 'unknown' markers are skipped, not counted."""
    b, _ = good_builder()
    b.apply(MAV.sys_status_encode(0, 0, 0, 0, 65535, 0, -1, 0, 0, 0, 0, 0, 0))  # both unknown
    b.apply(MAV.sys_status_encode(0, 0, 0, 0, 12_100, 0, 100, 0, 0, 0, 0, 0, 0))
    b.apply(MAV.global_position_int_encode(0, -900000000, 1800000000, 0, 0, 0, 0, 0, 65535))
    st = b.build(LinkHealth())
    assert b.check.rejected == 0
    assert st.battery_pct == 100.0
    assert st.position is not None
    assert (st.position.lat_deg, st.position.lon_deg) == (-90.0, 180.0)


def test_every_limit_refuses_nan_and_infinity():
    for name in LIMITS:
        assert not plausible(name, NAN)
        assert not plausible(name, INF)
        assert not plausible(name, -INF)


def test_photo_at_an_impossible_place_is_kept_without_a_position_and_counted():
    """The shot happened (it is counted as a photo) but its position is not believed."""
    check = TelemetryCheck()
    msg = MAV.camera_feedback_encode(42_000_000, 255, 0, 7, 2_147_000_000, 1191700000,
                                     95.5, NAN, 0.0, 0.0, 90.0, 0.0, 0, 8)  # fmt: skip
    photo = PhotoReports().photo_of(msg, 1_800_000_000.0, check)
    assert photo is not None
    assert photo.index == 7
    assert photo.position is None
    assert sorted(check.by_field) == ["alt_rel_m", "lat_deg"]
