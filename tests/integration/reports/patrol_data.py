"""A stored patrol with a synthetic track, for report and schedule tests (sync SQLAlchemy)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from groundstation.config import DbSettings
from groundstation.db.models import (
    Incident,
    IncidentType,
    Patrol,
    PatrolEvent,
    PatrolTransition,
    Plan,
    Report,
    TrackChunk,
    Vehicle,
)
from groundstation.db.session import make_sync_engine
from groundstation.db.track import CHUNK_POINTS, TrackPoint, encode_points
from routes.formats.geojson import route_features
from routes.types import Leg, Route

START = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 in Longyou
ORIGIN_M = (717_700.0, 3_216_300.0)  # UTM 50N, just west of the Longyou station
LINE_SPACING_M = 60.0
ALT_M = 40.0
SPEED_M_S = 10.0
TO_WGS = Transformer.from_crs(32650, 4326, always_xy=True)


@dataclass(frozen=True)
class StoredPatrol:
    patrol_id: int
    plan_id: int
    vehicle_id: int
    incident_ids: tuple[int, ...]
    track_xy_m: np.ndarray
    photos: int
    battery_used_pct: float
    start: datetime
    end: datetime


def lawnmower_xy() -> np.ndarray:
    """Corners of a 400 m x 300 m lawnmower, lines 60 m apart."""
    x0, y0 = ORIGIN_M
    corners = []
    for k, y in enumerate(np.arange(y0 + 30.0, y0 + 300.0, LINE_SPACING_M)):
        xs = (x0, x0 + 400.0) if k % 2 == 0 else (x0 + 400.0, x0)
        corners += [(xs[0], y), (xs[1], y)]
    return np.array(corners)


def densify(xy: np.ndarray, step_m: float) -> np.ndarray:
    pts = [xy[0]]
    for a, b in itertools.pairwise(xy):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step_m)))
        pts.extend(a + (b - a) * k / n for k in range(1, n + 1))
    return np.array(pts)


def _lonlat(xy: np.ndarray) -> list[list[float]]:
    lon, lat = TO_WGS.transform(xy[:, 0], xy[:, 1])
    return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]


def _tour_features(corners: np.ndarray) -> list[dict[str, Any]]:
    """The lawnmower as a hotspot tour, written by the planner's own GeoJSON writer: a stop
    over the first and the last corner (flown over) and one 1 km away (not visited)."""
    far = corners[0] + np.array([0.0, 1000.0])
    stops = [("H01 码头", corners[0]), ("H02 排污口", corners[-1]), ("H03 远处", far)]
    legs = [Leg(LineString(corners), "transit")]
    legs += [Leg(LineString([p, p]), "loiter", 30.0, name) for name, p in stops]

    def to_wgs84(g: BaseGeometry) -> BaseGeometry:
        return shapely.transform(g, lambda xy: np.array(_lonlat(xy)))

    return route_features(Route(tuple(legs)), to_wgs84, sortie=1)


def store_patrol(
    db: DbSettings, *, sysid: int = 7, start: datetime = START, kind: str = "coverage"
) -> StoredPatrol:
    """Plan, vehicle, reported patrol with track, events, incidents and runner facts; `kind`
    ``tour`` stores the plan as a hotspot tour (three stops, two of them flown over)."""
    corners = lawnmower_xy()
    x0, y0 = ORIGIN_M
    area = box(x0, y0, x0 + 400.0, y0 + 300.0)
    area_wgs = {"type": "Polygon", "coordinates": [_lonlat(np.array(area.exterior.coords))]}
    legs = [
        {"type": "Feature", "properties": {"sortie": 1},
         "geometry": {"type": "LineString", "coordinates": _lonlat(corners)}},
    ]  # fmt: skip
    if kind == "tour":
        legs = _tour_features(corners)
    route = {
        "type": "FeatureCollection",
        "features": [
            *legs,
            {"type": "Feature", "properties": {"role": "area"}, "geometry": area_wgs},
        ],
    }
    xy = densify(corners, SPEED_M_S)  # one point a second
    lonlat = _lonlat(xy)
    times = [start + timedelta(seconds=60 + k) for k in range(len(xy))]
    points = [
        TrackPoint(t, lat, lon, ALT_M, SPEED_M_S, 90.0)
        for t, (lon, lat) in zip(times, lonlat, strict=True)
    ]
    photos = [{"lon_deg": lonlat[k][0], "lat_deg": lonlat[k][1], "time": times[k].isoformat()}
              for k in range(0, len(lonlat), 20)]  # fmt: skip
    end = times[-1] + timedelta(seconds=60)
    engine = make_sync_engine(db)
    try:
        with Session(engine) as s:
            v = Vehicle(sysid=sysid, name=f"drone-{sysid}")
            name = "巡逻 test lawnmower" if kind == "coverage" else "巡逻 test tour"
            plan = Plan(name=name, kind=kind, params={"altitude_m": ALT_M},
                        route=route, stats={"photos": 30})  # fmt: skip
            s.add_all([v, plan])
            s.flush()
            p = Patrol(plan_id=plan.id, vehicle_id=v.id, state="reported", reason="landed",
                       started_at=start, ended_at=end)  # fmt: skip
            s.add(p)
            s.flush()
            for i in range(0, len(points), CHUNK_POINTS):
                t0, t1, blob = encode_points(points[i : i + CHUNK_POINTS])
                s.add(TrackChunk(vehicle_id=v.id, patrol_id=p.id, t0=t0, t1=t1,
                                 n_points=len(points[i : i + CHUNK_POINTS]),
                                 data=blob))  # fmt: skip
            s.add_all(
                [
                    PatrolEvent(patrol_id=p.id, at=start + timedelta(seconds=5), kind="preflight",
                                text="preflight passed"),
                    PatrolEvent(patrol_id=p.id, at=start + timedelta(seconds=200),
                                kind="link_lost", level="warning", text="link lost for 6 s"),
                    PatrolTransition(patrol_id=p.id, from_state="flying", to_state="returning",
                                     at=end - timedelta(seconds=50), cause="mission complete"),
                ]
            )  # fmt: skip
            inc = [
                Incident(type=IncidentType.ILLEGAL_FISHING, lat_deg=lonlat[40][1],
                         lon_deg=lonlat[40][0], description="nets <near> the bank", patrol_id=p.id),
                Incident(type=IncidentType.POLLUTION_DISCHARGE, lat_deg=lonlat[90][1],
                         lon_deg=lonlat[90][0], description="foam", patrol_id=p.id),
            ]  # fmt: skip
            s.add_all(inc)
            s.add(Report(patrol_id=p.id, facts={"photos": photos, "battery_start_pct": 98.0,
                                                "battery_end_pct": 61.5}))  # fmt: skip
            s.commit()
            return StoredPatrol(
                patrol_id=p.id, plan_id=plan.id, vehicle_id=v.id,
                incident_ids=tuple(i.id for i in inc), track_xy_m=xy, photos=len(photos),
                battery_used_pct=36.5, start=start, end=end,
            )  # fmt: skip
    finally:
        engine.dispose()
