"""The survey camera: photos on command or every `trigger_dist_m` metres flown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Photo:
    index: int
    time_s: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float


@dataclass(slots=True)
class Camera:
    trigger_dist_m: float = 0.0
    photos: list[Photo] = field(default_factory=list)
    _last: tuple[float, float] | None = None

    def due(self, north_m: float, east_m: float, flying: bool) -> bool:
        """True when the vehicle has flown `trigger_dist_m` since the last distance photo."""
        if self.trigger_dist_m <= 0 or not flying:
            self._last = None
            return False
        if self._last is None:
            self._last = (north_m, east_m)
            return True
        if math.hypot(north_m - self._last[0], east_m - self._last[1]) >= self.trigger_dist_m:
            self._last = (north_m, east_m)
            return True
        return False
