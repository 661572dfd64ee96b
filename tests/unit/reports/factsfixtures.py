"""Patrol facts built in memory (no store) for the report renderers' unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from shapely.geometry import box

from groundstation.db.track import TRACK_DTYPE, Track
from groundstation.reports.facts import PatrolFacts, Photo

START = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def track(lonlat: list[tuple[float, float]], step_s: float = 10.0, alt_m: float = 40.0) -> Track:
    """A one-segment track through `lonlat`, one point every `step_s` seconds of vehicle time."""
    pts = np.zeros(len(lonlat), dtype=TRACK_DTYPE)
    pts["time_s"] = np.arange(len(lonlat)) * step_s
    pts["lon_deg"] = [p[0] for p in lonlat]
    pts["lat_deg"] = [p[1] for p in lonlat]
    pts["alt_m"] = alt_m
    return Track(pts, (0,))


def facts(**over: Any) -> PatrolFacts:
    """A finished coverage patrol with a Chinese plan name, events and an incident."""
    line = [(119.180 + 0.0005 * i, 29.050 + (0.001 if i % 2 else 0.0)) for i in range(8)]
    base: dict[str, Any] = {
        "patrol_id": 3,
        "plan_id": 1,
        "plan_name": "衢江北岸 / north bank",
        "plan_kind": "coverage",
        "sortie": 0,
        "vehicle": "drone-7",
        "vehicle_sysid": 7,
        "state": "completed",
        "reason": "",
        "started_at": START,
        "ended_at": START + timedelta(minutes=5),
        "altitude_m": 40.0,
        "track": track(line),
        "planned_lines": [line],
        "planned_area": box(119.1795, 29.0495, 119.1840, 29.0515),
        "photos": [Photo(119.181, 29.050, START.isoformat())],
        "events": [
            {
                "at": START.isoformat(),
                "kind": "preflight",
                "level": "info",
                "text": "preflight passed",
            },
            {
                "at": (START + timedelta(minutes=2)).isoformat(),
                "kind": "link_lost",
                "level": "warning",
                "text": "no heartbeat for 5 s",
            },
        ],
        "incidents": [
            {
                "id": 11,
                "type": "illegal_fishing",
                "status": "open",
                "lat_deg": 29.0503,
                "lon_deg": 119.1812,
                "description": "渔网 nets",
                "created_at": START.isoformat(),
            },
        ],
    }
    base.update(over)
    return PatrolFacts(**base)
