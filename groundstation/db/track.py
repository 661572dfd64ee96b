"""Compact storage of vehicle tracks: one row per chunk of points, packed as a binary array.

A drone reporting at 5 Hz makes 18 000 points an hour. One row per point would cost an index
entry, a row header and six boxed columns each (about 100 bytes in SQLite, more in PostgreSQL)
and make reading a patrol's track 18 000 row fetches. Instead the points are grouped in chunks of
at most :data:`CHUNK_POINTS` points (one minute at 5 Hz) and each chunk is one ``track_chunks``
row whose ``data`` holds a little-endian structured array (:data:`POINT_DTYPE`):

- time as milliseconds since the chunk's ``t0`` (``uint32``),
- latitude and longitude as ``int32`` in 1e-7 degree, MAVLink's own unit (about 1 cm; a
  ``float32`` would round a longitude near 119° to about 1 m),
- altitude, ground speed and heading as ``float32`` (metres, m/s, degrees),

24 bytes a point, then zlib-compressed (level 1, fast). An hour at 5 Hz is 60 rows and a few
hundred kilobytes; reading it back is 60 fetches and one numpy concatenation. ``gap_before`` marks
a chunk that does not continue the previous one (the station restarted or the link was lost).

>>> from datetime import UTC, datetime, timedelta
>>> t = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
>>> pts = [TrackPoint(t + timedelta(seconds=i / 5), 29.03 + i * 1e-6, 119.17, 60.0, 8.0, 90.0)
...        for i in range(10)]
>>> t0, t1, blob = encode_points(pts)
>>> back = decode_points(t0, blob)
>>> len(back), round(float(back["lat_deg"][9]), 7), (t1 - t0).total_seconds()
(10, 29.030009, 1.8)
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import TrackChunk

CHUNK_POINTS = 300
_FORMAT_V1 = b"\x01"

POINT_DTYPE = np.dtype(
    [
        ("t_ms", "<u4"),
        ("lat_e7", "<i4"),
        ("lon_e7", "<i4"),
        ("alt_m", "<f4"),
        ("speed_m_s", "<f4"),
        ("heading_deg", "<f4"),
    ]
)

#: The decoded form: absolute time in POSIX seconds and plain float columns.
TRACK_DTYPE = np.dtype(
    [
        ("time_s", "<f8"),
        ("lat_deg", "<f8"),
        ("lon_deg", "<f8"),
        ("alt_m", "<f4"),
        ("speed_m_s", "<f4"),
        ("heading_deg", "<f4"),
    ]
)

TrackArray = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One position report of a vehicle."""

    time: datetime
    lat_deg: float
    lon_deg: float
    alt_m: float
    speed_m_s: float
    heading_deg: float


def encode_points(points: Sequence[TrackPoint]) -> tuple[datetime, datetime, bytes]:
    """Pack time-ordered `points` into ``(t0, t1, blob)`` for one chunk row."""
    if not points:
        raise ValueError("a track chunk needs at least one point")
    t0 = points[0].time
    if t0.tzinfo is None:
        raise ValueError("track times must be timezone-aware UTC")
    arr = np.empty(len(points), dtype=POINT_DTYPE)
    previous = t0
    for i, p in enumerate(points):
        if p.time < previous:
            raise ValueError(f"track point {i} is older than the one before it")
        previous = p.time
        offset_ms = round((p.time - t0).total_seconds() * 1000.0)
        if offset_ms > np.iinfo(np.uint32).max:
            raise ValueError("a track chunk cannot span more than 49 days")
        arr[i] = (
            offset_ms,
            round(p.lat_deg * 1e7),
            round(p.lon_deg * 1e7),
            p.alt_m,
            p.speed_m_s,
            p.heading_deg,
        )
    return t0, points[-1].time, _FORMAT_V1 + zlib.compress(arr.tobytes(), 1)


def decode_points(t0: datetime, blob: bytes) -> TrackArray:
    """Unpack one chunk into a :data:`TRACK_DTYPE` array."""
    if blob[:1] != _FORMAT_V1:
        raise ValueError(f"unknown track chunk format {blob[:1]!r}")
    raw = np.frombuffer(zlib.decompress(blob[1:]), dtype=POINT_DTYPE)
    out = np.empty(len(raw), dtype=TRACK_DTYPE)
    out["time_s"] = t0.timestamp() + raw["t_ms"] / 1000.0
    out["lat_deg"] = raw["lat_e7"] / 1e7
    out["lon_deg"] = raw["lon_e7"] / 1e7
    for name in ("alt_m", "speed_m_s", "heading_deg"):
        out[name] = raw[name]
    return out


async def append_points(
    session: AsyncSession,
    vehicle_id: int,
    points: Sequence[TrackPoint],
    *,
    patrol_id: int | None = None,
    gap_before: bool = False,
) -> list[TrackChunk]:
    """Store `points` as one or more chunk rows (not committed: the caller owns the session)."""
    chunks: list[TrackChunk] = []
    for start in range(0, len(points), CHUNK_POINTS):
        part = points[start : start + CHUNK_POINTS]
        t0, t1, blob = encode_points(part)
        chunk = TrackChunk(
            vehicle_id=vehicle_id,
            patrol_id=patrol_id,
            t0=t0,
            t1=t1,
            n_points=len(part),
            gap_before=gap_before and start == 0,
            data=blob,
        )
        session.add(chunk)
        chunks.append(chunk)
    await session.flush()
    return chunks


@dataclass(frozen=True, slots=True)
class Track:
    """A decoded track: the points, and the indices where a new segment starts after a gap."""

    points: TrackArray
    segment_starts: tuple[int, ...]

    def segments(self) -> list[TrackArray]:
        """The track split at its gaps."""
        bounds = [*self.segment_starts, len(self.points)]
        return [self.points[a:b] for a, b in itertools.pairwise(bounds) if b > a]


async def load_track(
    session: AsyncSession,
    *,
    patrol_id: int | None = None,
    vehicle_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Track:
    """Read a patrol's or a vehicle's track, in time order, with its gaps."""
    if patrol_id is None and vehicle_id is None:
        raise ValueError("load_track needs a patrol_id or a vehicle_id")
    query = select(TrackChunk.t0, TrackChunk.data, TrackChunk.gap_before)
    if patrol_id is not None:
        query = query.where(TrackChunk.patrol_id == patrol_id)
    if vehicle_id is not None:
        query = query.where(TrackChunk.vehicle_id == vehicle_id)
    if since is not None:
        query = query.where(TrackChunk.t1 >= since)
    if until is not None:
        query = query.where(TrackChunk.t0 <= until)
    rows = (await session.execute(query.order_by(TrackChunk.t0))).all()
    parts: list[TrackArray] = []
    starts: list[int] = []
    n = 0
    for i, (t0, blob, gap) in enumerate(rows):
        if i == 0 or gap:
            starts.append(n)
        part = decode_points(t0, blob)
        parts.append(part)
        n += len(part)
    points = np.concatenate(parts) if parts else np.empty(0, dtype=TRACK_DTYPE)
    if since is not None or until is not None:
        keep = np.ones(len(points), dtype=bool)
        if since is not None:
            keep &= points["time_s"] >= since.timestamp()
        if until is not None:
            keep &= points["time_s"] <= until.timestamp()
        is_start = np.zeros(len(points), dtype=bool)
        is_start[starts] = True
        points, is_start = points[keep], is_start[keep]
        if len(points):
            is_start[0] = True
        starts = [int(i) for i in np.flatnonzero(is_start)]
    return Track(points=points, segment_starts=tuple(starts))


def track_geojson(track: Track, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """The track as a GeoJSON Feature: a MultiLineString, one line per segment between gaps."""
    lines = [
        [
            [float(lon), float(lat), float(alt)]
            for lon, lat, alt in zip(seg["lon_deg"], seg["lat_deg"], seg["alt_m"], strict=True)
        ]
        for seg in track.segments()
    ]
    props: dict[str, Any] = {"points": len(track.points), "segments": len(lines)}
    if len(track.points):
        first, last = float(track.points["time_s"][0]), float(track.points["time_s"][-1])
        props["start"] = datetime.fromtimestamp(first, UTC).isoformat()
        props["end"] = datetime.fromtimestamp(last, UTC).isoformat()
    props.update(properties or {})
    return {
        "type": "Feature",
        "geometry": {"type": "MultiLineString", "coordinates": lines},
        "properties": props,
    }
