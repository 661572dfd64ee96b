"""A pilot hands a drone to a neighbouring station (docs/federation.md, Handover).

``GET /api/federation/neighbours``: whether the station is federated, its name and the
stations it may hand a drone to. ``POST /api/vehicles/{vehicle_id}/handover`` ``{"to": ...}``
(pilots): the offer goes out at once, 202 with its id; the taker answers within the desk's
timeout, ``GET /api/vehicles/{vehicle_id}/handover/{handover_id}`` says how it ended
(``offered``, ``released``, ``refused`` with the taker's reason and code, ``timeout``).
Officers get 403, a vehicle this station does not command (or already being offered) 409, a
station that is not a neighbour 422, a station not federated 503. Each request is audited
(``handover``), besides the desk's own ``federation.handover.*`` steps.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from groundstation.api.deps import CurrentUser, PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.inputs import InputModel
from groundstation.api.lookups import VehicleDep
from groundstation.db.audit import audit
from groundstation.errors import FederationOff, NotFound, ServiceError
from groundstation.federation.assemble import StationFederation
from groundstation.federation.pilot_handover import PilotOffer
from groundstation.services import Services

router = APIRouter(tags=["handover"], dependencies=[Depends(current_user)])


class Neighbours(BaseModel):
    enabled: bool = Field(description="the station is in a federation (hands drones over)")
    station: str | None = Field(description="this station's id; null when not federated")
    neighbours: list[str] = Field(description="the stations a drone may be handed to")


class HandoverRequest(InputModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=32, description="the neighbouring station's id")


class HandoverPublic(BaseModel):
    id: str
    vehicle_id: int
    sysid: int
    to: str
    by: str
    state: Literal["offered", "released", "refused", "timeout"]
    reason: str | None = Field(
        description="why it was refused or timed out, in the station's words"
    )
    code: str | None = Field(description="the taker's reason code: no_pilot, expired, not_heard")

    @classmethod
    def of(cls, offer: PilotOffer, vehicle_id: int) -> HandoverPublic:
        return cls(
            id=offer.id, vehicle_id=vehicle_id, sysid=offer.sysid, to=offer.taker, by=offer.by,
            state=offer.state, reason=offer.reason, code=offer.code,
        )  # fmt: skip


def _federation(services: Services) -> StationFederation:
    if services.federation is None:
        raise FederationOff("this station is not in a federation: no station to hand over to")
    return services.federation


@router.get("/api/federation/neighbours")
async def neighbours(services: ServicesDep, user: CurrentUser) -> Neighbours:
    fed = services.federation
    if fed is None:
        return Neighbours(enabled=False, station=None, neighbours=[])
    return Neighbours(enabled=True, station=fed.desk.station, neighbours=fed.pilot.neighbours)


@router.post("/api/vehicles/{vehicle_id}/handover", status_code=status.HTTP_202_ACCEPTED)
async def offer_handover(
    services: ServicesDep,
    session: SessionDep,
    user: PilotUser,
    vehicle: VehicleDep,
    body: HandoverRequest,
) -> HandoverPublic:
    params = {"to": body.to}
    try:
        fed = _federation(services)
        offer = fed.pilot.start(
            vehicle.sysid, body.to, user.username, _position(services, vehicle.sysid)
        )
    except ServiceError as exc:
        await audit(session, user, vehicle, "handover", f"error: {exc}", params)
        raise
    await audit(
        session, user, vehicle, "handover", f"offered to {body.to}", params | {"id": offer.id}
    )
    return HandoverPublic.of(offer, vehicle.id)


@router.get("/api/vehicles/{vehicle_id}/handover/{handover_id}")
async def handover_status(
    services: ServicesDep, user: PilotUser, vehicle: VehicleDep, handover_id: str
) -> HandoverPublic:
    offer = _federation(services).pilot.status(handover_id)
    if offer is None or offer.sysid != vehicle.sysid:
        raise NotFound("handover", handover_id)
    return HandoverPublic.of(offer, vehicle.id)


def _position(services: Services, sysid: int) -> tuple[float, float] | None:
    handle = services.fleet.vehicles.get(sysid) if services.fleet is not None else None
    pos = handle.state.position if handle is not None else None
    return None if pos is None else (pos.lat_deg, pos.lon_deg)
