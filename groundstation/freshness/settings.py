"""The camera model of the freshness sweep, from the station's ``freshness`` settings.

>>> from groundstation.config import FreshnessSettings
>>> camera(FreshnessSettings(hfov_deg=60)).hfov_deg
60.0
"""

from __future__ import annotations

from groundstation.config import FreshnessSettings
from groundstation.freshness.ingest import Camera


def camera(settings: FreshnessSettings) -> Camera:
    """The footprint model the grid is swept with."""
    return Camera(
        hfov_deg=settings.hfov_deg, min_alt_m=settings.min_alt_m, max_gap_s=settings.max_gap_s
    )
