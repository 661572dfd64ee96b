"""The centre's commands to stations: dispatch a drone, and the record of every command and
handover (docs/federation.md, Commands and Handover).

The centre asks, the station decides: ``POST /api/centre/dispatch`` picks the drone (the
operator's, or the nearest free one across the stations the user may see), records the
command and sends it; the station's answer arrives later and completes the record, which
``GET /api/centre/commands/{id}`` shows. A station's officer may dispatch only its drones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import aiomqtt
from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from groundstation.api.centre_deps import CentreServicesDep, CentreUserDep, scope
from groundstation.errors import Conflict, NotFound, PermissionDenied
from groundstation.federation.centre_dispatch import dispatch
from groundstation.federation.handover_store import HandoverRecord
from groundstation.federation.protocol import DispatchParams
from groundstation.federation.store import CentreStore, CommandRecord

router = APIRouter(prefix="/api/centre", tags=["centre"])


class DispatchRequest(DispatchParams):
    """Where to send a drone, and optionally which (both `station` and `sysid`)."""

    station: str | None = Field(None, description="the operator's pick: the drone's station")
    sysid: int | None = Field(None, ge=1, le=255, description="the operator's pick: its id")


class DispatchSentPublic(BaseModel):
    command_id: str
    station: str
    sysid: int
    distance_m: float | None = Field(description="null when the operator picked the drone")


class CommandPublic(BaseModel):
    """A command the centre sent and, once it came, the station's answer."""

    id: str
    station: str
    kind: str
    sysid: int
    issued_by: str
    params: dict[str, Any]
    sent_at: datetime | None
    result: str | None = Field(description="done, refused, failed; null until answered")
    reason: str | None
    code: str | None
    refs: dict[str, Any]
    acked_at: datetime | None

    @classmethod
    def of(cls, r: CommandRecord) -> CommandPublic:
        return cls(
            id=r.id, station=r.station, kind=r.kind, sysid=r.sysid, issued_by=r.issued_by,
            params=r.params, sent_at=r.sent_at, result=r.result, reason=r.reason, code=r.code,
            refs=r.refs, acked_at=r.acked_at,
        )  # fmt: skip


class CommandsPublic(BaseModel):
    data: list[CommandPublic]
    count: int


class HandoverPublic(BaseModel):
    id: str
    sysid: int
    giver: str
    taker: str
    state: str = Field(description="offered, accepted, refused, kept, released, taken")
    reason: str | None
    code: str | None

    @classmethod
    def of(cls, r: HandoverRecord) -> HandoverPublic:
        return cls(
            id=r.id, sysid=r.sysid, giver=r.giver, taker=r.taker, state=r.state,
            reason=r.reason, code=r.code,
        )  # fmt: skip


class HandoversPublic(BaseModel):
    data: list[HandoverPublic]
    count: int


@router.post("/dispatch", status_code=status.HTTP_202_ACCEPTED)
async def dispatch_drone(
    body: DispatchRequest, services: CentreServicesDep, user: CentreUserDep
) -> DispatchSentPublic:
    """Send a drone to a position: the operator's or the nearest free one the user may see.
    202: sent; the station's answer comes later (``GET /api/centre/commands/{id}``)."""
    allowed = scope(user, [body.station] if body.station else None)
    centre = services.centre
    if centre is None:
        raise Conflict("the centre runs without a broker: it cannot send commands")
    params = DispatchParams.model_validate(body.model_dump(exclude={"station", "sysid"}))
    try:
        sent = await dispatch(
            centre, params, user.username, station=body.station, sysid=body.sysid,
            stations=allowed,
        )  # fmt: skip
    except aiomqtt.MqttError as exc:
        raise Conflict(f"the broker cannot be reached: {exc}") from None
    return DispatchSentPublic(
        command_id=sent.command.id, station=sent.station, sysid=sent.command.sysid,
        distance_m=None if sent.distance_m is None else round(sent.distance_m, 1),
    )  # fmt: skip


@router.get("/commands")
async def list_commands(
    services: CentreServicesDep,
    user: CentreUserDep,
    station: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CommandsPublic:
    """The commands the centre sent (newest first) with the stations' answers."""
    allowed = scope(user, [station] if station else None)
    store = _store(services)
    if allowed is None:
        records = await store.commands(kind=kind, limit=limit)
    else:
        records = []
        for one in sorted(allowed):
            records += await store.commands(station=one, kind=kind, limit=limit)
    data = [CommandPublic.of(r) for r in records]
    return CommandsPublic(data=data, count=len(data))


@router.get("/commands/{command_id}")
async def get_command(
    command_id: str, services: CentreServicesDep, user: CentreUserDep
) -> CommandPublic:
    """One command and the station's answer (``result`` null until it comes)."""
    record = await _store(services).command(command_id)
    if record is None:
        raise NotFound("command", command_id)
    allowed = scope(user)
    if allowed is not None and record.station not in allowed:
        raise PermissionDenied(f"{user.username} may see station {user.station} only")
    return CommandPublic.of(record)


@router.get("/handovers")
async def list_handovers(
    services: CentreServicesDep,
    user: CentreUserDep,
    sysid: Annotated[int | None, Query(ge=1, le=255)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> HandoversPublic:
    """Handovers of drones between stations (newest first) and how far each went."""
    allowed = scope(user)
    records = await _store(services).handovers(sysid, limit)
    data = [
        HandoverPublic.of(r)
        for r in records
        if allowed is None or r.giver in allowed or r.taker in allowed
    ]
    return HandoversPublic(data=data, count=len(data))


def _store(services: CentreServicesDep) -> CentreStore:
    return services.centre.store if services.centre is not None else CentreStore(services.engine)
