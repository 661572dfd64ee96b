"""A patrol's photos as stored: one ``photos`` patrol event per flight, merged for the report.

>>> from groundstation.link.camera import PhotoTaken
>>> from groundstation.link.vehicle import Position
>>> entry = photo_entry(PhotoTaken(4, Position(29.05, 119.17, 90.0, 40.0), 0.0, "station", "x"))
>>> entry["index"], entry["lat_deg"], entry["lon_deg"], entry["alt_rel_m"], entry["time"]
(4, 29.05, 119.17, 40.0, '1970-01-01T00:00:00+00:00')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from groundstation.db.models import PatrolEvent
from groundstation.link.camera import PhotoTaken


def photo_entry(photo: PhotoTaken) -> dict[str, Any]:
    """A photo as the report facts store it (``lat_deg`` / ``lon_deg`` None if unlocated)."""
    pos = photo.position
    return {
        "index": photo.index,
        "lat_deg": pos.lat_deg if pos is not None else None,
        "lon_deg": pos.lon_deg if pos is not None else None,
        "alt_rel_m": round(pos.alt_rel_m, 2) if pos is not None else None,
        "time": photo.time_iso,
    }


def stored_photos(events: Iterable[PatrolEvent]) -> list[dict[str, Any]]:
    """Every photo of the patrol's ``photos`` events, in the order they were stored."""
    return [p for e in events if e.kind == "photos" for p in (e.data or {}).get("photos", [])]


def missed_photos(photos: list[dict[str, Any]]) -> int:
    """Photos the vehicle took but the station never heard (while it was down, or the link was).

    The vehicle numbers its photos one after another, so a gap in the image indices of one
    patrol is photos taken and not reported. (Photos after the last one heard cannot be seen.)

    >>> missed_photos([{"index": 3}, {"index": 4}, {"index": 8}])
    3
    """
    seen = {int(p["index"]) for p in photos if isinstance(p.get("index"), int)}
    return max(seen) - min(seen) + 1 - len(seen) if seen else 0
