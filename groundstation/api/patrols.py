"""Patrols: create from a plan, start, abort, resume, list, detail with the track as GeoJSON.

Also the incidents' "dispatch": the nearest capable drone is sent to an incident to loiter.
State changes go through the :class:`~groundstation.patrol.service.PatrolService`, patrols per
sortie through :mod:`groundstation.patrol.sorties` and a dispatch through
:mod:`groundstation.patrol.dispatch`; this module only translates requests and answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from groundstation.api.deps import HubDep, PilotUser, ServicesDep, SessionDep, current_user
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
from groundstation.db.audit import audit
from groundstation.db.models import PatrolState
from groundstation.db.patrols import (
    get_patrol,
    patrol_events,
    patrol_page,
    patrol_transitions,
    refreshed_patrol,
)
from groundstation.db.reports import report_of_patrol
from groundstation.db.track import load_track, track_geojson
from groundstation.errors import GroundStationError
from groundstation.patrol import sorties
from groundstation.patrol.dispatch import DispatchOrder, dispatch_to_incident
from groundstation.patrol.service import PatrolService

router = APIRouter(prefix="/api", tags=["patrols"], dependencies=[Depends(current_user)])


def get_service(services: ServicesDep) -> PatrolService:
    return services.patrols


ServiceDep = Annotated[PatrolService, Depends(get_service)]


@router.post("/patrols", status_code=status.HTTP_201_CREATED)
async def create_patrols(
    body: PatrolCreate, session: SessionDep, pilot: PilotUser
) -> Page[PatrolPublic]:
    """One patrol per sortie of the plan (or just `sortie`); drone k flies on vehicle_ids[k-1]."""
    rows = await sorties.create_patrols(
        session, pilot, body.plan_id, body.vehicle_ids, sortie=body.sortie
    )
    for p in rows:
        params = {"patrol_id": p.id, "plan_id": p.plan_id, "sortie": p.sortie}
        await audit(session, pilot, p.vehicle_id, "patrol.create", "ok", params)
    return Page(data=[PatrolPublic.from_row(p) for p in rows], count=len(rows))


@router.post("/plans/{plan_id}/fly", status_code=status.HTTP_202_ACCEPTED)
async def fly_plan(
    plan_id: Id, body: FlyPlan, session: SessionDep, service: ServiceDep, pilot: PilotUser
) -> Page[PatrolPublic]:
    """Every sortie of a plan: in parallel across `vehicle_ids` (the plan's drone k on
    vehicle_ids[k-1]), in sequence on each vehicle (the next starts when one is reported)."""
    params: dict[str, object] = {"plan_id": plan_id, "vehicle_ids": list(body.vehicle_ids)}
    try:
        rows = await sorties.fly_plan(session, service, pilot, plan_id, body.vehicle_ids)
    except GroundStationError as exc:
        await audit(session, pilot, None, "plan.fly", f"error: {exc}", params)
        raise
    params["patrol_ids"] = [p.id for p in rows]
    await audit(session, pilot, None, "plan.fly", "accepted", params)
    return Page(data=[PatrolPublic.from_row(p) for p in rows], count=len(rows))


@router.get("/patrols")
async def list_patrols(
    session: SessionDep,
    state: Annotated[list[PatrolState] | None, Query()] = None,
    plan_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[PatrolPublic]:
    rows, total = await patrol_page(
        session, states=state, plan_id=plan_id, limit=limit, offset=offset
    )
    return Page(data=[PatrolPublic.from_row(p) for p in rows], count=total)


@router.get("/patrols/{patrol_id}")
async def read_patrol(patrol_id: Id, session: SessionDep) -> PatrolDetail:
    """The patrol, its transitions, its track (GeoJSON, split at gaps) and its report facts."""
    patrol = await get_patrol(session, patrol_id)
    transitions = await patrol_transitions(session, patrol_id)
    events = await patrol_events(session, patrol_id)
    track = await load_track(session, patrol_id=patrol_id)
    report = await report_of_patrol(session, patrol_id)
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
    params = {"patrol_id": patrol_id}
    try:
        await service.start(patrol_id, pilot, vehicle_id=body.vehicle_id if body else None)
    except GroundStationError as exc:
        await audit(session, pilot, None, "patrol.start", f"error: {exc}", params)
        raise
    await audit(session, pilot, None, "patrol.start", "accepted", params)
    return PatrolPublic.from_row(await refreshed_patrol(session, patrol_id))


@router.post("/patrols/{patrol_id}/resume", status_code=status.HTTP_202_ACCEPTED)
async def resume_patrol(
    patrol_id: Id,
    session: SessionDep,
    service: ServiceDep,
    pilot: PilotUser,
    body: PatrolStart | None = None,
) -> PatrolPublic:
    """Fly an interrupted patrol again from the item after its last reached one, on its own
    drone or on ``vehicle_id`` (another drone finishes what the first could not)."""
    vehicle_id = body.vehicle_id if body else None
    params = {"patrol_id": patrol_id, "vehicle_id": vehicle_id}
    try:
        await service.start(patrol_id, pilot, vehicle_id=vehicle_id, resume=True)
    except GroundStationError as exc:
        await audit(session, pilot, None, "patrol.resume", f"error: {exc}", params)
        raise
    await audit(session, pilot, None, "patrol.resume", "accepted", params)
    return PatrolPublic.from_row(await refreshed_patrol(session, patrol_id))


@router.post("/patrols/{patrol_id}/abort")
async def abort_patrol(
    patrol_id: Id,
    session: SessionDep,
    service: ServiceDep,
    pilot: PilotUser,
    body: PatrolAbort | None = None,
) -> PatrolPublic:
    body = body or PatrolAbort()
    params = {"patrol_id": patrol_id, "reason": body.reason, "rtl": body.rtl}
    try:
        patrol = await service.abort(patrol_id, pilot, body.reason, rtl=body.rtl)
    except GroundStationError as exc:
        await audit(session, pilot, None, "patrol.abort", f"error: {exc}", params)
        raise
    await audit(session, pilot, None, "patrol.abort", "accepted", params)
    return PatrolPublic.from_row(patrol)


@router.post("/incidents/{incident_id}/dispatch")
async def dispatch(
    incident_id: Id,
    services: ServicesDep,
    session: SessionDep,
    hub: HubDep,
    pilot: PilotUser,
    body: DispatchRequest | None = None,
) -> DispatchResult:
    """Send the nearest capable drone (heard, not lost, not on a patrol, with the capability
    asked for) to the incident to hold there; the incident then names the drone."""
    body = body or DispatchRequest()
    order = DispatchOrder(
        alt_rel_m=body.alt_rel_m, vehicle_id=body.vehicle_id, capability=body.capability
    )
    sent = await dispatch_to_incident(session, services.bridge, pilot, incident_id, order)
    publish_incident(hub, "updated", await incident_public(session, sent.incident))
    return DispatchResult(
        vehicle_id=sent.vehicle.id, sysid=sent.vehicle.sysid, command="dispatch",
        result="accepted", incident_id=incident_id, distance_m=round(sent.distance_m, 1),
    )  # fmt: skip
