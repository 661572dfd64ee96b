"""Patrols: create from a plan, start, abort, resume, list, detail with the track as GeoJSON.

Also the incidents' "dispatch": the nearest capable drone is sent to an incident to loiter.
State changes go through the :class:`~groundstation.patrol.service.PatrolService`; this module
only reads the store and translates requests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import func, select

from groundstation.api.deps import HubDep, PilotUser, SessionDep, current_user
from groundstation.api.flight_schemas import (
    DispatchRequest,
    DispatchResult,
    FlyPlan,
    PatrolAbort,
    PatrolCreate,
    PatrolDetail,
    PatrolEventPublic,
    PatrolPublic,
    PatrolStart,
    TransitionPublic,
)
from groundstation.api.incident_views import incident_public, publish_incident
from groundstation.api.inputs import Id, Offset
from groundstation.api.schemas import Page
from groundstation.api.vehicle_commands import live_handle
from groundstation.db.audit import audit
from groundstation.db.models import (
    Incident,
    Patrol,
    PatrolEvent,
    PatrolState,
    PatrolTransition,
    Plan,
    Report,
    Vehicle,
)
from groundstation.db.track import load_track, track_geojson
from groundstation.errors import Conflict, GroundStationError, InvalidRequest, NotFound
from groundstation.patrol.service import PatrolService
from groundstation.patrol.track_recorder import haversine_m
from groundstation.telemetry.fleet_bridge import bridge_or_none

router = APIRouter(prefix="/api", tags=["patrols"], dependencies=[Depends(current_user)])


def get_service(request: Request) -> PatrolService:
    service: PatrolService = request.app.state.patrols
    return service


ServiceDep = Annotated[PatrolService, Depends(get_service)]


async def _patrol(session: SessionDep, patrol_id: Id) -> Patrol:
    patrol = await session.get(Patrol, patrol_id)
    if patrol is None:
        raise NotFound("patrol", patrol_id)
    return patrol


@router.post("/patrols", status_code=status.HTTP_201_CREATED)
async def create_patrols(
    body: PatrolCreate, session: SessionDep, pilot: PilotUser
) -> Page[PatrolPublic]:
    """One patrol per sortie of the plan (or just `sortie`); drone k flies on vehicle_ids[k-1]."""
    plan = await session.get(Plan, body.plan_id)
    if plan is None:
        raise NotFound("plan", body.plan_id)
    sorties = list(plan.mission_items)
    if body.sortie is not None and body.sortie > len(sorties):
        raise InvalidRequest(f"plan {plan.id} has {len(sorties)} sortie(s)", field="sortie")
    for vid in body.vehicle_ids:
        if await session.get(Vehicle, vid) is None:
            raise NotFound("vehicle", vid)
    wanted = [body.sortie - 1] if body.sortie is not None else list(range(len(sorties)))
    rows = []
    for n in wanted:
        drone = int(sorties[n]["drone"])
        vehicle_id = body.vehicle_ids[drone % len(body.vehicle_ids)] if body.vehicle_ids else None
        rows.append(Patrol(plan_id=plan.id, sortie=n, vehicle_id=vehicle_id, created_by=pilot.id))
    session.add_all(rows)
    await session.commit()
    return Page(data=[PatrolPublic.from_row(p) for p in rows], count=len(rows))


@router.post("/plans/{plan_id}/fly", status_code=status.HTTP_202_ACCEPTED)
async def fly_plan(
    plan_id: Id, body: FlyPlan, session: SessionDep, service: ServiceDep, pilot: PilotUser
) -> Page[PatrolPublic]:
    """Every sortie of a plan: in parallel across `vehicle_ids` (the plan's drone k on
    vehicle_ids[k-1]), in sequence on each vehicle (the next starts when one is reported)."""
    service.require_link()
    created = await create_patrols(
        PatrolCreate(plan_id=plan_id, vehicle_ids=body.vehicle_ids), session, pilot
    )
    rows = [await _patrol(session, p.id) for p in created.data]
    await service.fly(rows, pilot)
    fresh = [PatrolPublic.from_row(await _refreshed(session, p.id)) for p in rows]
    return Page(data=fresh, count=len(fresh))


@router.get("/patrols")
async def list_patrols(
    session: SessionDep,
    state: Annotated[list[PatrolState] | None, Query()] = None,
    plan_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[PatrolPublic]:
    query = select(Patrol)
    if state:
        query = query.where(Patrol.state.in_([s.value for s in state]))
    if plan_id is not None:
        query = query.where(Patrol.plan_id == plan_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Patrol.id.desc()).limit(limit).offset(offset))
    return Page(data=[PatrolPublic.from_row(p) for p in rows], count=total or 0)


@router.get("/patrols/{patrol_id}")
async def read_patrol(patrol_id: Id, session: SessionDep) -> PatrolDetail:
    """The patrol, its transitions, its track (GeoJSON, split at gaps) and its report facts."""
    patrol = await _patrol(session, patrol_id)
    transitions = await session.scalars(
        select(PatrolTransition)
        .where(PatrolTransition.patrol_id == patrol_id)
        .order_by(PatrolTransition.id)
    )
    events = await session.scalars(
        select(PatrolEvent).where(PatrolEvent.patrol_id == patrol_id).order_by(PatrolEvent.id)
    )
    track = await load_track(session, patrol_id=patrol_id)
    report = await session.scalar(select(Report).where(Report.patrol_id == patrol_id))
    base = PatrolPublic.from_row(patrol).model_dump()
    return PatrolDetail(
        **base,
        transitions=[TransitionPublic.from_row(t) for t in transitions],
        events=[PatrolEventPublic.from_row(e) for e in events],
        track=track_geojson(track, {"patrol_id": patrol_id}),
        report=dict(report.facts) if report is not None else None,
    )


@router.post("/patrols/{patrol_id}/start", status_code=status.HTTP_202_ACCEPTED)
async def start_patrol(
    patrol_id: Id,
    session: SessionDep,
    service: ServiceDep,
    pilot: PilotUser,
    body: PatrolStart | None = None,
) -> PatrolPublic:
    """Preflight (409 with every check's verdict if one fails), then fly in the background."""
    await service.start(patrol_id, pilot, vehicle_id=body.vehicle_id if body else None)
    return PatrolPublic.from_row(await _refreshed(session, patrol_id))


@router.post("/patrols/{patrol_id}/resume", status_code=status.HTTP_202_ACCEPTED)
async def resume_patrol(
    patrol_id: Id, session: SessionDep, service: ServiceDep, pilot: PilotUser
) -> PatrolPublic:
    """Fly an interrupted patrol again from the item after its last reached one."""
    await service.start(patrol_id, pilot, resume=True)
    return PatrolPublic.from_row(await _refreshed(session, patrol_id))


@router.post("/patrols/{patrol_id}/abort")
async def abort_patrol(
    patrol_id: Id, service: ServiceDep, pilot: PilotUser, body: PatrolAbort | None = None
) -> PatrolPublic:
    body = body or PatrolAbort()
    patrol = await service.abort(patrol_id, pilot, body.reason, rtl=body.rtl)
    return PatrolPublic.from_row(patrol)


async def _refreshed(session: SessionDep, patrol_id: Id) -> Patrol:
    patrol = await _patrol(session, patrol_id)
    await session.refresh(patrol)
    return patrol


@router.post("/incidents/{incident_id}/dispatch")
async def dispatch(
    incident_id: Id,
    request: Request,
    session: SessionDep,
    hub: HubDep,
    pilot: PilotUser,
    body: DispatchRequest | None = None,
) -> DispatchResult:
    """Send the nearest capable drone (heard, not lost, not on a patrol, with the capability
    asked for) to the incident to hold there; the incident then names the drone."""
    body = body or DispatchRequest()
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident", incident_id)
    bridge = bridge_or_none(request.app)
    if bridge is None:
        raise Conflict("the station has no MAVLink link (start it with --mavlink)")
    busy = set(
        await session.scalars(
            select(Patrol.vehicle_id).where(
                Patrol.state.in_(["preflight", "uploading", "launching", "flying", "returning"])
            )
        )
    )
    candidates: list[tuple[float, Vehicle]] = []
    vehicles = await session.scalars(select(Vehicle))
    for v in vehicles:
        if body.vehicle_id is not None and v.id != body.vehicle_id:
            continue
        if body.capability is not None and body.capability not in v.capabilities:
            continue
        handle = bridge.fleet.vehicles.get(v.sysid)
        if handle is None or handle.is_lost or v.id in busy:
            continue
        pos = handle.state.position
        if pos is None:
            continue
        candidates.append(
            (haversine_m(pos.lat_deg, pos.lon_deg, incident.lat_deg, incident.lon_deg), v)
        )
    if not candidates:
        raise Conflict("no drone can go: none is connected, free and with a position")
    distance, vehicle = min(candidates, key=lambda c: c[0])
    params = {
        "incident_id": incident_id,
        "lat_deg": incident.lat_deg,
        "lon_deg": incident.lon_deg,
        "alt_rel_m": body.alt_rel_m,
    }
    try:
        handle = live_handle(request, vehicle)
        if not handle.state.armed:
            await handle.arm()
            await handle.takeoff(body.alt_rel_m)
        await handle.goto(incident.lat_deg, incident.lon_deg, body.alt_rel_m)
    except (GroundStationError, ValueError) as exc:
        await audit(session, pilot, vehicle, "dispatch", f"error: {exc}", params)
        raise
    await audit(session, pilot, vehicle, "dispatch", "accepted", params)
    incident.vehicle_id = vehicle.id
    await session.commit()
    publish_incident(hub, "updated", await incident_public(session, incident))
    return DispatchResult(
        vehicle_id=vehicle.id, sysid=vehicle.sysid, command="dispatch", result="accepted",
        incident_id=incident_id, distance_m=round(distance, 1),
    )  # fmt: skip
