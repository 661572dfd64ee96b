"""ArduCopter 4's waypoint legs: jerk-limited S-curves from rest to rest, blended at corners.

As in ArduPilot's ``AP_Math/SCurve.cpp`` and ``AC_WPNav``: a straight leg between two
waypoints is flown along a profile that eases the jerk in (over a time set by the attitude time
constant), accelerates under WPNAV_ACCEL up to WPNAV_SPEED, holds, and brakes to rest at the
destination. At a fast waypoint (no hold, another waypoint next) the next leg's profile starts
while this one brakes, as soon as the middle of the overlap would be within WPNAV_RADIUS of the
waypoint, below the cruise speed and under the corner acceleration (twice WPNAV_ACCEL); the
target is the sum of the two. A leg counts as done half-way through that overlap.

>>> leg = Leg((0.0, 0.0), (1000.0, 0.0), LegLimits(speed_m_s=10.0, accel_m_s2=2.5))
>>> round(leg.end_s - 1000 / 10, 1)   # the start and the stop: one acceleration's time
6.8
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

#: WPNAV_JERK's default (m/s³) and ATC_INPUT_TC's (s), which sets the snap
JERK_M_S3 = 1.0
INPUT_TC_S = 0.15
_DT_S = 0.01


@dataclass(frozen=True, slots=True)
class LegLimits:
    """WPNAV_SPEED and WPNAV_ACCEL in SI units (and the two defaults above)."""

    speed_m_s: float
    accel_m_s2: float
    jerk_m_s3: float = JERK_M_S3

    @property
    def snap_m_s4(self) -> float:
        return self.jerk_m_s3 * math.pi / (2 * max(INPUT_TC_S, 0.1)) * 0.5

    @property
    def corner_accel_m_s2(self) -> float:
        return 2 * self.accel_m_s2  # WPNAV_ACCEL_C 0: twice WPNAV_ACCEL


def _path_times(
    sm: float, jm: float, am: float, vm: float, half_m: float
) -> tuple[float, float, float, float]:
    """``SCurve::calculate_path`` from rest: (Jm, tj, t2, t4) of the acceleration half."""
    tj = jm * math.pi / (2 * sm)
    at = min(am, vm / (2 * tj), half_m / (4 * tj * tj))
    if at <= 0:
        return 0.0, 0.0, 0.0, 0.0

    def t4_of(am: float, jm: float, tj: float) -> float:
        root = math.sqrt(
            max(0.0, am**4 / 4 + am**2 * jm**2 * tj**2 / 4 + 2 * am * jm**2 * half_m
                + am**3 * jm * tj / 2)
        )  # fmt: skip
        hi = (-1.5 * am * am + root - 1.5 * am * jm * tj) / (am * jm)
        lo = (-1.5 * am * am - root - 1.5 * am * jm * tj) / (am * jm)
        return max(0.0, min(-(-vm + am * tj + am * am / jm) / am, max(hi, lo)))

    if at < jm * tj:
        tj = min(
            tj,
            (half_m * math.pi / (8 * sm)) ** 0.25,
            (vm * math.pi / (4 * sm)) ** (1 / 3),
            math.sqrt(am * math.pi / (2 * sm)),
        )
        jm = 2 * sm * tj / math.pi
        am = jm * tj
        if vm <= 2 * am * tj or half_m <= 4 * am * tj * tj:
            return jm, tj, 0.0, 0.0
        return jm, tj, 0.0, t4_of(am, jm, tj)
    if vm < am * tj + am * am / jm or half_m < (am**3 + 2 * am * am * jm * tj) / jm**2 + am * tj**2:
        q = jm * jm * tj * tj / 9
        x = -jm * jm * half_m / 2 - jm**3 * tj**3 / 27
        c = float(np.cbrt(math.sqrt(max(0.0, x * x - q**3)) - x))
        cubic = -2 / 3 * jm * tj + (q / c if c else 0.0) + c
        disc = math.sqrt((4 * vm + jm * tj * tj) / jm)
        am = min(am, max(-jm * (tj + disc) / 2, -jm * (tj - disc) / 2), cubic)
        return jm, tj, max(0.0, am / jm - tj), 0.0
    return jm, tj, am / jm - tj, t4_of(am, jm, tj)


def _accel_half(
    lim: LegLimits, half_m: float
) -> tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The acceleration from rest for a leg of ``2 * half_m``: its duration, and distance,
    speed and acceleration every `_DT_S`, integrated from the raised-cosine jerk."""
    jm, tj, t2, t4 = _path_times(lim.snap_m_s4, lim.jerk_m_s3, lim.accel_m_s2, lim.speed_m_s,
                                 half_m)  # fmt: skip
    total = 4 * tj + 2 * t2 + t4
    if jm <= 0 or total <= 0:
        zero = np.zeros(1)
        return 0.0, zero, zero, zero
    sub = 5
    h = _DT_S / sub
    t = np.arange(0.0, total + h, h)
    bounds = np.cumsum([tj, t2, tj, t4, tj, t2, tj])
    phase = np.searchsorted(bounds, t, side="right")
    local = t - np.concatenate([[0.0], bounds])[np.minimum(phase, 7)]
    up = 0.5 * jm * (1 - np.cos(np.pi * local / tj))
    down = 0.5 * jm * (1 + np.cos(np.pi * local / tj))
    jerk = np.select(
        [phase == 0, phase == 1, phase == 2, phase == 4, phase == 5, phase == 6],
        [up, np.full_like(t, jm), down, -up, np.full_like(t, -jm), -down],
        0.0,
    )

    def integral(f: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) * h / 2)])

    accel = integral(jerk)
    speed = integral(accel)
    dist = integral(speed)
    return total, dist[::sub], speed[::sub], accel[::sub]


@dataclass(slots=True)
class Leg:
    """One straight leg in north/east metres, flown along its S-curve; ``t_s`` is its clock."""

    origin: tuple[float, float]
    dest: tuple[float, float]
    lim: LegLimits
    t_s: float = 0.0
    length_m: float = field(init=False)
    accel_s: float = field(init=False)
    cruise_s: float = field(init=False)
    _table: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] = field(
        init=False, repr=False
    )
    _unit: tuple[float, float] = field(init=False)

    def __post_init__(self) -> None:
        dn, de = self.dest[0] - self.origin[0], self.dest[1] - self.origin[1]
        self.length_m = math.hypot(dn, de)
        self._unit = (dn / self.length_m, de / self.length_m) if self.length_m > 0 else (0.0, 0.0)
        if self.length_m <= 0:
            self.accel_s, self.cruise_s = 0.0, 0.0
            self._table = (np.zeros(1), np.zeros(1), np.zeros(1))
            return
        self.accel_s, dist, speed, accel = _accel_half(self.lim, self.length_m / 2)
        top = float(speed[-1])
        reach = self.accel_s * top / 2
        self.cruise_s = max(0.0, self.length_m - 2 * reach) / top if top > 0 else 0.0
        self._table = (dist, speed, accel)

    @property
    def end_s(self) -> float:
        return 2 * self.accel_s + self.cruise_s

    @property
    def left_s(self) -> float:
        return max(0.0, self.end_s - self.t_s)

    @property
    def finished(self) -> bool:
        return self.t_s >= self.end_s

    def _half(self, t: float) -> tuple[float, float, float]:
        dist, speed, accel = self._table
        x = min(max(t, 0.0), self.accel_s) / _DT_S
        k = min(int(x), len(dist) - 1)
        k1 = min(k + 1, len(dist) - 1)
        f = x - k
        return (
            float(dist[k] + f * (dist[k1] - dist[k])),
            float(speed[k] + f * (speed[k1] - speed[k])),
            float(accel[k] + f * (accel[k1] - accel[k])),
        )

    def along(self, t: float) -> tuple[float, float, float]:
        """Distance from the origin, speed and acceleration along the leg at its time ``t``."""
        t = min(max(t, 0.0), self.end_s)
        if t <= self.accel_s:
            return self._half(t)
        cruise_end = self.accel_s + self.cruise_s
        reach = self._half(self.accel_s)[0]
        if t <= cruise_end:
            top = self._half(self.accel_s)[1]
            return reach + top * (t - self.accel_s), top, 0.0
        d, v, a = self._half(self.end_s - t)
        return self.length_m - d, v, -a

    def state(
        self, t: float
    ) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
        """Offset from the origin, velocity and acceleration (north, east) at time ``t``."""
        s, v, a = self.along(t)
        un, ue = self._unit
        return (un * s, ue * s), (un * v, ue * v), (un * a, ue * a)


def should_blend(this: Leg, nxt: Leg, radius_m: float) -> bool:
    """Whether ``nxt`` starts now (``SCurve::advance_target_along_track``): this leg braking,
    its time left within the next one's acceleration, and the middle of the overlap within
    the radius, below cruise speed and under the corner acceleration."""
    left = this.left_s
    if this.t_s < this.accel_s + this.cruise_s or left > nxt.accel_s or nxt.t_s > 0:
        return False
    p1, v1, a1 = this.state(this.t_s + left / 2)
    p2, v2, a2 = nxt.state(left / 2)
    off = (
        p1[0] - this.length_m * this._unit[0] + p2[0],
        p1[1] - this.length_m * this._unit[1] + p2[1],
    )
    vel = (v1[0] + v2[0], v1[1] + v2[1])
    acc = (a1[0] + a2[0], a1[1] + a2[1])
    return (
        math.hypot(*off) < radius_m
        and math.hypot(*vel) < this.lim.speed_m_s * (1 + 1e-6)
        and math.hypot(*acc) < this.lim.corner_accel_m_s2
    )
