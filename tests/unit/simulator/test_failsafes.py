"""Failsafes: battery low and critical, GCS lost, geofence, GPS lost."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.geo import ne_offset_m
from simulator.mission_items import FENCE, RALLY
from simulator.modes import AUTO, GUIDED, LAND, RTL
from tests.unit.simulator.gcs import HOME, Gcs, item, survey_mission

M = mavlink2


def _airborne(gcs: Gcs, ap: Autopilot) -> None:
    gcs.set_mode(GUIDED)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20)
    gcs.run(15)
    assert ap.flying


def test_battery_low_triggers_rtl(gcs: Gcs, ap: Autopilot) -> None:
    """Falling below BATT_LOW_MAH in flight switches to RTL and says so."""
    _airborne(gcs, ap)
    ap.battery.sag(87.0)  # 13 % left: under BATT_LOW_MAH (15 %), above critical (8 %)
    gcs.run(1)
    assert ap.mode == RTL
    assert any("Battery 1 is low" in t for t in gcs.texts())
    assert ap.failsafes.battery_level == 1


def test_battery_critical_triggers_land(gcs: Gcs, ap: Autopilot) -> None:
    """Falling below BATT_CRT_MAH lands where it is, and it then disarms on the ground."""
    _airborne(gcs, ap)
    ap.battery.sag(93.0)
    gcs.run(1)
    assert ap.mode == LAND
    gcs.run_until(lambda: not ap.armed, 300)


def test_battery_drains_in_a_long_mission_until_rtl(gcs: Gcs, ap: Autopilot) -> None:
    """A mission that outlasts the battery ends in a battery RTL and a landing at home."""
    lat, lon, _ = HOME
    items = [item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT), item(1, 22, alt=20)]
    items += [item(2, M.MAV_CMD_NAV_LOITER_UNLIM, lat + 0.002, lon, 20)]
    gcs.upload(items)
    gcs.set_mode(AUTO)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    ap.battery.sag(75.0)  # start the loiter with a quarter of the pack
    gcs.run_until(lambda: ap.mode == RTL, 3600)
    assert 14 < ap.battery.remaining_pct < 15.5
    gcs.run_until(lambda: not ap.armed, 600)


def test_gcs_loss_triggers_rtl_only_when_enabled(gcs: Gcs, ap: Autopilot) -> None:
    """With FS_GCS_ENABLE=1 a GCS silent for FS_GCS_TIMEOUT triggers RTL; disabled, nothing."""
    heartbeat = gcs.mav.heartbeat_encode(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)
    gcs.send(heartbeat)
    _airborne(gcs, ap)
    gcs.run(10)
    assert ap.mode == GUIDED  # disabled by default, as ArduCopter
    ap.params.set("FS_GCS_ENABLE", 1)
    gcs.send(heartbeat)
    for _ in range(4):
        gcs.run(1)
        gcs.send(heartbeat)
    assert ap.mode == GUIDED
    gcs.run(6)
    assert ap.mode == RTL
    assert "GCS Failsafe" in gcs.texts()
    gcs.send(heartbeat)
    assert "GCS Failsafe Cleared" in gcs.texts()


def test_fence_polygon_breach_triggers_rtl(gcs: Gcs, ap: Autopilot) -> None:
    """Flying out of an uploaded inclusion polygon with the fence on triggers RTL."""
    lat, lon, _ = HOME
    corners = [(-0.001, -0.001), (-0.001, 0.001), (0.001, 0.001), (0.001, -0.001)]
    fence = [
        item(
            i,
            M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
            lat + dy,
            lon + dx,
            p1=4,
            mission_type=FENCE,
        )
        for i, (dy, dx) in enumerate(corners)
    ]
    gcs.upload(fence, FENCE)
    ap.params.set("FENCE_ENABLE", 1)
    ap.params.set("FENCE_TYPE", 4)
    _airborne(gcs, ap)
    gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, lat + 0.003, lon, 20)
    gcs.run_until(lambda: ap.mode == RTL, 120)
    assert "Fence breached" in gcs.texts()
    assert ap.failsafes.fence_breach_count == 1


def test_fence_altitude_breach(gcs: Gcs, ap: Autopilot) -> None:
    """Climbing above FENCE_ALT_MAX with the fence enabled triggers RTL."""
    ap.params.set("FENCE_ENABLE", 1)
    ap.params.set("FENCE_ALT_MAX", 30)
    _airborne(gcs, ap)
    gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, HOME[0], HOME[1], 50)
    gcs.run_until(lambda: ap.mode == RTL, 60)
    assert ap.failsafes.fence_breach_type == M.FENCE_BREACH_MAXALT


def test_gps_loss_in_flight_lands(gcs: Gcs, ap: Autopilot) -> None:
    """Losing GPS in a position mode switches to LAND (EKF failsafe) and clears when it returns."""
    gcs.upload(survey_mission(0.003))
    gcs.set_mode(AUTO)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    gcs.run(25)
    ap.gps_lost_until = ap.t + 20
    got = gcs.run(2)
    assert ap.mode == LAND
    assert any(m.get_type() == "GPS_RAW_INT" and m.fix_type == 0 for m in got)
    gcs.run(20)
    assert "EKF failsafe cleared" in gcs.texts()


def test_rtl_goes_to_the_nearest_rally_point(gcs: Gcs, ap: Autopilot) -> None:
    """With a rally point nearer than home, RTL (here from a battery failsafe) lands there."""
    lat, lon, _ = HOME
    rally = (lat + 0.004, lon + 0.001)
    gcs.upload([item(0, M.MAV_CMD_NAV_RALLY_POINT, *rally, 30, mission_type=RALLY)], RALLY)
    _airborne(gcs, ap)
    gcs.command(M.MAV_CMD_DO_REPOSITION, -1, 0, 0, 0, lat + 0.0035, lon, 20)
    gcs.run(60)
    ap.battery.sag(87.0)
    gcs.run_until(lambda: not ap.armed, 600)
    assert ne_offset_m(*rally, *ap.latlon()) == pytest.approx((0, 0), abs=2.5)
