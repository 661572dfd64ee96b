"""Range checks on decoded telemetry: an impossible value never reaches a vehicle's state.

A spoofer (or a corrupt frame that passed its CRC, or an autopilot whose EKF has failed) can send
latitude 214.7°, an altitude of −2,147 km (``INT32_MIN`` mm), a battery at 127 % or NaN/inf in a
float field. Every value the state keeps goes through :meth:`TelemetryCheck.ok` first: a value
outside :data:`LIMITS` (or not finite) is dropped, the vehicle keeps its previous value, the
drop is counted per field, and the vehicle's telemetry is flagged ``bad`` for
:data:`BAD_HOLD_S` seconds after the last drop, so the pilot sees it on the map and in the API.

The limits are physical ones for a multicopter (a generous margin over what ArduCopter can fly),
not mission limits: they reject what cannot be true, not what is merely unusual.

>>> check = TelemetryCheck(clock=lambda: 100.0)
>>> check.ok("battery_pct", 87.0), check.ok("battery_pct", 127.0), check.ok("lat_deg", math.nan)
(True, False, False)
>>> check.snapshot()
TelemetryHealth(status='bad', rejected=2, last_field='lat_deg')
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

#: Seconds a vehicle stays flagged ``bad`` after its last impossible value.
BAD_HOLD_S = 10.0

#: Inclusive (low, high) bounds of every value the station keeps, in the state's units.
LIMITS: dict[str, tuple[float, float]] = {
    "lat_deg": (-90.0, 90.0),
    "lon_deg": (-180.0, 180.0),
    # Dead Sea shore (-430 m) with margin; the highest a multicopter has flown is under 12 km.
    "alt_msl_m": (-1_000.0, 12_000.0),
    # Below home by more than a mountain is not a landing, it is a broken barometer or a spoof.
    "alt_rel_m": (-5_000.0, 12_000.0),
    "velocity_m_s": (-150.0, 150.0),  # each NED component (GLOBAL_POSITION_INT vx, vy, vz)
    "speed_m_s": (0.0, 150.0),  # ground speed
    "climb_m_s": (-100.0, 100.0),
    "heading_deg": (0.0, 360.0),
    "roll_deg": (-180.0, 180.0),
    "pitch_deg": (-90.0, 90.0),
    "yaw_deg": (-360.0, 360.0),
    "battery_pct": (0.0, 100.0),
    "voltage_v": (0.0, 100.0),  # 24S packs are ~100 V fully charged
    "battery_consumed_mah": (0.0, 1_000_000.0),  # BATTERY_STATUS.current_consumed
    "time_boot_s": (0.0, 4_294_967.295),  # GLOBAL_POSITION_INT.time_boot_ms, a uint32
    "wind_speed_m_s": (0.0, 100.0),
    "wind_dir_deg": (-360.0, 360.0),
    "gps_fix": (0.0, 8.0),  # GPS_FIX_TYPE runs 0..8 (PPP)
    "satellites": (0.0, 100.0),
    "hdop": (0.0, 100.0),  # GPS_RAW_INT eph / 100; 65535 (unknown) is never checked
}


@dataclass(frozen=True, slots=True)
class TelemetryHealth:
    """Whether a vehicle has sent impossible values lately.

    ``status`` is ``bad`` within :data:`BAD_HOLD_S` of the last dropped value, else ``ok``;
    ``rejected`` counts every dropped value since the station first heard the vehicle, and
    ``last_field`` names the last one dropped.
    """

    status: str = "ok"
    rejected: int = 0
    last_field: str | None = None


def plausible(name: str, value: float) -> bool:
    """True if `value` is finite and within the :data:`LIMITS` of `name`.

    >>> plausible("lat_deg", 29.05), plausible("lat_deg", 214.7), plausible("speed_m_s", math.inf)
    (True, False, False)
    """
    low, high = LIMITS[name]
    return math.isfinite(value) and low <= value <= high


class TelemetryCheck:
    """Per vehicle: checks values against :data:`LIMITS` and counts the ones it drops."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.rejected = 0
        self.by_field: Counter[str] = Counter()
        self.last_field: str | None = None
        self._last_bad: float | None = None

    def ok(self, name: str, value: float) -> bool:
        """True if `value` may enter the state; otherwise count it against `name`."""
        if plausible(name, value):
            return True
        self.rejected += 1
        self.by_field[name] += 1
        self.last_field = name
        self._last_bad = self._clock()
        return False

    def all_ok(self, *values: tuple[str, float]) -> bool:
        """True if every ``(name, value)`` is plausible; each bad one is counted."""
        verdicts = [self.ok(name, value) for name, value in values]  # count all, not just one
        return all(verdicts)

    def snapshot(self, now: float | None = None) -> TelemetryHealth:
        now = self._clock() if now is None else now
        recent = self._last_bad is not None and now - self._last_bad < BAD_HOLD_S
        return TelemetryHealth("bad" if recent else "ok", self.rejected, self.last_field)
