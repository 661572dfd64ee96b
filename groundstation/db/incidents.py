"""Incidents in the store: one by id, a filtered page, the unresolved ones, their photos; a new
report, and the changes officers make (assign, resolve, reopen, correct)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def get_incident(session: AsyncSession, incident_id: int) -> Incident:
    """The incident with this id, else :class:`NotFound`."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident", incident_id)
    return incident


async def incident_attachments(session: AsyncSession, incident_id: int) -> list[Attachment]:
    """The incident's photos (their bytes are deferred, not read), in upload order."""
    query = select(Attachment).where(Attachment.incident_id == incident_id).order_by(Attachment.id)
    return list((await session.execute(query)).scalars().all())


async def incident_page(
    session: AsyncSession,
    *,
    status: IncidentStatus | None,
    type_: IncidentType | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Incident], int]:
    """One page of incidents, newest first, and how many match the filters in all."""
    query = select(Incident)
    if status is not None:
        query = query.where(Incident.status == status)
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
    return rows.all(), int(total)


async def unresolved_incidents(session: AsyncSession) -> Sequence[Incident]:
    """Incidents not resolved yet, oldest first (the live stream's snapshot)."""
    query = select(Incident).where(Incident.status != IncidentStatus.RESOLVED).order_by(Incident.id)
    return (await session.scalars(query)).all()


async def report_incident(
    session: AsyncSession, fields: Mapping[str, Any], reported_by: int | None
) -> Incident:
    """Store a new open incident (committed); :class:`InvalidRequest` if it names a patrol or
    a vehicle the store does not have. `reported_by` None: not a station user (the centre)."""
    patrol_id, vehicle_id = fields.get("patrol_id"), fields.get("vehicle_id")
    if patrol_id is not None and await session.get(Patrol, patrol_id) is None:
        raise InvalidRequest(f"no patrol {patrol_id}", field="patrol_id")
    if vehicle_id is not None and await session.get(Vehicle, vehicle_id) is None:
        raise InvalidRequest(f"no vehicle {vehicle_id}", field="vehicle_id")
    incident = Incident(**fields, status=IncidentStatus.OPEN, reported_by=reported_by)
    session.add(incident)
    await session.commit()
    return incident


async def change_incident(
    session: AsyncSession, incident: Incident, changes: Mapping[str, Any]
) -> Incident:
    """Apply an officer's changes (only the fields given) and commit them.

    Assigning someone (an active officer) makes an open incident ``assigned``, and unassigning
    makes it ``open`` again, unless ``status`` is given too or it is resolved; ``assigned``
    needs an assignee. :class:`InvalidRequest` names the field at fault.
    """
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
    return incident


async def _check_assignee(session: AsyncSession, user_id: int) -> None:
    assignee = await session.get(User, user_id)
    if assignee is None or not assignee.active:
        raise InvalidRequest(f"no active user {user_id}", field="assigned_to")
    if assignee.role != Role.OFFICER:
        raise InvalidRequest(
            f"user {assignee.username!r} is a {assignee.role.value}, not an officer",
            field="assigned_to",
        )
