"""Flight behaviours the modes and the mission are built from: hold, go to, take off, land, RTL.

Each behaviour turns the vehicle's state into a position `Setpoint` every physics step and says
when it is `done`. They hold no reference to the autopilot; what they need is passed in as a
`NavContext` (position, home, the parameters that shape them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from simulator.scurve import Leg, should_blend
from simulator.vehicle import Airframe, Setpoint


@dataclass(frozen=True, slots=True)
class NavContext:
    """What a behaviour may read: the airframe and a few parameters in SI units."""

    frame: Airframe
    home_n: float
    home_e: float
    home_up: float
    cruise_m_s: float
    descent_m_s: float
    land_speed_m_s: float
    land_alt_low_m: float
    rtl_alt_m: float
    rtl_alt_final_m: float
    rtl_loiter_s: float
    rtl_speed_m_s: float


class Behaviour(Protocol):
    done: bool
    landing: bool

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None: ...


@dataclass(slots=True)
class Hold:
    """Stay at one point (LOITER, BRAKE, GUIDED with no target, end of a mission)."""

    n: float
    e: float
    up: float
    done: bool = False
    landing: bool = False

    @classmethod
    def here(cls, frame: Airframe) -> Hold:
        """Hold where the vehicle will come to a stop braking from its current velocity."""
        speed = frame.groundspeed_m_s
        k = speed / (2.0 * frame.limits.accel_m_s2)
        up_k = abs(frame.vu) / (2.0 * frame.limits.vert_accel_m_s2)
        return cls(
            frame.north_m + frame.vn * k, frame.east_m + frame.ve * k, frame.up_m + frame.vu * up_k
        )

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None:
        return Setpoint(self.n, self.e, self.up)


@dataclass(slots=True)
class Goto:
    """Fly to a point at cruise speed (or `speed_m_s`); done within `radius_m` of it."""

    n: float
    e: float
    up: float
    radius_m: float = 2.0
    speed_m_s: float | None = None
    done: bool = False
    landing: bool = False

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None:
        f = ctx.frame
        if math.hypot(self.n - f.north_m, self.e - f.east_m) <= self.radius_m and abs(
            self.up - f.up_m
        ) <= max(1.0, self.radius_m / 2):
            self.done = True
        return Setpoint(self.n, self.e, self.up, self.speed_m_s or ctx.cruise_m_s)


@dataclass(slots=True)
class Track:
    """Fly a waypoint leg as ArduCopter 4 does (`simulator.scurve`): along its S-curve from
    rest, blending into ``nxt`` (the leg after a fast waypoint) at the corner, with what is
    left of ``prev`` (the leg before) added while it finishes. Done half-way through the
    blend, or, at a waypoint it stops at, once the profile ends within ``radius_m``."""

    this: Leg
    up: float
    radius_m: float
    prev: Leg | None = None
    nxt: Leg | None = None
    done: bool = False
    landing: bool = False
    paused_at: tuple[float, float] | None = None

    def restarted(self, here: tuple[float, float]) -> Track:
        """The same waypoint flown again from ``here`` (after a pause), from rest."""
        nxt = Leg(self.nxt.origin, self.nxt.dest, self.nxt.lim) if self.nxt else None
        return Track(Leg(here, self.this.dest, self.this.lim), self.up, self.radius_m, None, nxt)

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None:
        f = ctx.frame
        # the target is this leg's origin plus each running leg's offset along its profile:
        # the previous leg's from its destination (this origin), this one's and the next
        # one's (from this destination) from their origins, as AC_WPNav adds them
        self.this.t_s += dt
        if (
            self.nxt is not None
            and self.nxt.t_s == 0
            and should_blend(self.this, self.nxt, self.radius_m)
        ):
            self.nxt.t_s = 1e-9
        n, e = self.this.origin
        vn = ve = 0.0
        running: list[tuple[Leg, bool]] = [(self.this, False)]
        if self.prev is not None:
            self.prev.t_s += dt
            running.append((self.prev, True))
        if self.nxt is not None and self.nxt.t_s > 0:
            self.nxt.t_s += dt
            running.append((self.nxt, False))
        for leg, to_dest in running:
            p, v, _ = leg.state(leg.t_s)
            if to_dest:
                p = (p[0] - (leg.dest[0] - leg.origin[0]), p[1] - (leg.dest[1] - leg.origin[1]))
            n, e, vn, ve = n + p[0], e + p[1], vn + v[0], ve + v[1]
        if self.nxt is not None and self.nxt.t_s > 0:
            self.done = self.nxt.t_s >= self.this.left_s  # half-way through the corner
        elif self.this.finished:
            near = math.hypot(self.this.dest[0] - f.north_m, self.this.dest[1] - f.east_m)
            self.done = near <= self.radius_m and abs(self.up - f.up_m) <= max(
                1.0, self.radius_m / 2
            )
        return Setpoint(n, e, self.up, velocity_ne=(vn, ve))


@dataclass(slots=True)
class Takeoff:
    """Climb straight up to `up` metres above the origin."""

    n: float
    e: float
    up: float
    done: bool = False
    landing: bool = False

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None:
        if ctx.frame.up_m >= self.up - 0.5:
            self.done = True
        return Setpoint(self.n, self.e, self.up)


@dataclass(slots=True)
class Land:
    """Fly to (n, e) if given, then descend, slowing to LAND_SPEED below LAND_ALT_LOW."""

    n: float | None = None
    e: float | None = None
    done: bool = False
    landing: bool = True

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None:
        f = ctx.frame
        if self.n is not None and self.e is not None:
            if math.hypot(self.n - f.north_m, self.e - f.east_m) > 1.0:
                return Setpoint(self.n, self.e, f.up_m, ctx.cruise_m_s)
        else:
            self.n, self.e = f.north_m, f.east_m
        if f.on_ground:
            self.done = True
        speed = ctx.land_speed_m_s if f.up_m <= ctx.land_alt_low_m else ctx.descent_m_s
        return Setpoint(self.n, self.e, -5.0, descent_m_s=speed)


@dataclass(slots=True)
class Rtl:
    """ArduCopter RTL: climb to RTL_ALT, fly home (or to `target`, the nearest rally point),
    loiter, then land (or hold RTL_ALT_FINAL)."""

    target: tuple[float, float] | None = None
    phase: str = "climb"
    timer_s: float = 0.0
    cruise_up: float | None = None
    done: bool = False
    landing: bool = False
    _land: Land | None = None

    def setpoint(self, ctx: NavContext, dt: float) -> Setpoint | None:
        f = ctx.frame
        home_n, home_e = self.target if self.target is not None else (ctx.home_n, ctx.home_e)
        if self.cruise_up is None:
            self.cruise_up = max(f.up_m, ctx.home_up + ctx.rtl_alt_m)
        up = self.cruise_up
        if self.phase == "climb":
            if f.up_m >= up - 0.5:
                self.phase = "return"
            return Setpoint(f.north_m, f.east_m, up)
        if self.phase == "return":
            if math.hypot(home_n - f.north_m, home_e - f.east_m) <= 2.0:
                self.phase = "loiter"
            return Setpoint(home_n, home_e, up, ctx.rtl_speed_m_s or ctx.cruise_m_s)
        if self.phase == "loiter":
            self.timer_s += dt
            if self.timer_s >= ctx.rtl_loiter_s:
                self.phase = "final"
            return Setpoint(home_n, home_e, up)
        if ctx.rtl_alt_final_m > 0:
            final_up = ctx.home_up + ctx.rtl_alt_final_m
            self.done = abs(f.up_m - final_up) < 0.5
            return Setpoint(home_n, home_e, final_up)
        if self._land is None:
            self._land = Land(home_n, home_e)
            self.landing = True
        sp = self._land.setpoint(ctx, dt)
        self.done = self._land.done
        return sp
