"""Plans: create from parameters over the site (or a drawn polygon), preview, list, export files;
re-plan (edit) or delete a plan no patrol was made from.

Planning runs in the station's worker processes (it is CPU work; see
:mod:`groundstation.patrol.planner_pool`); the event loop keeps serving the link, logins and the
live stream meanwhile. A plan that cannot be made (area outside the site, a swath too wide,
parts unreachable) is a 422 whose ``detail`` says why.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from groundstation.api.deps import PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.flight_schemas import PlanCreate, PlanPreview, PlanPublic, sortie_summaries
from groundstation.api.inputs import Id, Offset
from groundstation.api.schemas import Page
from groundstation.api.site_deps import LoadedSite
from groundstation.db.audit import audit
from groundstation.db.models import Plan, User
from groundstation.db.plans import (
    add_plan,
    check_unflown,
    delete_plan,
    get_plan,
    plan_summaries_page,
)
from groundstation.db.vehicles import get_vehicle
from groundstation.patrol.battery import estimate_for
from groundstation.patrol.config import PatrolConfig
from groundstation.patrol.planner_pool import PlannerPool
from groundstation.patrol.planning import PlanResult, export_text
from groundstation.patrol.request import PlanRequest

router = APIRouter(prefix="/api/plans", tags=["plans"], dependencies=[Depends(current_user)])

MEDIA = {
    "plan": ("application/json", "plan"),
    "waypoints": ("text/plain", "waypoints"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml"),
    "geojson": ("application/geo+json", "geojson"),
}


async def with_battery(config: PatrolConfig, session: SessionDep, req: PlanRequest) -> PlanRequest:
    """The request with the battery model of its vehicle (learned, or configured until then)."""
    if req.vehicle_id is None:
        return req
    vehicle = await get_vehicle(session, req.vehicle_id)
    estimate = await estimate_for(
        session,
        vehicle,
        endurance_s=vehicle.endurance_s or req.configured_endurance_s,
        min_flights=config.learn_min_flights,
        min_minutes=config.learn_min_minutes,
    )
    return req.with_battery(estimate)


async def plan_in_pool(
    planner: PlannerPool, http: Request, req: PlanRequest, user: User
) -> PlanResult:
    """Plan in the station's worker processes (see :mod:`groundstation.patrol.planner_pool`):
    at most a few per user at once, stopped at the time limit or when the client goes away."""
    return await planner.plan(req, user=user.id, client_gone=http.is_disconnected)


@router.post("/preview")
async def preview_plan(
    request: Request,
    body: PlanCreate,
    services: ServicesDep,
    session: SessionDep,
    pilot: PilotUser,
) -> PlanPreview:
    """Plan without storing: statistics, sorties and the route, to look at before saving."""
    req = await with_battery(services.patrols.config, session, body.to_request())
    await session.commit()  # no pooled connection held while the plan is computed
    result = await plan_in_pool(services.planner, request, req, pilot)
    sorties = [s.as_dict() for s in result.sorties]
    return PlanPreview(stats=result.stats, sorties=sortie_summaries(sorties), route=result.route)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_plan(
    http: Request,
    body: PlanCreate,
    loaded: LoadedSite,
    services: ServicesDep,
    session: SessionDep,
    pilot: PilotUser,
) -> PlanPublic:
    _, site_id, _ = loaded
    request = await with_battery(services.patrols.config, session, body.to_request())
    await session.commit()  # no pooled connection held while the plan is computed
    result = await plan_in_pool(services.planner, http, request, pilot)
    plan = await add_plan(
        session,
        Plan(
            site_id=site_id,
            name=body.name,
            kind=body.kind,
            params=request.as_params(),
            route=result.route,
            mission_items=[s.as_dict() for s in result.sorties],
            stats=result.stats,
            created_by=pilot.id,
        ),
    )
    params = {"plan_id": plan.id, "name": plan.name, "kind": plan.kind}
    await audit(session, pilot, None, "plan.create", "ok", params)
    return PlanPublic.from_row(plan, with_route=True)


@router.put("/{plan_id}")
async def replan(
    http: Request,
    plan_id: Id,
    body: PlanCreate,
    loaded: LoadedSite,
    services: ServicesDep,
    session: SessionDep,
    pilot: PilotUser,
) -> PlanPublic:
    """Plan again with changed parameters, in place (409 once patrols were made from it: their
    record keeps the route they flew, so save the change as a new plan instead)."""
    plan = await get_plan(session, plan_id)
    await check_unflown(session, plan)
    _, site_id, _ = loaded
    request = await with_battery(services.patrols.config, session, body.to_request())
    await session.commit()  # no pooled connection held while the plan is computed
    result = await plan_in_pool(services.planner, http, request, pilot)
    plan = await get_plan(session, plan_id)
    await check_unflown(session, plan)  # a patrol may have been made meanwhile
    plan.site_id = site_id
    plan.name = body.name
    plan.kind = body.kind
    plan.params = request.as_params()
    plan.route = result.route
    plan.mission_items = [s.as_dict() for s in result.sorties]
    plan.stats = result.stats
    params = {"plan_id": plan.id, "name": plan.name, "kind": plan.kind}
    await audit(session, pilot, None, "plan.update", "ok", params)  # commits the plan with it
    return PlanPublic.from_row(plan, with_route=True)


@router.delete("/{plan_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_plan(plan_id: Id, session: SessionDep, pilot: PilotUser) -> None:
    """Delete a plan (409 if patrols were made from it, or a schedule flies it)."""
    plan = await get_plan(session, plan_id)
    params = {"plan_id": plan.id, "name": plan.name, "kind": plan.kind}
    await delete_plan(session, plan)
    await audit(session, pilot, None, "plan.delete", "ok", params)  # commits the deletion


@router.get("")
async def list_plans(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[PlanPublic]:
    """Plans, newest first, as summaries: routes and mission items only in the detail view."""
    rows, total = await plan_summaries_page(session, limit=limit, offset=offset)
    return Page(data=[PlanPublic.from_row(p) for p in rows], count=total)


@router.get("/{plan_id}", response_model=PlanPublic)
async def read_plan(plan_id: Id, session: SessionDep) -> Response:
    """A plan with its route (GeoJSON: legs per sortie, area, no-fly zones, station, fence)."""
    plan = await get_plan(session, plan_id)
    # A whole-zone route is hundreds of KB: encode it off the event loop (link, live stream).
    body = await asyncio.to_thread(
        lambda: PlanPublic.from_row(plan, with_route=True).model_dump_json()
    )
    return Response(body, media_type="application/json")


@router.get(
    "/{plan_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "a QGC .plan, QGC WPL 110 .waypoints, KML or GeoJSON file",
            "content": {media: {} for media, _ext in MEDIA.values()},
        }
    },
)
async def export_plan(
    plan_id: Id,
    session: SessionDep,
    loaded: LoadedSite,
    fmt: Annotated[Literal["plan", "waypoints", "kml", "geojson"], Query(alias="format")] = "plan",
    sortie: Annotated[Id, Query(description="which sortie (plan, waypoints)")] = 1,
) -> Response:
    plan = await get_plan(session, plan_id)
    site, _, _ = loaded
    text = await asyncio.to_thread(
        export_text,
        site,
        dict(plan.params),
        list(plan.mission_items),
        dict(plan.route),
        fmt,
        sortie,
    )
    media, ext = MEDIA[fmt]
    name = f"plan{plan.id}" + (f"_s{sortie:02d}" if fmt in ("plan", "waypoints") else "")
    return Response(
        content=text,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )
