"""Waypoint legs flown as ArduCopter 4 flies them: S-curves blended at fast waypoints
(`simulator.scurve`), checked against the planner's estimate of the same rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from routes.flight_time import WpNav, path_time_s
from simulator.autopilot import Autopilot
from simulator.geo import ne_offset_m, offset_deg
from simulator.modes import AUTO, GUIDED
from tests.unit.simulator.gcs import HOME, Gcs, item

M = mavlink2
#: the path in north/east metres from home: a square corner at B, straight on through C
PATH = [(0.0, 0.0), (400.0, 0.0), (400.0, 400.0), (400.0, 800.0)]


def _fly(gcs: Gcs, ap: Autopilot, holds: tuple[float, ...]) -> dict[str, object]:
    """Take off, fly PATH (the first point held 1 s), record speed and position every 0.1 s
    and the times the waypoints are reached."""
    lat, lon, _ = HOME
    items = [item(0, 16, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT), item(1, 22, alt=20)]
    for k, ((n, e), hold) in enumerate(zip(PATH, holds, strict=True)):
        la, lo = offset_deg(lat, lon, n, e)
        items.append(item(2 + k, 16, la, lo, 20, p1=hold))
    items.append(item(len(items), M.MAV_CMD_NAV_RETURN_TO_LAUNCH))
    assert gcs.upload(items).type == M.MAV_MISSION_ACCEPTED
    assert gcs.set_mode(GUIDED) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == M.MAV_RESULT_ACCEPTED
    gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20)
    gcs.run_until(lambda: ap.frame.up_m > 19.5, 60)
    assert gcs.set_mode(AUTO) == M.MAV_RESULT_ACCEPTED
    reached: dict[int, float] = {}
    track: list[tuple[float, float, float, float]] = []
    last = 1 + len(PATH)
    while last not in reached and ap.t < 600:
        for m in gcs.run(0.1):
            if m.get_type() == "MISSION_CURRENT" and m.seq == 3 and 2 not in reached:
                reached[2] = ap.t  # left the first waypoint
            if m.get_type() == "MISSION_ITEM_REACHED":
                reached.setdefault(m.seq, ap.t)
        n, e = ne_offset_m(lat, lon, *ap.latlon())
        track.append((ap.t, n, e, ap.frame.groundspeed_m_s))
    return {"reached": reached, "track": np.array(track)}


def _near(track: np.ndarray, point: tuple[float, float], within_m: float) -> np.ndarray:
    return track[np.hypot(track[:, 1] - point[0], track[:, 2] - point[1]) < within_m]


def test_a_fast_waypoint_is_cut_at_speed_and_a_straight_one_flown_through(gcs, ap) -> None:
    """At the square corner the copter slows but does not stop, and passes within about
    WPNAV_RADIUS (2 m) of it; through a waypoint on a straight line it keeps cruise speed."""
    flown = _fly(gcs, ap, (1.0, 0.0, 0.0, 0.0))
    track = flown["track"]
    assert isinstance(track, np.ndarray)
    corner = _near(track, PATH[1], 30.0)
    assert 1.5 < corner[:, 3].min() < 8.0
    closest = np.hypot(track[:, 1] - PATH[1][0], track[:, 2] - PATH[1][1]).min()
    assert 0.2 < closest < 3.5
    assert _near(track, PATH[2], 30.0)[:, 3].min() > 0.95 * 10.0


def test_a_held_waypoint_is_a_stop(gcs, ap) -> None:
    """With a hold at the corner the copter comes to rest there before turning."""
    flown = _fly(gcs, ap, (1.0, 2.0, 0.0, 0.0))
    track = flown["track"]
    assert isinstance(track, np.ndarray)
    assert _near(track, PATH[1], 3.0)[:, 3].min() < 0.3


def test_the_simulator_flies_the_planners_estimate(gcs, ap) -> None:
    """From leaving the first waypoint to reaching the last, the flight takes what
    `routes.flight_time` estimates for the same limits (10 m/s, WPNAV_ACCEL 2.5), within 3 %."""
    flown = _fly(gcs, ap, (1.0, 0.0, 0.0, 0.0))
    reached = flown["reached"]
    assert isinstance(reached, dict)
    took = reached[1 + len(PATH)] - reached[2]
    xy = np.array([(e, n) for n, e in PATH])
    estimate = path_time_s(xy, WpNav(speed_m_s=10.0))
    assert took == pytest.approx(estimate, rel=0.03)
    assert math.isfinite(took)
