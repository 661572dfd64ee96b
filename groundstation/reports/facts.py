"""The facts of one patrol, gathered from the store: what every report format is built from.

:func:`gather` reads the patrol, its plan and vehicle, its track chunks, transitions, events and
incidents, its flights (``flights``: battery at arming and landing, distance, written as they
happen) and the facts the runner stored on landing (``reports.facts``) into a frozen
:class:`PatrolFacts`; :func:`summary` turns it into the numbers an officer reads. Both the
numbers and the formats are computed, never stored twice: the stored report keeps the runner's
facts plus the computed ``summary`` for listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from geodata.crs import LocalFrame
from groundstation.db import camera_media
from groundstation.db.models import (
    Flight,
    Incident,
    Patrol,
    PatrolEvent,
    PatrolTransition,
    Plan,
    Report,
    Vehicle,
)
from groundstation.db.track import Track, load_track
from groundstation.errors import NotFound
from groundstation.reports.measure import covered_fraction, haversine_m, track_distance_m

ANOMALY_KINDS = frozenset(
    {"link_lost", "rtl", "low_battery", "fence_breach", "mode_changed", "aborted_item", "failsafe"}
)


@dataclass(frozen=True, slots=True)
class Photo:
    lon_deg: float
    lat_deg: float
    time: str = ""


@dataclass(frozen=True, slots=True)
class Stop:
    """A point the plan loiters at (a tour's hotspot), WGS84."""

    lon_deg: float
    lat_deg: float
    name: str = ""


#: Plan kinds whose figure is the share of the planned area the camera swept.
AREA_KINDS = frozenset({"coverage", "corridor"})
#: Metres from a hotspot within which a tour's track counts it as visited.
VISIT_RADIUS_M = 30.0


@dataclass(frozen=True, slots=True)
class PatrolFacts:
    """Everything known about one finished (or failed) patrol."""

    patrol_id: int
    plan_id: int
    plan_name: str
    plan_kind: str
    sortie: int
    vehicle: str
    vehicle_sysid: int | None
    state: str
    reason: str
    started_at: datetime | None
    ended_at: datetime | None
    altitude_m: float | None
    track: Track
    planned_lines: list[list[tuple[float, float]]] = field(default_factory=list)
    planned_area: BaseGeometry | None = None
    #: the plan's loiter points (a tour's hotspots), in route order
    planned_stops: list[Stop] = field(default_factory=list)
    #: metres of the plan's sweep legs (camera on: a shore loop's shoreline)
    planned_sweep_m: float | None = None
    photos: list[Photo] = field(default_factory=list)
    photos_planned: int | None = None
    photos_missed: int = 0
    #: metres flown by the patrol's flights (across gaps along the route); None: not recorded
    distance_m: float | None = None
    #: seconds armed on the vehicle's own clock (``flights.flight_s``, simulated time on a
    #: simulator run faster than real time); None: no flight recorded
    flight_s: float | None = None
    battery_start_pct: float | None = None
    battery_end_pct: float | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, Any] = field(default_factory=dict)
    #: photos fetched from the drone's camera during the patrol (``camera_photos`` rows:
    #: id, taken_at, lat_deg, lon_deg, sha256, path), shown as thumbnails
    camera_photos: list[dict[str, Any]] = field(default_factory=list)

    @property
    def anomalies(self) -> list[dict[str, Any]]:
        """Events a person should look at: warnings, criticals and known anomaly kinds."""
        return [
            e
            for e in self.events
            if e["level"] in ("warning", "critical") or e["kind"] in ANOMALY_KINDS
        ]


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat() if t is not None else None


def summary(f: PatrolFacts, *, hfov_deg: float) -> dict[str, Any]:
    """The report's numbers, JSON-ready (``None`` where the fact is unknown).

    ``duration_s`` is flight time on the vehicle's clock when the patrol's flights were recorded
    (``duration_clock`` "vehicle"), else the station's start to end ("station");
    ``elapsed_s`` is always the station's start to end.
    """
    pts = f.track.points
    elapsed = None
    if f.started_at is not None and f.ended_at is not None:
        elapsed = (f.ended_at - f.started_at).total_seconds()
    # the station's clock is wall-clock: on a simulator run at --speedup N it is N times short
    duration = f.flight_s if f.flight_s is not None else elapsed
    flight_s = f.flight_s
    if flight_s is None:
        flight_s = float(pts["time_s"][-1] - pts["time_s"][0]) if len(pts) > 1 else 0.0
    battery_used = None
    if f.battery_start_pct is not None and f.battery_end_pct is not None:
        battery_used = round(f.battery_start_pct - f.battery_end_pct, 1)
    covered = None
    if f.plan_kind in AREA_KINDS and f.planned_area is not None and len(pts) > 1:
        covered = round(covered_fraction(f.track, f.planned_area, hfov_deg=hfov_deg), 4)
    tour = f.plan_kind == "tour" and bool(f.planned_stops)
    return {
        "patrol_id": f.patrol_id,
        "plan_id": f.plan_id,
        "plan": f.plan_name,
        "kind": f.plan_kind,
        "sortie": f.sortie + 1,
        "drone": f.vehicle,
        "state": f.state,
        "reason": f.reason,
        "start": _iso(f.started_at),
        "end": _iso(f.ended_at),
        "duration_s": round(duration, 1) if duration is not None else None,
        "duration_clock": "vehicle" if f.flight_s is not None else "station",
        "elapsed_s": round(elapsed, 1) if elapsed is not None else None,
        "flight_time_s": round(flight_s, 1),
        "distance_m": round(
            f.distance_m if f.distance_m is not None else track_distance_m(f.track), 1
        ),
        "track_points": len(pts),
        "max_alt_m": round(float(np.max(pts["alt_m"])), 1) if len(pts) else None,
        "covered_frac": covered,
        "hotspots_visited": (
            len(visited_stops(f.track, f.planned_stops, VISIT_RADIUS_M)) if tour else None
        ),
        "hotspots_planned": len(f.planned_stops) if tour else None,
        "shoreline_m": (
            round(f.planned_sweep_m, 1)
            if f.plan_kind == "shore" and f.planned_sweep_m is not None
            else None
        ),
        "photos": len(f.photos),
        "photos_planned": f.photos_planned,
        "photos_missed": f.photos_missed,
        "battery_used_pct": battery_used,
        "events": len(f.events),
        "anomalies": len(f.anomalies),
        "incidents": len(f.incidents),
    }


@dataclass(frozen=True, slots=True)
class _PlannedRoute:
    lines: list[list[tuple[float, float]]]
    area: BaseGeometry | None
    stops: list[Stop]
    sweep_m: float | None


def _route_lines(route: dict[str, Any]) -> _PlannedRoute:
    lines: list[list[tuple[float, float]]] = []
    area = None
    stops: list[Stop] = []
    sweeps: list[BaseGeometry] = []
    for feat in route.get("features", []):
        geom = feat.get("geometry") or {}
        props = feat.get("properties") or {}
        role = props.get("role")
        if role == "area" and geom:
            area = shape(geom)
        elif props.get("kind") == "loiter":
            # a stop: a Point (routes.formats.geojson), with its name and loiter time
            if geom.get("type") == "Point":
                lon, lat = geom["coordinates"][:2]
                stops.append(Stop(float(lon), float(lat), str(props.get("name") or "")))
            continue
        if props.get("kind") == "sweep" and geom.get("type") == "LineString":
            sweeps.append(shape(geom))
        if geom.get("type") == "LineString":
            lines.append([(float(c[0]), float(c[1])) for c in geom["coordinates"]])
        elif geom.get("type") == "MultiLineString":
            lines += [[(float(c[0]), float(c[1])) for c in part] for part in geom["coordinates"]]
    sweep_m = None
    if sweeps:
        frame = LocalFrame.for_geometry(sweeps[0])
        sweep_m = float(sum(frame.to_local(g).length for g in sweeps))
    return _PlannedRoute(lines, area, stops, sweep_m)


def visited_stops(track: Track, stops: list[Stop], radius_m: float) -> list[Stop]:
    """The stops some track point passed within `radius_m` of (horizontally)."""
    pts = track.points
    if not len(pts) or not stops:
        return []
    lat = np.array([s.lat_deg for s in stops])[:, None]
    lon = np.array([s.lon_deg for s in stops])[:, None]
    d = haversine_m(lat, lon, pts["lat_deg"][None, :], pts["lon_deg"][None, :])
    near = np.asarray((d <= radius_m).any(axis=1))
    return [s for s, hit in zip(stops, near.tolist(), strict=True) if hit]


def _photos(raw: Any) -> list[Photo]:
    out = []
    for p in raw if isinstance(raw, list) else []:
        try:
            out.append(Photo(float(p["lon_deg"]), float(p["lat_deg"]), str(p.get("time", ""))))
        except (KeyError, TypeError, ValueError):
            continue  # a malformed photo entry is left out, not fatal to the report
    return out


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _float(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) else None


async def gather(session: AsyncSession, patrol_id: int) -> PatrolFacts:
    """Read one patrol's facts from the store; :class:`NotFound` if there is no such patrol."""
    patrol = await session.get(Patrol, patrol_id)
    if patrol is None:
        raise NotFound("patrol", patrol_id)
    plan = await session.get(Plan, patrol.plan_id)
    vehicle = await session.get(Vehicle, patrol.vehicle_id) if patrol.vehicle_id else None
    report = await session.scalar(select(Report).where(Report.patrol_id == patrol_id))
    stored = dict(report.facts) if report is not None else {}
    track = await load_track(session, patrol_id=patrol_id)
    events = [
        {"at": _iso(e.at), "kind": e.kind, "level": e.level, "text": e.text}
        for e in await session.scalars(
            select(PatrolEvent).where(PatrolEvent.patrol_id == patrol_id).order_by(PatrolEvent.at)
        )
    ]
    for t in await session.scalars(
        select(PatrolTransition)
        .where(PatrolTransition.patrol_id == patrol_id)
        .where(PatrolTransition.to_state.in_(["aborted", "failed", "returning"]))
    ):
        level = "info" if t.to_state == "returning" else "critical"
        kind = t.to_state
        events.append({"at": _iso(t.at), "kind": kind, "level": level, "text": t.cause})
    events.sort(key=lambda e: e["at"] or "")
    incidents = [
        {
            "id": i.id,
            "type": i.type.value,
            "status": i.status.value,
            "lat_deg": i.lat_deg,
            "lon_deg": i.lon_deg,
            "description": i.description,
            "created_at": _iso(i.created_at),
        }
        for i in await session.scalars(
            select(Incident).where(Incident.patrol_id == patrol_id).order_by(Incident.id)
        )
    ]
    camera_photos = [
        {
            "id": p.id,
            "taken_at": _iso(p.taken_at),
            "lat_deg": p.exif_lat_deg if p.exif_lat_deg is not None else p.lat_deg,
            "lon_deg": p.exif_lon_deg if p.exif_lon_deg is not None else p.lon_deg,
            "sha256": p.sha256,
            "path": p.path,
        }
        for p in reversed(await camera_media.list_photos(session, patrol_id=patrol_id))
    ]
    flights = list(
        await session.scalars(
            select(Flight).where(Flight.patrol_id == patrol_id).order_by(Flight.id)
        )
    )
    last = flights[-1] if flights else None
    planned = _route_lines(plan.route if plan is not None else {})
    altitude = plan.params.get("altitude_m") if plan is not None else None
    return PatrolFacts(
        patrol_id=patrol.id,
        plan_id=patrol.plan_id,
        plan_name=plan.name if plan is not None else "",
        plan_kind=plan.kind if plan is not None else "",
        sortie=patrol.sortie,
        vehicle=vehicle.name if vehicle is not None else "",
        vehicle_sysid=vehicle.sysid if vehicle is not None else None,
        state=patrol.state,
        reason=patrol.reason,
        started_at=patrol.started_at,
        ended_at=patrol.ended_at,
        altitude_m=_float(altitude),
        track=track,
        planned_lines=planned.lines,
        planned_area=planned.area,
        planned_stops=planned.stops,
        planned_sweep_m=planned.sweep_m,
        photos=_photos(stored.get("photos")),
        photos_planned=_int((plan.stats or {}).get("photos")) if plan is not None else None,
        photos_missed=_int(stored.get("photos_missed")) or 0,
        distance_m=sum(f.distance_m for f in flights) if flights else None,
        flight_s=sum(f.flight_s for f in flights) if flights else None,
        battery_start_pct=(
            last.battery_start_pct if last else _float(stored.get("battery_start_pct"))
        ),
        battery_end_pct=last.battery_end_pct if last else _float(stored.get("battery_end_pct")),
        events=events,
        incidents=incidents,
        stored=stored,
        camera_photos=camera_photos,
    )
