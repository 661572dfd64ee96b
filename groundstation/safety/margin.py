"""The reach-the-shore margin: battery minutes left after flying to the cheapest landable point.

Open water is no place to land, so the margin is counted to *landable* points only (the
station and the site's rally points on shore: :mod:`groundstation.safety.landable`). For each
point the battery a return needs is

    need = rate(airspeed) * distance / groundspeed + landing_s * hover rate,

flown at the cruise ground speed while the airframe can hold it against the wind (its airspeed
is ``|v_ground - v_wind|``, at most ``max_airspeed_m_s``; beyond that the ground speed drops),
with a power that grows with airspeed squared for the ``drag_frac`` share of the still-air
cruise power. The rates are the planner's: :class:`routes.types.BatteryModel` (one endurance)
or the vehicle's learned :class:`~groundstation.patrol.battery.BatteryEstimate`.

The margin is ``battery - reserve - need`` of the cheapest point, in % and in minutes of
cruise at the still-air rate; it is negative when no landable point can be reached with the
reserve left, and -inf when none can be reached at all (a headwind faster than the airframe).

>>> rates = EnergyRates.from_model(BatteryModel(cruise_speed_m_s=10, endurance_s=1500))
>>> home = Landable("station", "station", 0.0, 0.0)
>>> m = margin((3000.0, 0.0), [home], battery_pct=50.0, rates=rates, reserve_pct=15.0)
>>> m.target.name, round(m.need_pct, 1), round(m.margin_pct, 1), round(m.minutes, 1)
('station', 24.0, 11.0, 2.8)
>>> still = m.need_pct
>>> headwind = margin((3000.0, 0.0), [home], 50.0, rates, 15.0, wind_to_m_s=(0.0, 6.0))
>>> headwind.need_pct > still
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from groundstation.patrol.battery import BatteryEstimate
from routes.types import BatteryModel

#: A point's cost when it cannot be reached at all.
UNREACHABLE = math.inf


@dataclass(frozen=True, slots=True)
class Landable:
    """A place a drone may come down: local east/north metres (the margin's frame)."""

    name: str
    kind: Literal["station", "rally"]
    east_m: float
    north_m: float
    lat_deg: float = 0.0
    lon_deg: float = 0.0


@dataclass(frozen=True, slots=True)
class EnergyRates:
    """Battery % per second: cruising at `cruise_speed_m_s` in still air, and hovering."""

    cruise_pct_per_s: float
    hover_pct_per_s: float
    cruise_speed_m_s: float
    drag_frac: float = 0.3
    max_airspeed_m_s: float = 20.0
    source: str = "configured"

    @classmethod
    def from_model(
        cls, model: BatteryModel, drag_frac: float = 0.3, max_airspeed_m_s: float = 20.0
    ) -> EnergyRates:
        """The planner's model: one endurance, so hover and cruise cost the same per second."""
        per_s = 100.0 / model.endurance_s
        return cls(per_s, per_s, model.cruise_speed_m_s, drag_frac, max_airspeed_m_s)

    @classmethod
    def from_estimate(
        cls,
        est: BatteryEstimate,
        speed_m_s: float,
        drag_frac: float = 0.3,
        max_airspeed_m_s: float = 20.0,
    ) -> EnergyRates:
        """A vehicle's learned rates (or its configured endurance while it has too few flights)."""
        if est.cruise_pct_per_km is None or est.hover_pct_per_min is None:
            per_s = 100.0 / est.endurance_s
            return cls(per_s, per_s, speed_m_s, drag_frac, max_airspeed_m_s, est.source)
        return cls(
            est.cruise_pct_per_km * speed_m_s / 1000.0,
            est.hover_pct_per_min / 60.0,
            speed_m_s,
            drag_frac,
            max_airspeed_m_s,
            est.source,
        )

    def at_airspeed(self, air_m_s: float) -> float:
        """% per second flying at `air_m_s` through the air."""
        ratio = air_m_s / self.cruise_speed_m_s
        return self.cruise_pct_per_s * ((1.0 - self.drag_frac) + self.drag_frac * ratio * ratio)


@dataclass(frozen=True, slots=True)
class Leg:
    """What flying to one point costs: % of battery, seconds, the speeds it is flown at."""

    need_pct: float
    time_s: float
    ground_m_s: float
    air_m_s: float


def leg(
    dx_m: float, dy_m: float, rates: EnergyRates, wind_to_m_s: tuple[float, float], landing_s: float
) -> Leg:
    """The cost of flying (dx east, dy north) metres and landing, in a wind blowing toward
    ``wind_to_m_s`` (east, north). Unreachable legs cost :data:`UNREACHABLE`."""
    dist = math.hypot(dx_m, dy_m)
    land = landing_s * rates.hover_pct_per_s
    if dist < 1e-6:
        return Leg(land, landing_s, 0.0, math.hypot(*wind_to_m_s))
    ux, uy = dx_m / dist, dy_m / dist
    w_along = wind_to_m_s[0] * ux + wind_to_m_s[1] * uy
    w_cross = -wind_to_m_s[0] * uy + wind_to_m_s[1] * ux
    ground = rates.cruise_speed_m_s
    air = math.hypot(ground - w_along, w_cross)
    if air > rates.max_airspeed_m_s:
        if abs(w_cross) >= rates.max_airspeed_m_s:
            return Leg(UNREACHABLE, UNREACHABLE, 0.0, rates.max_airspeed_m_s)
        ground = w_along + math.sqrt(rates.max_airspeed_m_s**2 - w_cross**2)
        air = rates.max_airspeed_m_s
        if ground <= 0.1:
            return Leg(UNREACHABLE, UNREACHABLE, 0.0, air)
    time_s = dist / ground
    return Leg(rates.at_airspeed(air) * time_s + land, time_s + landing_s, ground, air)


@dataclass(frozen=True, slots=True)
class Margin:
    """The margin of one vehicle at one moment, and the point it was counted to."""

    target: Landable | None
    need_pct: float
    margin_pct: float
    minutes: float
    distance_m: float
    time_s: float

    @property
    def reachable(self) -> bool:
        return self.margin_pct >= 0.0


def wind_to(speed_m_s: float, from_deg: float) -> tuple[float, float]:
    """The (east, north) velocity of a wind of `speed_m_s` blowing from `from_deg`.

    >>> [round(v, 6) + 0.0 for v in wind_to(8.0, 270.0)]  # a west wind blows toward the east
    [8.0, 0.0]
    """
    to = math.radians(from_deg + 180.0)
    return speed_m_s * math.sin(to), speed_m_s * math.cos(to)


def margin(
    pos_m: tuple[float, float],
    points: Sequence[Landable],
    battery_pct: float,
    rates: EnergyRates,
    reserve_pct: float,
    *,
    wind_to_m_s: tuple[float, float] = (0.0, 0.0),
    landing_s: float = 60.0,
) -> Margin:
    """The margin at `pos_m` (east, north metres) to the cheapest of `points`."""
    best: tuple[Leg, Landable] | None = None
    for p in points:
        cost = leg(p.east_m - pos_m[0], p.north_m - pos_m[1], rates, wind_to_m_s, landing_s)
        if best is None or cost.need_pct < best[0].need_pct:
            best = (cost, p)
    if best is None or math.isinf(best[0].need_pct):
        target = best[1] if best else None
        return Margin(target, UNREACHABLE, -math.inf, -math.inf, math.nan, UNREACHABLE)
    cost, target = best
    left = battery_pct - reserve_pct - cost.need_pct
    dist = math.hypot(target.east_m - pos_m[0], target.north_m - pos_m[1])
    return Margin(
        target, cost.need_pct, left, left / rates.cruise_pct_per_s / 60.0, dist, cost.time_s
    )


def point_of_no_return(
    route_m: Sequence[tuple[float, float]],
    pos_m: tuple[float, float],
    points: Sequence[Landable],
    battery_pct: float,
    rates: EnergyRates,
    reserve_pct: float,
    *,
    wind_to_m_s: tuple[float, float] = (0.0, 0.0),
    landing_s: float = 60.0,
    step_m: float = 100.0,
) -> tuple[float, float] | None:
    """The last point along the rest of the route (from `pos_m` through `route_m`, east/north
    metres) from which a landable point can still be reached with the reserve, spending the
    battery each stretch costs in the wind on the way. None: the whole route can be flown and
    the vehicle still get back; `pos_m` itself: it is past that point already.

    >>> rates = EnergyRates.from_model(BatteryModel(cruise_speed_m_s=10, endurance_s=1500))
    >>> home = [Landable("station", "station", 0.0, 0.0)]
    >>> pnr = point_of_no_return([(10_000.0, 0.0)], (0.0, 0.0), home, 60.0, rates, 15.0)
    >>> round(pnr[0], -2)
    3000.0
    >>> point_of_no_return([(1000.0, 0.0)], (0.0, 0.0), home, 60.0, rates, 15.0) is None
    True
    """
    left = battery_pct
    here = pos_m
    if margin(here, points, left, rates, reserve_pct, wind_to_m_s=wind_to_m_s,
              landing_s=landing_s).margin_pct < 0:  # fmt: skip
        return here
    for target in route_m:
        dx, dy = target[0] - here[0], target[1] - here[1]
        dist = math.hypot(dx, dy)
        steps = max(1, math.ceil(dist / step_m))
        for k in range(1, steps + 1):
            nxt = (here[0] + dx * k / steps, here[1] + dy * k / steps)
            prev = (here[0] + dx * (k - 1) / steps, here[1] + dy * (k - 1) / steps)
            cost = leg(nxt[0] - prev[0], nxt[1] - prev[1], rates, wind_to_m_s, 0.0).need_pct
            left -= cost
            m = margin(nxt, points, left, rates, reserve_pct, wind_to_m_s=wind_to_m_s,
                       landing_s=landing_s)  # fmt: skip
            if m.margin_pct < 0:
                return prev
        here = target
    return None
