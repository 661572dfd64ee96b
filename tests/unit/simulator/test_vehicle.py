"""The flight model: limits respected, wind and GPS noise seeded, battery sag under load."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from simulator.autopilot import Autopilot
from simulator.vehicle import Airframe, Battery, Limits, Setpoint, Wind


def test_speed_acceleration_and_climb_limits() -> None:
    """Flying to a far point never exceeds the speed, acceleration and climb limits."""
    f = Airframe(limits=Limits(speed_m_s=8, accel_m_s2=2, climb_m_s=2.5, descent_m_s=1))
    sp = Setpoint(1000, 500, 60)
    prev = (0.0, 0.0, 0.0)
    for _ in range(600):
        f.step(0.1, sp)
        assert f.groundspeed_m_s <= 8 + 1e-9
        assert math.hypot(f.vn - prev[0], f.ve - prev[1]) <= 2 * 0.1 + 1e-9
        assert f.vu <= 2.5 + 1e-9
        prev = (f.vn, f.ve, f.vu)
    assert f.up_m == pytest.approx(60)
    for _ in range(100):
        f.step(0.1, Setpoint(f.north_m, f.east_m, 0))
        assert f.vu >= -1 - 1e-9


def test_reaches_and_stops_on_target_without_overshoot() -> None:
    """The braking profile stops on the target (within centimetres, no wide overshoot)."""
    f = Airframe()
    f.up_m = 20
    target = Setpoint(300, -200, 20)
    furthest = 0.0
    for _ in range(1200):
        f.step(0.1, target)
        furthest = max(furthest, math.hypot(f.north_m, f.east_m))
    assert math.hypot(f.north_m - 300, f.east_m + 200) < 0.05
    assert furthest < math.hypot(300, 200) + 1.0


def test_yaw_rate_limited_and_follows_track() -> None:
    """Heading turns toward the direction of travel no faster than the yaw-rate limit."""
    f = Airframe(limits=Limits(yaw_rate_deg_s=30))
    f.up_m = 10
    headings = []
    for _ in range(200):
        f.step(0.1, Setpoint(0, 500, 10))
        headings.append(f.yaw_deg)
    steps = [abs((b - a + 180) % 360 - 180) for a, b in itertools.pairwise(headings)]
    assert max(steps) <= 3.0 + 1e-9
    assert headings[-1] == pytest.approx(90, abs=1)


def test_wind_is_seeded() -> None:
    """The same seed gives the same gusts; another seed gives others."""

    def series(seed: int, n: int = 50) -> list[tuple[float, float]]:
        rng, w = random.Random(seed), Wind(speed_m_s=5, from_deg=270, turbulence_m_s=2)
        return [w.step(0.1, rng) for _ in range(n)]

    assert series(1) == series(1)
    assert series(1) != series(2)
    long = series(3, 10_000)
    mean_n, mean_e = sum(n for n, _ in long) / len(long), sum(e for _, e in long) / len(long)
    assert mean_e == pytest.approx(5, abs=1)  # blowing from the west toward the east
    assert mean_n == pytest.approx(0, abs=1)


def test_battery_sags_under_load_and_drains() -> None:
    """Voltage drops under current and with charge used; percentage follows mAh consumed."""
    b = Battery(capacity_mah=10000, cells=6)
    rest = b.voltage_v
    b.draw(30, 0.1)
    assert b.voltage_v < rest
    b.draw(20, 900)  # 15 minutes at 20 A = 5000 mAh
    assert b.remaining_pct == pytest.approx(50, abs=0.2)
    b.current_a = 0
    assert b.voltage_v < rest


def test_same_seed_same_flight() -> None:
    """Two vehicles with the same seed fly identical trajectories; GPS noise differs by seed."""

    def flight(seed: int) -> tuple[tuple[float, float], tuple[float, float]]:
        ap = Autopilot(1, seed=seed)
        ap.set_mode(4)
        ap.arm()
        ap.guided_takeoff(15)
        ap.update(40)
        return ap.latlon(), ap.gps_latlon()

    assert flight(5) == flight(5)
    assert flight(5)[1] != flight(6)[1]
