"""Numbers measured on a flown track: distance, and the share of the planned area it covered.

Distance is the sum of great-circle steps inside each segment (a gap in the track is not a
straight flight across it). The covered area is the track, segment by segment, buffered by the
camera's half ground width (``alt * tan(hfov / 2)``, with the track's median altitude above
``min_alt_m``) in the area's UTM frame, intersected with the planned area.

>>> from datetime import UTC, datetime
>>> from groundstation.db.track import TRACK_DTYPE, Track
>>> pts = np.zeros(3, dtype=TRACK_DTYPE)
>>> pts["lat_deg"] = [29.05, 29.051, 29.052]
>>> pts["lon_deg"] = 119.18
>>> round(track_distance_m(Track(pts, (0,))))
222
>>> round(track_distance_m(Track(pts, (0, 2))))
111
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geodata.crs import LocalFrame
from groundstation.db.track import Track

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle metres between points (arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a))))


def track_distance_m(track: Track) -> float:
    """Metres flown: great-circle steps summed within each segment between gaps."""
    total = 0.0
    for seg in track.segments():
        if len(seg) > 1:
            lat, lon = seg["lat_deg"], seg["lon_deg"]
            total += float(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())
    return total


def covered_fraction(
    track: Track, area_wgs84: BaseGeometry, *, hfov_deg: float, min_alt_m: float = 5.0
) -> float:
    """The share (0..1) of the planned area inside the camera footprint swept by the track."""
    if area_wgs84.is_empty or len(track.points) < 2:
        return 0.0
    frame = LocalFrame.for_geometry(area_wgs84)
    area = frame.to_local(area_wgs84)
    if area.area <= 0:
        return 0.0
    airborne = track.points["alt_m"][track.points["alt_m"] >= min_alt_m]
    if len(airborne) == 0:
        return 0.0
    radius = float(np.median(airborne)) * float(np.tan(np.radians(hfov_deg) / 2.0))
    lines = []
    for seg in track.segments():
        seg = seg[seg["alt_m"] >= min_alt_m]
        if len(seg) > 1:
            lines.append(
                frame.to_local(LineString(zip(seg["lon_deg"], seg["lat_deg"], strict=True)))
            )
    if not lines:
        return 0.0
    swept = shapely.union_all(shapely.buffer(lines, radius, quad_segs=4))
    return float(min(1.0, shapely.intersection(swept, area).area / area.area))
