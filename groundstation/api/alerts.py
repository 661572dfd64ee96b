"""Vehicle alerts (issue 16): list with filters, history per vehicle or patrol, acknowledge.

Alerts are raised by the safety watch (:mod:`groundstation.safety.service`) and stay open until
a pilot or admin acknowledges them; the acknowledgement (who, when, note) is kept on the alert,
audited, and sent to every page as an ``alert`` message with ``open: false``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from groundstation.api.deps import CurrentUser, HubDep, PilotUser, SessionDep
from groundstation.api.inputs import Instant, Offset
from groundstation.api.schemas import Page
from groundstation.db.alerts import AlertFilter, acknowledge, alert_payload, list_alerts
from groundstation.telemetry.events import alert

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class AlertPublic(BaseModel):
    """One alert: what, how bad, both texts, its vehicle and patrol, times, acknowledgement."""

    id: int
    sysid: int | None
    vehicle_id: int | None
    patrol_id: int | None
    kind: str
    level: Literal["info", "warning", "critical"]
    text: str
    text_zh: str
    details: dict[str, Any]
    first_at: str
    last_at: str
    count: int
    cleared_at: str | None
    open: bool
    acknowledged_at: str | None
    acknowledged_by: str | None
    ack_note: str


class AcknowledgeAlert(BaseModel):
    """A user's acknowledgement of an alert, with an optional note."""

    note: str = Field("", max_length=2000)


@router.get("")
async def read_alerts(
    session: SessionDep,
    _user: CurrentUser,
    sysid: Annotated[int | None, Query(ge=0, le=255)] = None,
    vehicle_id: Annotated[int | None, Query(ge=1)] = None,
    patrol_id: Annotated[int | None, Query(ge=1)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    level: Literal["info", "warning", "critical"] | None = None,
    open: bool | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[AlertPublic]:
    """Alerts, newest first: open ones (``open=true``), a vehicle's or a patrol's history."""
    f = AlertFilter(sysid, vehicle_id, patrol_id, kind, level, open, since, until)
    rows, total = await list_alerts(session, f, limit=limit, offset=offset)
    return Page(data=[AlertPublic.model_validate(alert_payload(r)) for r in rows], count=total)


@router.post("/{alert_id}/acknowledge")
async def acknowledge_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: AcknowledgeAlert,
    session: SessionDep,
    user: PilotUser,
    hub: HubDep,
) -> AlertPublic:
    """Close an open alert; 409 if it was acknowledged already."""
    row = await acknowledge(session, alert_id, user, body.note)
    payload = alert_payload(row)
    public = AlertPublic.model_validate(payload)
    rest = {k: v for k, v in payload.items() if k not in ("level", "text")}
    hub.publish(alert(public.level, public.text, **rest))  # every page marks it acknowledged
    return public
