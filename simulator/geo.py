"""Flat-earth conversions between WGS84 and a local north/east frame in metres.

Good to a few centimetres over the ~20 km a patrol drone flies from its station.

>>> n, e = ne_offset_m(29.0, 119.0, 29.001, 119.0)
>>> round(n, 1), round(e, 1)
(111.3, 0.0)
>>> lat, lon = offset_deg(29.0, 119.0, n, e)
>>> round(lat, 6), round(lon, 6)
(29.001, 119.0)
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6378137.0


def ne_offset_m(
    lat0_deg: float, lon0_deg: float, lat_deg: float, lon_deg: float
) -> tuple[float, float]:
    """North and east metres from (lat0, lon0) to (lat, lon)."""
    north = math.radians(lat_deg - lat0_deg) * EARTH_RADIUS_M
    east = math.radians(lon_deg - lon0_deg) * EARTH_RADIUS_M * math.cos(math.radians(lat0_deg))
    return north, east


def offset_deg(
    lat0_deg: float, lon0_deg: float, north_m: float, east_m: float
) -> tuple[float, float]:
    """The point `north_m`, `east_m` metres from (lat0, lon0), as (lat, lon) degrees."""
    lat = lat0_deg + math.degrees(north_m / EARTH_RADIUS_M)
    lon = lon0_deg + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat0_deg))))
    return lat, lon


def bearing_deg(north_m: float, east_m: float) -> float:
    """Compass bearing (0 = north, clockwise) of a north/east vector, in [0, 360)."""
    return math.degrees(math.atan2(east_m, north_m)) % 360.0
