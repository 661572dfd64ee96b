"""Recording a patrol's track: states in, thinned points buffered, chunks flushed to the store.

A point is kept at most every ``min_interval_s`` (5 Hz by default) and only when the vehicle has
a position. :meth:`TrackRecorder.flush` writes what is buffered as compact chunks
(:mod:`groundstation.db.track`); the first chunk written after :meth:`mark_gap` (a station
restart, a lost link) carries ``gap_before`` so the track shows the hole instead of a straight
line across it. Distance flown is summed as points arrive.

>>> from datetime import UTC, datetime
>>> from groundstation.link.vehicle import Position, VehicleState
>>> rec = TrackRecorder(vehicle_id=1, patrol_id=1, min_interval_s=0.0)
>>> for k in range(3):
...     st = VehicleState(1, 1, position=Position(29.05 + k * 1e-4, 119.18, 60.0, 20.0))
...     rec.add(st, datetime(2026, 5, 1, 8, 0, k, tzinfo=UTC))
True
True
True
>>> len(rec.pending), round(rec.distance_m)
(3, 22)
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.track import TrackPoint, append_points
from groundstation.db.types import utcnow
from groundstation.link.vehicle import VehicleState

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class TrackRecorder:
    """Buffers one patrol's track points and writes them in chunks."""

    def __init__(
        self, vehicle_id: int, patrol_id: int, min_interval_s: float = 0.2, gap_first: bool = False
    ) -> None:
        self.vehicle_id = vehicle_id
        self.patrol_id = patrol_id
        self.min_interval_s = min_interval_s
        self.pending: list[TrackPoint] = []
        self.distance_m = 0.0
        self.written = 0
        self._gap = gap_first
        self._split_at: int | None = None
        self._last_kept: float | None = None
        self._last_point: TrackPoint | None = None

    def add(self, state: VehicleState, at: datetime | None = None) -> bool:
        """Keep a point of `state` if it has a position and is due; True if kept."""
        pos = state.position
        if pos is None:
            return False
        now = time.monotonic()
        if self._last_kept is not None and now - self._last_kept < self.min_interval_s:
            return False
        when = at or utcnow()
        if self._last_point is not None and when < self._last_point.time:
            return False  # a clock step backwards: never store out of order
        point = TrackPoint(
            when,
            pos.lat_deg,
            pos.lon_deg,
            pos.alt_rel_m,
            state.speed_m_s or 0.0,
            state.heading_deg or 0.0,
        )
        if self._last_point is not None:  # across a gap too: the straight line is a lower bound
            self.distance_m += haversine_m(
                self._last_point.lat_deg, self._last_point.lon_deg, point.lat_deg, point.lon_deg
            )
        self._last_point = point
        self._last_kept = now
        self.pending.append(point)
        return True

    def mark_gap(self) -> None:
        """The next points do not continue the previous ones (restart, lost link)."""
        if self.pending:
            self._split_at = len(self.pending)
        else:
            self._gap = True

    async def flush(self, session: AsyncSession) -> int:
        """Write the buffered points (the caller commits); how many were written."""
        if not self.pending:
            return 0
        points, self.pending = self.pending, []
        split, self._split_at = self._split_at, None
        parts = [points] if split is None else [points[:split], points[split:]]
        for k, part in enumerate(parts):
            if part:
                gap = self._gap if k == 0 else True
                await append_points(
                    session, self.vehicle_id, part, patrol_id=self.patrol_id, gap_before=gap
                )
                self._gap = False
            elif k == 1:
                self._gap = True  # nothing after the hole yet: the next flush starts with it
        self.written += len(points)
        return len(points)
