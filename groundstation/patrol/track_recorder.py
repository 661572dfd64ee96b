"""Recording a patrol's track: states in, thinned points buffered, chunks flushed to the store.

A point is kept at most every ``min_interval_s`` (5 Hz by default) and only when the vehicle has
a position. :meth:`TrackRecorder.flush` writes what is buffered as compact chunks
(:mod:`groundstation.db.track`), growing the last chunk it wrote while it has room, so flushing
every second still makes one row a minute; the first chunk written after :meth:`mark_gap` (a station
restart, a lost link) carries ``gap_before`` so the track shows the hole instead of a straight
line across it. Distance flown is summed as points arrive; across a gap it follows the route:
from the last point before it through the mission's waypoints the vehicle reached meanwhile
(``via``, from the target item before the gap to the one after it) to the first point after it,
since in AUTO a copter flies straight from waypoint to waypoint. Without ``via`` or mission
numbers it is the straight line, a lower bound.

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

import itertools
import math
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import TrackChunk
from groundstation.db.track import CHUNK_POINTS, TrackPoint, append_points, encode_points
from groundstation.db.types import utcnow
from groundstation.link.vehicle import VehicleState

EARTH_RADIUS_M = 6_371_008.8

#: (lat, lon) of the waypoints a vehicle passed going from target item `a` to target item `b`
Via = Callable[[int, int], list[tuple[float, float]]]


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
        self.via: Via | None = None
        self._gap_seq: int | None = None  # the target item when the pending gap began
        #: the last chunk written and its points: frequent flushes grow it (up to CHUNK_POINTS)
        #: instead of leaving a row of a few points each second
        self._open_id: int | None = None
        self._open_points: list[TrackPoint] = []

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
        if self._last_point is not None:
            self.distance_m += self._step_m(self._last_point, point, state.mission_seq)
        self._last_point = point
        self._last_kept = now
        self.pending.append(point)
        return True

    def _step_m(self, a: TrackPoint, b: TrackPoint, seq: int | None) -> float:
        path = [(a.lat_deg, a.lon_deg)]
        gap_seq, self._gap_seq = self._gap_seq, None
        if gap_seq is not None and seq is not None and self.via is not None:
            path += self.via(gap_seq, seq)
        path.append((b.lat_deg, b.lon_deg))
        return sum(haversine_m(*p, *q) for p, q in itertools.pairwise(path))

    async def _extend(self, session: AsyncSession, part: list[TrackPoint]) -> bool:
        """Append `part` to the last chunk written, if it has room; True if done."""
        if self._open_id is None or len(self._open_points) + len(part) > CHUNK_POINTS:
            return False
        points = self._open_points + part
        _, t1, blob = encode_points(points)
        await session.execute(
            update(TrackChunk)
            .where(TrackChunk.id == self._open_id)
            .values(t1=t1, n_points=len(points), data=blob)
        )
        self._open_points = points
        return True

    @property
    def last_point(self) -> TrackPoint | None:
        """The last point kept (or continued from)."""
        return self._last_point

    def mark_gap(self, seq: int | None = None) -> None:
        """The next points do not continue the previous ones (restart, lost link).

        `seq` is the vehicle's target item when the gap began (for the distance across it).
        """
        self._gap_seq = seq
        if self.pending:
            self._split_at = len(self.pending)
        else:
            self._gap = True

    def continue_from(
        self, at: datetime, lat_deg: float, lon_deg: float, distance_m: float, seq: int | None
    ) -> None:
        """Go on from a stored flight (a station restart): its last point, distance, target."""
        self._last_point = TrackPoint(at, lat_deg, lon_deg, 0.0, 0.0, 0.0)
        self.distance_m = distance_m
        self._gap = True
        self._gap_seq = seq

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
                if gap or not await self._extend(session, part):
                    chunks = await append_points(
                        session, self.vehicle_id, part, patrol_id=self.patrol_id, gap_before=gap
                    )
                    last = chunks[-1]
                    self._open_id, self._open_points = last.id, part[-last.n_points :]
                self._gap = False
            elif k == 1:
                self._gap = True  # nothing after the hole yet: the next flush starts with it
        self.written += len(points)
        return len(points)
