"""What a sortie costs in battery: learned from the vehicle's own flights, or the configured model.

Every flight leaves a ``flights`` row (:mod:`groundstation.patrol.flight_log`): the battery used
while cruising and per kilometre, and while hovering (take-off, climbs, loiters, on the ground
armed) and per minute. From the vehicle's last flights (or, while it has too few, those of its
airframe) :func:`learn` makes a :class:`BatteryEstimate` with two rates, **% of battery per km
of cruise** and **% per minute of hover**; a sortie then needs
``cruise_rate * km + hover_rate * hover minutes``, the hover minutes being the sortie's time
not spent cruising at its speed. Until there are ``min_flights`` flights and ``min_minutes`` of
flying behind a rate, the configured endurance is used (``100 % * duration / endurance``).

The rates are upper estimates, not means: a one-sided 95 % prediction bound for the next
flight (``mean + t * sd * sqrt(1 + 1/n)``, Student's t with n - 1 degrees of freedom), and
never less than 10 % over the mean, so a sortie is not planned into the reserve because the
last flights were kind. Where a flight measured the charge drawn (BATTERY_STATUS
``current_consumed``), its battery percentage used is split between cruise and hover by charge,
which is finer than the whole-percent steps of ``battery_remaining``.

A km of cruise costs what the vehicle's own patrols made it cost: on short passes (a copter
stopping at every waypoint) about twice a km of straight flight on ArduCopter SITL, so rates
learned from such patrols overestimate long straight ones (the safe side), and the other way
round a drone that flew only long legs will find short-pass sorties dearer than predicted
until it has flown some (bench/battery_sitl.py has the figures).

>>> rows = [FlightRates(1.9 + k / 10, 1.0 + k / 20, 12.0, 5.0) for k in range(3)]
>>> est = learn(rows, endurance_s=1500.0, min_flights=3, min_minutes=10.0, scope="vehicle 1")
>>> est.source, round(est.cruise_pct_per_km, 2), round(est.hover_pct_per_min, 2)
('learned', 2.34, 1.22)
>>> round(est.need_pct(duration_s=600.0, length_m=4000.0, speed_m_s=10.0), 1)
13.4
>>> learn(rows[:2], endurance_s=1500.0, min_flights=3, min_minutes=10.0, scope="v").source
'configured'
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scipy.stats import t as student_t
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Flight, Vehicle

#: A flight's cruise rate counts only over at least this much cruise, its hover rate over this
#: much hover: shorter stretches are dominated by the battery's whole-percent steps.
MIN_CRUISE_M = 300.0
MIN_HOVER_S = 20.0
#: The upper estimate is at least this much over the mean (also with one flight, or alike ones).
MIN_MARGIN = 0.10
#: How many of the latest flights are learned from (a pack ages; old flights say less).
RECENT_FLIGHTS = 30


@dataclass(frozen=True, slots=True)
class FlightRates:
    """One flight's consumption: % per km of cruise, % per minute of hover (None: too little)."""

    cruise_pct_per_km: float | None
    hover_pct_per_min: float | None
    minutes: float
    km: float


def flight_rates(f: Flight) -> FlightRates:
    """The rates one stored flight shows."""
    cruise_pct, hover_pct = f.cruise_pct, f.hover_pct
    total_mah = f.cruise_mah + f.hover_mah
    if f.battery_start_pct is not None and f.battery_end_pct is not None and total_mah > 0:
        used = max(0.0, f.battery_start_pct - f.battery_end_pct)
        cruise_pct, hover_pct = used * f.cruise_mah / total_mah, used * f.hover_mah / total_mah
    cruise = 1000.0 * cruise_pct / f.cruise_m if f.cruise_m >= MIN_CRUISE_M else None
    hover = 60.0 * hover_pct / f.hover_s if f.hover_s >= MIN_HOVER_S else None
    return FlightRates(cruise, hover, f.flight_s / 60.0, f.cruise_m / 1000.0)


def upper_estimate(values: Sequence[float]) -> float:
    """A one-sided 95 % prediction bound for the next value, at least 10 % over the mean.

    >>> round(upper_estimate([2.0, 2.2, 2.4]), 3)
    2.874
    >>> upper_estimate([2.0])
    2.2
    """
    mean = statistics.fmean(values)
    bound = mean
    if len(values) >= 2:
        n = len(values)
        sd = statistics.stdev(values)
        bound = mean + float(student_t.ppf(0.95, n - 1)) * sd * math.sqrt(1.0 + 1.0 / n)
    return max(bound, mean * (1.0 + MIN_MARGIN))


@dataclass(frozen=True, slots=True)
class BatteryEstimate:
    """How much battery a sortie needs, and what that is based on."""

    source: Literal["learned", "configured"]
    #: whose flights: "vehicle 3", "airframe quadcopter"; or why the configured model is used
    basis: str
    endurance_s: float
    flights: int = 0
    minutes: float = 0.0
    km: float = 0.0
    cruise_pct_per_km: float | None = None
    hover_pct_per_min: float | None = None
    cruise_mean_pct_per_km: float | None = None
    hover_mean_pct_per_min: float | None = None

    @property
    def learned(self) -> bool:
        return self.source == "learned"

    def need_pct(self, duration_s: float, length_m: float, speed_m_s: float) -> float:
        """Battery % a flight of `length_m` at `speed_m_s` lasting `duration_s` uses."""
        if self.cruise_pct_per_km is None or self.hover_pct_per_min is None:
            return 100.0 * duration_s / self.endurance_s
        hover_s = max(0.0, duration_s - length_m / speed_m_s)
        return self.cruise_pct_per_km * length_m / 1000.0 + self.hover_pct_per_min * hover_s / 60.0

    def endurance_at(self, speed_m_s: float) -> float:
        """Seconds a full battery lasts at `speed_m_s` (for ``routes.BatteryModel``).

        Learned: 100 % over the higher of the two rates per second, so that sortie splitting,
        which knows one endurance, never charges a second of hover or cruise too little.
        """
        if self.cruise_pct_per_km is None or self.hover_pct_per_min is None:
            return self.endurance_s
        per_s = max(self.cruise_pct_per_km * speed_m_s / 1000.0, self.hover_pct_per_min / 60.0)
        return 100.0 / per_s

    def describe(self) -> str:
        """One line for a pilot: which model, and how much data is behind it."""
        if not self.learned:
            return f"configured endurance {self.endurance_s:.0f} s ({self.basis})"
        return (
            f"learned from {self.flights} flights of {self.basis} ({self.minutes:.0f} min, "
            f"{self.km:.1f} km): {self.cruise_pct_per_km:.2f} %/km cruise, "
            f"{self.hover_pct_per_min:.2f} %/min hover (upper estimates)"
        )

    def as_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return round(v, 3) if v is not None else None

        return {
            "source": self.source,
            "basis": self.basis,
            "flights": self.flights,
            "minutes": round(self.minutes, 1),
            "km": round(self.km, 2),
            "cruise_pct_per_km": r(self.cruise_pct_per_km),
            "hover_pct_per_min": r(self.hover_pct_per_min),
            "cruise_mean_pct_per_km": r(self.cruise_mean_pct_per_km),
            "hover_mean_pct_per_min": r(self.hover_mean_pct_per_min),
            "endurance_s": round(self.endurance_s, 1),
            "text": self.describe(),
        }


def learn(
    rates: Sequence[FlightRates],
    *,
    endurance_s: float,
    min_flights: int,
    min_minutes: float,
    scope: str,
) -> BatteryEstimate:
    """The estimate from flights' rates, or the configured model while they are too few."""
    cruise = [r.cruise_pct_per_km for r in rates if r.cruise_pct_per_km is not None]
    hover = [r.hover_pct_per_min for r in rates if r.hover_pct_per_min is not None]
    minutes = sum(r.minutes for r in rates)
    km = sum(r.km for r in rates)
    enough = min(len(cruise), len(hover)) >= max(1, min_flights) and minutes >= min_minutes
    if not enough:
        why = (
            f"{len(rates)} flights, {minutes:.0f} min of {scope} so far; learning needs "
            f"{min_flights} flights and {min_minutes:.0f} min"
        )
        return BatteryEstimate("configured", why, endurance_s, len(rates), minutes, km)
    return BatteryEstimate(
        "learned",
        scope,
        endurance_s,
        flights=len(rates),
        minutes=minutes,
        km=km,
        cruise_pct_per_km=upper_estimate(cruise),
        hover_pct_per_min=upper_estimate(hover),
        cruise_mean_pct_per_km=statistics.fmean(cruise),
        hover_mean_pct_per_min=statistics.fmean(hover),
    )


async def estimate_for(
    session: AsyncSession,
    vehicle: Vehicle,
    *,
    endurance_s: float,
    min_flights: int,
    min_minutes: float,
) -> BatteryEstimate:
    """The vehicle's estimate: its own flights, else its airframe's, else the configured model."""

    async def rates(*where: Any) -> list[FlightRates]:
        rows = await session.scalars(
            select(Flight)
            .where(Flight.landed_at.is_not(None), *where)
            .order_by(Flight.armed_at.desc())
            .limit(RECENT_FLIGHTS)
        )
        return [flight_rates(f) for f in rows]

    kw: dict[str, Any] = {
        "endurance_s": endurance_s,
        "min_flights": min_flights,
        "min_minutes": min_minutes,
    }
    own = learn(await rates(Flight.vehicle_id == vehicle.id), scope=f"vehicle {vehicle.name}", **kw)
    if own.learned or not vehicle.airframe:
        return own
    same = learn(
        await rates(Flight.airframe == vehicle.airframe),
        scope=f"airframe {vehicle.airframe}",
        **kw,
    )
    return same if same.learned else own
