"""Incidents: anyone on duty may report one; officers (and admins) assign and resolve them.

Every change is published on the live stream (``incident.created`` / ``incident.updated``) after
it is committed, so what a viewer sees is always what is stored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import func, select

from groundstation.api.deps import CurrentUser, HubDep, OfficerUser, SessionDep, current_user
from groundstation.api.inputs import Id, Offset
from groundstation.api.schemas import IncidentCreate, IncidentPublic, IncidentUpdate, Page
from groundstation.db.models import (
    Attachment,
    Incident,
    IncidentStatus,
    IncidentType,
    Patrol,
    Role,
    User,
    Vehicle,
)
from groundstation.db.types import utcnow
from groundstation.errors import InvalidRequest, NotFound
from groundstation.telemetry.events import incident_event
from groundstation.telemetry.hub import Hub

router = APIRouter(
    prefix="/api/incidents", tags=["incidents"], dependencies=[Depends(current_user)]
)


async def get_incident(session: SessionDep, incident_id: Id) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident", incident_id)
    return incident


async def incident_public(session: SessionDep, incident: Incident) -> IncidentPublic:
    query = select(Attachment).where(Attachment.incident_id == incident.id).order_by(Attachment.id)
    attachments = list((await session.execute(query)).scalars().all())
    return IncidentPublic.from_row(incident, attachments)


def publish_incident(
    hub: Hub, kind: Literal["created", "updated"], incident: IncidentPublic
) -> None:
    hub.publish(incident_event(kind, incident.model_dump(mode="json")))


@router.get("")
async def list_incidents(
    session: SessionDep,
    status_: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    type_: Annotated[IncidentType | None, Query(alias="type")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[IncidentPublic]:
    query = select(Incident)
    if status_ is not None:
        query = query.where(Incident.status == status_)
    if type_ is not None:
        query = query.where(Incident.type == type_)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await session.execute(
            query.order_by(Incident.created_at.desc(), Incident.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).scalars()
    return Page(data=[IncidentPublic.from_row(i) for i in rows], count=int(total))


@router.get("/{incident_id}")
async def read_incident(incident_id: Id, session: SessionDep) -> IncidentPublic:
    return await incident_public(session, await get_incident(session, incident_id))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_incident(
    body: IncidentCreate, session: SessionDep, hub: HubDep, user: CurrentUser
) -> IncidentPublic:
    """Report an incident at a position (any role)."""
    if body.patrol_id is not None and await session.get(Patrol, body.patrol_id) is None:
        raise InvalidRequest(f"no patrol {body.patrol_id}", field="patrol_id")
    if body.vehicle_id is not None and await session.get(Vehicle, body.vehicle_id) is None:
        raise InvalidRequest(f"no vehicle {body.vehicle_id}", field="vehicle_id")
    incident = Incident(**body.model_dump(), status=IncidentStatus.OPEN, reported_by=user.id)
    session.add(incident)
    await session.commit()
    public = IncidentPublic.from_row(incident)
    publish_incident(hub, "created", public)
    return public


@router.patch("/{incident_id}")
async def update_incident(
    incident_id: Id, body: IncidentUpdate, session: SessionDep, hub: HubDep, _officer: OfficerUser
) -> IncidentPublic:
    """Assign, resolve, reopen or correct an incident (officers and admins)."""
    incident = await get_incident(session, incident_id)
    changes = body.model_dump(exclude_unset=True)
    if "assigned_to" in changes:
        assignee_id = changes["assigned_to"]
        if assignee_id is not None:
            await _check_assignee(session, assignee_id)
        incident.assigned_to = assignee_id
        if "status" not in changes and incident.status != IncidentStatus.RESOLVED:
            incident.status = IncidentStatus.ASSIGNED if assignee_id else IncidentStatus.OPEN
    new_status = changes.get("status")
    if new_status is not None:
        if new_status == IncidentStatus.ASSIGNED and incident.assigned_to is None:
            raise InvalidRequest("status 'assigned' needs an assigned_to officer", field="status")
        incident.status = new_status
    incident.resolved_at = utcnow() if incident.status == IncidentStatus.RESOLVED else None
    if changes.get("description") is not None:
        incident.description = changes["description"]
    if changes.get("type") is not None:
        incident.type = changes["type"]
    incident.updated_at = utcnow()
    await session.commit()
    public = await incident_public(session, incident)
    publish_incident(hub, "updated", public)
    return public


async def _check_assignee(session: SessionDep, user_id: Id) -> None:
    assignee = await session.get(User, user_id)
    if assignee is None or not assignee.active:
        raise InvalidRequest(f"no active user {user_id}", field="assigned_to")
    if assignee.role != Role.OFFICER:
        raise InvalidRequest(
            f"user {assignee.username!r} is a {assignee.role.value}, not an officer",
            field="assigned_to",
        )
