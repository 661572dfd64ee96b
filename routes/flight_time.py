"""How long an ArduCopter takes to fly a path of waypoints in AUTO: a speed-profile estimate.

ArduCopter 4 (AC_WPNav with S-curves) flies every straight leg between two waypoints as a
jerk-limited profile from rest to rest: speed rises to ``WPNAV_SPEED`` under ``WPNAV_ACCEL``
and ``WPNAV_JERK`` (the jerk itself eased in over a time set by ``ATC_INPUT_TC``), holds, and
falls back to rest at the next waypoint. At a waypoint it does not stop at (a "fast
waypoint"), the next leg's profile starts while this one is still braking, and the two are
added: the corner is cut and flown at the speed their sum leaves. The overlap starts as soon
as, at the middle of the overlap, the vehicle would be within ``WPNAV_RADIUS`` of the
waypoint, slower than the cruise speed and with less lateral acceleration than
``WPNAV_ACCEL_C`` (twice ``WPNAV_ACCEL`` when 0). A gentle bend therefore costs nearly nothing,
a square corner a few seconds and a U-turn almost a full stop; this module counts each from
the same rules (`AP_Math/SCurve.cpp`, `AC_WPNav.cpp` in ArduPilot), for straight legs at a
constant altitude. Waypoints close together are flown slowly, as ArduCopter flies them: a leg
too short to reach cruise speed is flown at the top of its own short profile.

>>> from shapely.geometry import LineString
>>> nav = WpNav(speed_m_s=10.0)
>>> straight = path_time_s(LineString([(0, 0), (1000, 0)]), nav)
>>> round(straight - 1000 / 10, 1)          # the start and the stop: one acceleration's time
6.8
>>> bent = path_time_s(LineString([(0, 0), (500, 0), (1000, 0)]), nav)
>>> abs(bent - straight) < 1e-9            # a waypoint on the way costs nothing
True
>>> [round(corner_loss_s(deg, nav), 1) for deg in (30, 90, 180)]
[0.8, 2.4, 2.9]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import LineString

from routes.errors import PlanningError

#: time step of the tabulated profiles (s): the overlap at a corner is found to this step
_DT_S = 0.01
#: sub-steps of `_DT_S` the jerk is integrated over
_SUB = 5
#: relative width of the length bins that legs too short to reach cruise are grouped in
_BIN = 0.02


@dataclass(frozen=True, slots=True)
class WpNav:
    """ArduCopter's waypoint navigation limits (the AC_WPNav parameters), in SI units.

    Defaults are ArduCopter 4.5+'s, at the planner's default cruise speed.

    >>> WpNav(accel_m_s2=0)
    Traceback (most recent call last):
    routes.errors.PlanningError: WPNAV_ACCEL must be positive, got 0 m/s²
    """

    speed_m_s: float = 15.0  # WPNAV_SPEED, or the mission's DO_CHANGE_SPEED
    accel_m_s2: float = 2.5  # WPNAV_ACCEL
    corner_accel_m_s2: float = 0.0  # WPNAV_ACCEL_C (0: twice WPNAV_ACCEL)
    jerk_m_s3: float = 1.0  # WPNAV_JERK
    radius_m: float = 2.0  # WPNAV_RADIUS
    input_tc_s: float = 0.15  # ATC_INPUT_TC: how fast the jerk itself may change (snap)

    def __post_init__(self) -> None:
        checks = (
            ("WPNAV_SPEED", self.speed_m_s, "m/s"),
            ("WPNAV_ACCEL", self.accel_m_s2, "m/s²"),
            ("WPNAV_JERK", self.jerk_m_s3, "m/s³"),
            ("WPNAV_RADIUS", self.radius_m, "m"),
        )
        for name, value, unit in checks:
            if not (value > 0 and math.isfinite(value)):
                raise PlanningError(f"{name} must be positive, got {value:g} {unit}")
        if not self.corner_accel_m_s2 >= 0:
            raise PlanningError(f"WPNAV_ACCEL_C must be >= 0, got {self.corner_accel_m_s2:g}")

    @property
    def corner_accel(self) -> float:
        return self.corner_accel_m_s2 if self.corner_accel_m_s2 > 0 else 2 * self.accel_m_s2

    @property
    def snap_m_s4(self) -> float:
        """AC_WPNav's snap limit: the jerk eased in over the attitude time constant, halved."""
        return self.jerk_m_s3 * math.pi / (2 * max(self.input_tc_s, 0.1)) * 0.5


@dataclass(frozen=True, slots=True)
class _Profile:
    """The acceleration half of a leg's rest-to-rest profile, tabulated every `_DT_S`."""

    accel_s: float  # time to the top speed
    top_m_s: float  # the top speed reached
    dist_m: NDArray[np.float64]  # distance covered after k steps
    speed: NDArray[np.float64]
    accel: NDArray[np.float64]


def _path_times(
    sm: float, jm: float, am: float, vm: float, half_m: float
) -> tuple[float, float, float, float]:
    """ArduPilot's ``SCurve::calculate_path`` from rest: (Jm, tj, t2, t4) of the acceleration
    half, for a leg whose half length is ``half_m``."""
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
        c = np.cbrt(math.sqrt(max(0.0, x * x - q**3)) - x)
        cubic = -2 / 3 * jm * tj + (q / c if c else 0.0) + c
        disc = math.sqrt((4 * vm + jm * tj * tj) / jm)
        am = min(am, max(-jm * (tj + disc) / 2, -jm * (tj - disc) / 2), float(cubic))
        return jm, tj, max(0.0, am / jm - tj), 0.0
    return jm, tj, am / jm - tj, t4_of(am, jm, tj)


@lru_cache(maxsize=4096)
def _profile(nav: WpNav, half_m: float) -> _Profile:
    """The acceleration half for a leg of ``2 * half_m`` (``inf``: a leg long enough for cruise),
    integrated from its raised-cosine jerk."""
    half = half_m if math.isfinite(half_m) else 1e9
    jm, tj, t2, t4 = _path_times(nav.snap_m_s4, nav.jerk_m_s3, nav.accel_m_s2, nav.speed_m_s, half)
    total = 4 * tj + 2 * t2 + t4
    if jm <= 0 or total <= 0:
        zero = np.zeros(1)
        return _Profile(0.0, 0.0, zero, zero, zero)
    h = _DT_S / _SUB
    t = np.arange(0.0, total + h, h)
    bounds = np.cumsum([tj, t2, tj, t4, tj, t2, tj])
    phase = np.searchsorted(bounds, t, side="right")
    local = t - np.concatenate([[0.0], bounds])[np.minimum(phase, 7)]
    ramp_up = 0.5 * jm * (1 - np.cos(np.pi * local / tj)) if tj > 0 else np.zeros_like(t)
    ramp_down = 0.5 * jm * (1 + np.cos(np.pi * local / tj)) if tj > 0 else np.zeros_like(t)
    jerk = np.select(
        [phase == 0, phase == 1, phase == 2, phase == 4, phase == 5, phase == 6],
        [ramp_up, np.full_like(t, jm), ramp_down, -ramp_up, np.full_like(t, -jm), -ramp_down],
        0.0,
    )

    def integral(f: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) * h / 2)])

    accel = integral(jerk)
    speed = integral(accel)
    dist = integral(speed)
    step = slice(None, None, _SUB)
    top = float(speed[-1])
    top = nav.speed_m_s if abs(top - nav.speed_m_s) < 1e-6 * nav.speed_m_s else top  # rounding
    return _Profile(total, top, dist[step], speed[step], np.maximum(accel[step], 0))


def _full_m(nav: WpNav) -> float:
    """The shortest leg that reaches cruise speed."""
    cruise = _profile(nav, math.inf)
    return cruise.accel_s * cruise.top_m_s


@dataclass(frozen=True, slots=True)
class _Legs:
    """The profiles of a path's legs, stacked: row ``k`` of each table is profile ``k``."""

    of_leg: NDArray[np.int64]  # profile row of each leg
    leg_s: NDArray[np.float64]  # each leg's rest-to-rest time
    accel_s: NDArray[np.float64]  # per profile
    dist: NDArray[np.float64]  # per profile x step
    speed: NDArray[np.float64]
    accel: NDArray[np.float64]


def _legs(lengths: NDArray[np.float64], nav: WpNav) -> _Legs:
    """Each leg's profile: the cruise one for legs long enough to reach cruise speed, else the
    one of its length rounded into a bin `_BIN` wide (shorter legs share profiles)."""
    full = _full_m(nav)
    keys = np.where(
        lengths >= full, 0, np.round(np.log(np.maximum(lengths, 1e-3)) / math.log1p(_BIN)) + 1e6
    ).astype(np.int64)
    uniq, of_leg = np.unique(keys, return_inverse=True)
    profiles = [
        _profile(nav, math.inf if k == 0 else math.exp((k - 1e6) * math.log1p(_BIN)) / 2)
        for k in uniq.tolist()
    ]
    steps = max(len(p.dist_m) for p in profiles)

    def stack(field: str) -> NDArray[np.float64]:
        out = np.zeros((len(profiles), steps))
        for i, p in enumerate(profiles):
            v = getattr(p, field)
            out[i, : len(v)] = v
            out[i, len(v) :] = v[-1] if field != "accel" else 0.0
        return out

    of_leg = of_leg.reshape(-1)
    accel_s = np.array([p.accel_s for p in profiles])
    top = np.array([max(p.top_m_s, 1e-9) for p in profiles])
    # (the acceleration is symmetric about its middle: it covers half its top speed's worth)
    reach = accel_s * top / 2
    leg_s = 2 * accel_s[of_leg] + np.maximum(0.0, lengths - 2 * reach[of_leg]) / top[of_leg]
    return _Legs(
        of_leg,
        leg_s,
        accel_s,
        stack("dist_m"),
        stack("speed"),
        stack("accel"),
    )


def _overlaps(
    legs: _Legs, a: NDArray[np.int64], b: NDArray[np.int64], cos_turn: NDArray[np.float64],
    nav: WpNav,
) -> NDArray[np.float64]:  # fmt: skip
    """For each corner (incoming profile row ``a[i]``, outgoing ``b[i]``, turn of cosine
    ``cos_turn[i]``): how long the two legs are flown together (``SCurve::
    advance_target_along_track``). The overlap is the longest one, up to the shorter of the
    braking and the acceleration, whose middle is within the radius, below cruise speed and
    under the corner acceleration: each of the three grows with the overlap over that range,
    so the longest is found by bisection."""
    if len(a) == 0:
        return np.zeros(0)
    vmax2 = (nav.speed_m_s * (1 + 1e-6)) ** 2
    r2, c2 = nav.radius_m**2, nav.corner_accel**2

    def ok(k: NDArray[np.int64]) -> NDArray[np.bool_]:
        # the middle of an overlap of 2 k steps is k steps from the end of a, into b
        pa, pb = legs.dist[a, k], legs.dist[b, k]
        va, vb = legs.speed[a, k], legs.speed[b, k]
        aa, ab = legs.accel[a, k], legs.accel[b, k]
        off2 = pa * pa + pb * pb - 2 * pa * pb * cos_turn  # behind on a, ahead on b
        vel2 = va * va + vb * vb + 2 * va * vb * cos_turn
        acc2 = aa * aa + ab * ab - 2 * aa * ab * cos_turn  # braking on a, speeding up on b
        return np.asarray((off2 < r2) & (vel2 < vmax2) & (acc2 < c2))

    kmax = np.floor(np.minimum(legs.accel_s[a], legs.accel_s[b]) / (2 * _DT_S) + 1e-9)
    lo = np.zeros(len(a), dtype=np.int64)
    hi = kmax.astype(np.int64) + 1
    while True:
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = (lo + hi) // 2
        good = ok(np.minimum(mid, legs.dist.shape[1] - 1))
        lo = np.where(open_ & good, mid, lo)
        hi = np.where(open_ & ~good, mid, hi)
    return np.asarray(2 * lo * _DT_S, dtype=float)


def polyline_time_s(
    xy: NDArray[np.float64], nav: WpNav, stops: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """Seconds lost, at each vertex of ``xy`` (n x 2), against flying the whole path at cruise
    speed; the path starts and ends at rest, and at rest at each vertex where ``stops`` is true
    (a loiter). ``path length / speed + the sum`` is the path's flight time.

    Each leg's rest-to-rest profile takes longer than its length at cruise; half of that is
    charged to each of its ends, less, at a corner, the time the two legs are flown together.
    Repeated points are stepped over (their loss is 0).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    loss = np.zeros(len(xy))
    d = np.diff(xy, axis=0)
    seg = np.hypot(d[:, 0], d[:, 1]) if len(xy) > 1 else np.zeros(0)
    moving = np.flatnonzero(seg > 1e-6)
    if len(moving) == 0:
        return loss
    lengths = seg[moving]
    legs = _legs(lengths, nav)
    extra = legs.leg_s - lengths / nav.speed_m_s
    # each leg's ends: where it starts, and where the next leg starts (past repeated points)
    ends = np.append(moving[1:], moving[-1] + 1)
    np.add.at(loss, moving, extra / 2)
    np.add.at(loss, ends, extra / 2)
    if len(moving) > 1:
        h = np.arctan2(d[moving, 1], d[moving, 0])
        cos_turn = np.cos(np.diff(h))
        at = moving[1:]  # the vertex each corner is at (where the next moving leg starts)
        free = np.ones(len(at), dtype=bool)
        if stops is not None:  # a stop on a repeated point counts too
            stop = np.asarray(stops, dtype=bool)
            free = ~(stop[at] | stop[moving[:-1] + 1])
        i = np.flatnonzero(free)
        over = _overlaps(legs, legs.of_leg[i], legs.of_leg[i + 1], cos_turn[i], nav)
        np.subtract.at(loss, at[i], over)
    return loss


def path_time_s(
    line: LineString | NDArray[np.float64], nav: WpNav, stops: NDArray[np.bool_] | None = None
) -> float:
    """Seconds to fly ``line`` waypoint to waypoint, from rest to rest (no take-off, landing or
    loiter time; ``stops`` marks vertices flown to a stop)."""
    xy = np.asarray(line.coords if isinstance(line, LineString) else line, dtype=float)
    xy = xy[:, :2].reshape(-1, 2)
    if len(xy) < 2:
        return 0.0
    length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    return length / nav.speed_m_s + float(polyline_time_s(xy, nav, stops).sum())


def corner_loss_s(turn_deg: float, nav: WpNav) -> float:
    """Seconds a corner of ``turn_deg`` costs between two legs long enough to reach cruise."""
    a = math.radians(turn_deg)
    xy = np.array([(-1e4, 0.0), (0.0, 0.0), (1e4 * math.cos(a), 1e4 * math.sin(a))])
    return float(polyline_time_s(xy, nav)[1])


def stop_s(nav: WpNav) -> float:
    """Seconds a full stop at a waypoint costs between two legs at cruise (brake and speed up
    again): one acceleration's time."""
    return _profile(nav, math.inf).accel_s
