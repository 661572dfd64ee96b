"""One flight's running facts (arming to landing): battery used, split into cruise and hover.

:class:`FlightLog` is fed a sample for every track point the runner keeps (the vehicle's clock,
its battery percentage and charge consumed, and the distance flown so far) and adds each step to
cruise (moving at :data:`CRUISE_MIN_M_S` or more) or to hover (the rest of the time armed:
take-off, climbs, loiters, slow corners, on the ground). Nothing is written per sample: the
runner copies the totals into the flight's ``flights`` row when it flushes the track (about
once a second), and a station restarting mid-flight continues from that row
(:meth:`FlightLog.from_row`), the step across the restart counted by its average speed.

Times are the vehicle's (``time_boot_s``), so rates learned on a simulator running faster than
real time are per simulated minute, as the plan's durations are.

>>> log = FlightLog(start_pct=100.0, start_mah=0.0)
>>> log.add(0.0, 100.0, 0.0, 0.0)     # armed, on the ground
>>> log.add(60.0, 99.0, 200.0, 0.0)   # a minute of hover: 200 mAh
>>> log.add(160.0, 96.0, 700.0, 1000.0)  # 1 km at 10 m/s: 500 mAh
>>> (log.hover_s, log.hover_mah, log.cruise_m, log.cruise_mah, log.cruise_pct)
(60.0, 200.0, 1000.0, 500.0, 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from groundstation.db.models import Flight

#: Ground speed (m/s) from which a step counts as cruise (ArduCopter's WPNAV speeds are 5+ m/s).
CRUISE_MIN_M_S = 2.0


@dataclass(slots=True)
class FlightLog:
    """Running totals of one flight; see the module docstring."""

    start_pct: float | None = None
    start_mah: float | None = None
    end_pct: float | None = None
    end_mah: float | None = None
    flight_s: float = 0.0
    hover_s: float = 0.0
    hover_pct: float = 0.0
    hover_mah: float = 0.0
    cruise_s: float = 0.0
    cruise_m: float = 0.0
    cruise_pct: float = 0.0
    cruise_mah: float = 0.0
    last_t: float | None = None
    last_distance_m: float = 0.0

    def add(self, t: float | None, pct: float | None, mah: float | None, distance_m: float) -> None:
        """One sample: vehicle time (s), battery (%), charge consumed (mAh), distance so far."""
        if self.start_pct is None:
            self.start_pct = pct
        if self.start_mah is None:
            self.start_mah = mah
        moved = max(0.0, distance_m - self.last_distance_m)
        self.last_distance_m = distance_m
        if t is None or self.last_t is None or t < self.last_t:  # first sample, or a reboot
            if t is not None:
                self.last_t = t
            self._battery(pct, mah)
            return
        dt, self.last_t = t - self.last_t, t
        d_pct = self.end_pct - pct if self.end_pct is not None and pct is not None else 0.0
        d_mah = self.end_mah - mah if self.end_mah is not None and mah is not None else 0.0
        self._battery(pct, mah)
        self.flight_s += dt
        if dt > 0 and moved / dt >= CRUISE_MIN_M_S:
            self.cruise_s += dt
            self.cruise_m += moved
            self.cruise_pct += max(0.0, d_pct)
            self.cruise_mah += max(0.0, -d_mah)
        else:
            self.hover_s += dt
            self.hover_pct += max(0.0, d_pct)
            self.hover_mah += max(0.0, -d_mah)

    def _battery(self, pct: float | None, mah: float | None) -> None:
        if pct is not None:
            self.end_pct = pct
        if mah is not None:
            self.end_mah = mah

    def to_row(self, row: Flight) -> None:
        """Copy the totals into the flight's row (the caller commits)."""
        row.battery_start_pct, row.battery_end_pct = self.start_pct, self.end_pct
        row.consumed_start_mah, row.consumed_end_mah = self.start_mah, self.end_mah
        row.flight_s, row.hover_s, row.cruise_s = self.flight_s, self.hover_s, self.cruise_s
        row.hover_pct, row.hover_mah = self.hover_pct, self.hover_mah
        row.cruise_m, row.cruise_pct = self.cruise_m, self.cruise_pct
        row.cruise_mah = self.cruise_mah
        row.last_boot_s = self.last_t

    @classmethod
    def from_row(cls, row: Flight) -> FlightLog:
        """Continue a flight from its stored row (after a station restart)."""
        return cls(
            start_pct=row.battery_start_pct,
            start_mah=row.consumed_start_mah,
            end_pct=row.battery_end_pct,
            end_mah=row.consumed_end_mah,
            flight_s=row.flight_s,
            hover_s=row.hover_s,
            hover_pct=row.hover_pct,
            hover_mah=row.hover_mah,
            cruise_s=row.cruise_s,
            cruise_m=row.cruise_m,
            cruise_pct=row.cruise_pct,
            cruise_mah=row.cruise_mah,
            last_t=row.last_boot_s,
            last_distance_m=row.distance_m,
        )
