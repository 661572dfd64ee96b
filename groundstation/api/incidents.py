"""Incidents: anyone on duty may report one; officers (and admins) assign and resolve them.

Every change is published on the live stream (``incident.created`` / ``incident.updated``) after
it is committed, so what a viewer sees is always what is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from groundstation.api.deps import CurrentUser, HubDep, OfficerUser, SessionDep, current_user
from groundstation.api.incident_views import incident_public, publish_incident
from groundstation.api.inputs import Id, Offset
from groundstation.api.schemas import IncidentCreate, IncidentPublic, IncidentUpdate, Page
from groundstation.db.audit import audit
from groundstation.db.incidents import (
    change_incident,
    get_incident,
    incident_page,
    report_incident,
)
from groundstation.db.models import IncidentStatus, IncidentType

router = APIRouter(
    prefix="/api/incidents", tags=["incidents"], dependencies=[Depends(current_user)]
)


@router.get("")
async def list_incidents(
    session: SessionDep,
    status_: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    type_: Annotated[IncidentType | None, Query(alias="type")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[IncidentPublic]:
    rows, total = await incident_page(
        session, status=status_, type_=type_, limit=limit, offset=offset
    )
    return Page(data=[IncidentPublic.from_row(i) for i in rows], count=total)


@router.get("/{incident_id}")
async def read_incident(incident_id: Id, session: SessionDep) -> IncidentPublic:
    return await incident_public(session, await get_incident(session, incident_id))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_incident(
    body: IncidentCreate, session: SessionDep, hub: HubDep, user: CurrentUser
) -> IncidentPublic:
    """Report an incident at a position (any role)."""
    incident = await report_incident(session, body.model_dump(), reported_by=user.id)
    await audit(session, user, None, "incident.create", "ok", {"incident_id": incident.id})
    public = IncidentPublic.from_row(incident)
    publish_incident(hub, "created", public)
    return public


@router.patch("/{incident_id}")
async def update_incident(
    incident_id: Id, body: IncidentUpdate, session: SessionDep, hub: HubDep, officer: OfficerUser
) -> IncidentPublic:
    """Assign, resolve, reopen or correct an incident (officers and admins); audited as
    ``incident.resolve``, ``incident.assign`` or ``incident.edit`` with the changes."""
    incident = await get_incident(session, incident_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    await change_incident(session, incident, body.model_dump(exclude_unset=True))
    await audit(session, officer, None, _change_kind(changes), "ok",
                {"incident_id": incident.id, "changes": changes})  # fmt: skip
    public = await incident_public(session, incident)
    publish_incident(hub, "updated", public)
    return public


def _change_kind(changes: dict[str, object]) -> str:
    """The audit command for an officer's change: resolve, assign, or edit."""
    if "status" in changes and changes["status"] == "resolved":
        return "incident.resolve"
    if "assigned_to" in changes:
        return "incident.assign"
    return "incident.edit"
