"""An incident as the API shows it (with its photos), and its news on the live stream.

Shared by the routes that change an incident (reports, updates, photos, a dispatch): each
publishes ``incident.created`` or ``incident.updated`` after its commit, so what a viewer sees
is always what is stored.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.api.schemas import IncidentPublic
from groundstation.db.incidents import incident_attachments
from groundstation.db.models import Incident
from groundstation.telemetry.events import incident_event
from groundstation.telemetry.hub import Hub


async def incident_public(session: AsyncSession, incident: Incident) -> IncidentPublic:
    """The incident with its photos' descriptions (not their bytes)."""
    attachments = await incident_attachments(session, incident.id)
    return IncidentPublic.from_row(incident, attachments)


def publish_incident(
    hub: Hub, kind: Literal["created", "updated"], incident: IncidentPublic
) -> None:
    """Tell live clients about a stored change to an incident."""
    hub.publish(incident_event(kind, incident))
