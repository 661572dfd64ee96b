"""Flight model of one simulated copter: a kinematic point mass, wind, GPS and battery.

Pure and synchronous: `Airframe.step(dt, setpoint)` moves the vehicle `dt` simulated seconds
toward a position setpoint under speed, acceleration, climb/descent and yaw-rate limits. The frame
is local north/east/up metres from a fixed origin (the first home); the ground is flat at the
origin's altitude. Everything random comes from one seeded `random.Random`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

GRAVITY_M_S2 = 9.80665


@dataclass(slots=True)
class Limits:
    """Motion limits, normally fed from WPNAV_* parameters."""

    speed_m_s: float = 10.0
    accel_m_s2: float = 2.5
    climb_m_s: float = 2.5
    descent_m_s: float = 1.5
    vert_accel_m_s2: float = 2.5
    yaw_rate_deg_s: float = 90.0


@dataclass(frozen=True, slots=True)
class Setpoint:
    """Where the position controller is asked to go (local metres) and how fast."""

    north_m: float
    east_m: float
    up_m: float
    speed_m_s: float | None = None
    descent_m_s: float | None = None
    yaw_deg: float | None = None
    #: the trajectory's own velocity (north, east) when it moves (an ArduCopter S-curve leg):
    #: flown as feed-forward plus a correction toward the position, as AC_PosControl does
    velocity_ne: tuple[float, float] | None = None


@dataclass(slots=True)
class Wind:
    """Steady wind plus first-order (Gauss-Markov) gusts, seeded."""

    speed_m_s: float = 3.0
    from_deg: float = 180.0
    turbulence_m_s: float = 1.0
    gust_n: float = 0.0
    gust_e: float = 0.0

    def step(self, dt: float, rng: random.Random, tau_s: float = 5.0) -> tuple[float, float]:
        """Advance the gusts and return the wind velocity (north, east) it blows toward."""
        a = math.exp(-dt / tau_s)
        s = self.turbulence_m_s * math.sqrt(max(0.0, 1.0 - a * a))
        self.gust_n = a * self.gust_n + s * rng.gauss(0.0, 1.0)
        self.gust_e = a * self.gust_e + s * rng.gauss(0.0, 1.0)
        to = math.radians(self.from_deg + 180.0)
        return (
            self.speed_m_s * math.cos(to) + self.gust_n,
            self.speed_m_s * math.sin(to) + self.gust_e,
        )


@dataclass(slots=True)
class Battery:
    """A LiPo pack: capacity, open-circuit voltage by charge, internal resistance sag."""

    capacity_mah: float = 11870.0  # two 5935 mAh 12S packs: an M300-class patrol quadcopter
    cells: int = 12
    internal_ohm: float = 0.006
    consumed_mah: float = 0.0
    current_a: float = 0.0

    @property
    def remaining_pct(self) -> float:
        return max(0.0, 100.0 * (1.0 - self.consumed_mah / self.capacity_mah))

    @property
    def remaining_mah(self) -> float:
        return max(0.0, self.capacity_mah - self.consumed_mah)

    @property
    def voltage_v(self) -> float:
        frac = self.remaining_pct / 100.0
        cell = 3.3 + 0.6 * frac + 0.3 * math.sqrt(frac)  # 3.3 V empty .. 4.2 V full, knee low
        return max(0.0, self.cells * cell - self.current_a * self.internal_ohm * self.cells)

    def draw(self, current_a: float, dt: float) -> None:
        """Draw `current_a` amperes for `dt` seconds."""
        self.current_a = current_a
        self.consumed_mah = min(self.capacity_mah, self.consumed_mah + current_a * dt / 3.6)

    def sag(self, pct: float) -> None:
        """Lose `pct` percent of capacity at once (a failing cell, a cold pack)."""
        self.consumed_mah = min(
            self.capacity_mah, self.consumed_mah + self.capacity_mah * pct / 100.0
        )


@dataclass(slots=True)
class Gps:
    """GPS receiver: a fix or none, and a slowly wandering position error."""

    available: bool = True
    sigma_m: float = 0.4
    err_n: float = 0.0
    err_e: float = 0.0
    satellites: int = 16

    @property
    def fix_type(self) -> int:
        return 3 if self.available else 0

    def step(self, dt: float, rng: random.Random, tau_s: float = 20.0) -> None:
        a = math.exp(-dt / tau_s)
        s = self.sigma_m * math.sqrt(max(0.0, 1.0 - a * a))
        self.err_n = a * self.err_n + s * rng.gauss(0.0, 1.0)
        self.err_e = a * self.err_e + s * rng.gauss(0.0, 1.0)


def _approach(current: float, target: float, max_delta: float) -> float:
    delta = target - current
    if delta > max_delta:
        return current + max_delta
    if delta < -max_delta:
        return current - max_delta
    return target


@dataclass(slots=True)
class Airframe:
    """Kinematic point-mass copter in local north/east/up metres."""

    north_m: float = 0.0
    east_m: float = 0.0
    up_m: float = 0.0
    vn: float = 0.0
    ve: float = 0.0
    vu: float = 0.0
    yaw_deg: float = 0.0
    accel_n: float = 0.0
    accel_e: float = 0.0
    wind_n: float = 0.0
    wind_e: float = 0.0
    limits: Limits = field(default_factory=Limits)

    @property
    def groundspeed_m_s(self) -> float:
        return math.hypot(self.vn, self.ve)

    @property
    def airspeed_m_s(self) -> float:
        return math.hypot(self.vn - self.wind_n, self.ve - self.wind_e)

    @property
    def on_ground(self) -> bool:
        return self.up_m <= 0.05 and self.vu <= 0.05

    def attitude_rad(self) -> tuple[float, float]:
        """Roll and pitch the copter would hold to produce its acceleration against the wind."""
        yaw = math.radians(self.yaw_deg)
        # the airframe leans into the relative wind a little, and into its acceleration
        fn = self.accel_n + 0.08 * (self.vn - self.wind_n)
        fe = self.accel_e + 0.08 * (self.ve - self.wind_e)
        fwd = fn * math.cos(yaw) + fe * math.sin(yaw)
        right = -fn * math.sin(yaw) + fe * math.cos(yaw)
        return math.atan2(right, GRAVITY_M_S2), -math.atan2(fwd, GRAVITY_M_S2)

    def step(self, dt: float, sp: Setpoint | None, wind: tuple[float, float] = (0.0, 0.0)) -> None:
        """Fly `dt` seconds toward `sp` (None: stop and hold where it is)."""
        lim = self.limits
        self.wind_n, self.wind_e = wind
        # horizontal: speed toward the target that still allows braking to a stop on it
        want_n = want_e = 0.0
        accel = lim.accel_m_s2
        if sp is not None and sp.velocity_ne is not None:
            # tracking a moving target: its velocity plus P on the position error (PSC_POSXY_P
            # 1); the target itself keeps to the limits, the airframe can lean further (its
            # corners reach twice WPNAV_ACCEL)
            want_n = sp.velocity_ne[0] + (sp.north_m - self.north_m)
            want_e = sp.velocity_ne[1] + (sp.east_m - self.east_m)
            accel = 3.0 * lim.accel_m_s2
        elif sp is not None:
            dn, de = sp.north_m - self.north_m, sp.east_m - self.east_m
            dist = math.hypot(dn, de)
            if dist > 1e-3:
                cruise = sp.speed_m_s if sp.speed_m_s is not None else lim.speed_m_s
                v = min(cruise, math.sqrt(2.0 * lim.accel_m_s2 * dist), dist / dt)
                want_n, want_e = dn / dist * v, de / dist * v
        dvn, dve = want_n - self.vn, want_e - self.ve
        dv = math.hypot(dvn, dve)
        max_dv = accel * dt
        if dv > max_dv:
            dvn, dve = dvn / dv * max_dv, dve / dv * max_dv
        self.accel_n, self.accel_e = dvn / dt, dve / dt
        self.vn += dvn
        self.ve += dve
        # a little of the gust gets through the position controller as drift
        gust_n, gust_e = 0.03 * self.wind_n, 0.03 * self.wind_e
        self.north_m += (self.vn + gust_n) * dt
        self.east_m += (self.ve + gust_e) * dt
        # vertical
        want_u = 0.0
        if sp is not None:
            du = sp.up_m - self.up_m
            descent = sp.descent_m_s if sp.descent_m_s is not None else lim.descent_m_s
            v = math.sqrt(2.0 * lim.vert_accel_m_s2 * abs(du))
            want_u = (
                min(v, lim.climb_m_s, abs(du) / dt) if du > 0 else -min(v, descent, abs(du) / dt)
            )
        self.vu = _approach(self.vu, want_u, lim.vert_accel_m_s2 * dt)
        self.up_m += self.vu * dt
        if self.up_m <= 0.0:
            self.up_m = 0.0
            self.vu = max(0.0, self.vu)
            if sp is None or sp.up_m <= 0.0:
                self.vn = self.ve = 0.0
        # yaw: toward the setpoint's yaw, else along the track when moving
        target_yaw = sp.yaw_deg if sp is not None and sp.yaw_deg is not None else None
        if target_yaw is None and self.groundspeed_m_s > 1.0:
            target_yaw = math.degrees(math.atan2(self.ve, self.vn))
        if target_yaw is not None:
            err = (target_yaw - self.yaw_deg + 180.0) % 360.0 - 180.0
            self.yaw_deg = (self.yaw_deg + _approach(0.0, err, lim.yaw_rate_deg_s * dt)) % 360.0

    def stop(self) -> None:
        """Motors off on the ground: no motion at all."""
        self.vn = self.ve = self.vu = 0.0
        self.accel_n = self.accel_e = 0.0


HOVER_A = 11.0
"""Hover current at 48 V: with the drag term, about 55 minutes at 15 m/s cruise (M300 class)."""
DRAG_A_PER_M2_S2 = 0.0084
"""Current per (airspeed m/s)^2: 1.9 A at 15 m/s in still air, 4.4 A into an 8 m/s headwind
(23 m/s through the air), so a km flown home against such a wind costs a fifth more."""


def power_current_a(frame: Airframe, armed: bool) -> float:
    """Current the motors and avionics draw: idle, hover, plus cruise-drag and climb terms."""
    if not armed:
        return 0.4
    if frame.on_ground:
        return 2.5
    air = frame.airspeed_m_s
    return HOVER_A + DRAG_A_PER_M2_S2 * air * air + 3.0 * max(0.0, frame.vu)
