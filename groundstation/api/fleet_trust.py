"""Which systems are fleet vehicles, and how the station knows it is talking to them.

- ``GET /api/vehicles/heard``: systems heard on the link that no pilot has accepted;
- ``POST /api/vehicles/heard/{sysid}/accept``: a pilot or admin makes one a fleet vehicle
  (a registry row) and, by default, enrols it for MAVLink signing;
- ``POST /api/vehicles/{id}/signing/enrol`` and ``.../signing/rotate``: give the vehicle a new
  key of its own with SETUP_SIGNING (the key travels in clear: only over a link the pilot
  trusts, which the request must say with ``link_trusted``);
- ``GET /api/vehicles/{id}/link``: its address, whether commands are held and why, and the
  frames dropped (unsigned, badly signed, replayed, from another address);
- ``POST /api/vehicles/{id}/link/address``: the pilot's answer to an address change.

Every change is written to the audit log with the user and its outcome; accepting and keys are
:mod:`groundstation.telemetry.fleet_trust`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from pydantic import Field

from groundstation.api.deps import PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.inputs import InputModel
from groundstation.api.lookups import VehicleDep
from groundstation.api.schemas import VehiclePublic
from groundstation.db.audit import audit
from groundstation.db.models import User, Vehicle
from groundstation.errors import Conflict
from groundstation.services import Services
from groundstation.telemetry.fleet_bridge import FleetBridge
from groundstation.telemetry.fleet_trust import (
    accept_heard_system,
    give_next_key,
    require_trusted,
)

router = APIRouter(
    prefix="/api/vehicles", tags=["fleet trust"], dependencies=[Depends(current_user)]
)

SysId = Annotated[int, Path(ge=1, le=255, description="MAVLink system id")]


class AcceptVehicle(InputModel):
    name: str | None = Field(None, min_length=1, max_length=64, description="default drone-<sysid>")
    enrol: bool = Field(True, description="enrol it for MAVLink signing at once")
    link_trusted: bool = Field(
        False,
        description="the pilot confirms the link it is heard on is trusted (cable, local"
        " network): enrolment sends its key in clear",
    )


class Enrol(InputModel):
    link_trusted: bool = Field(
        False, description="the pilot confirms the link is trusted: the key travels in clear"
    )


class AddressAnswer(InputModel):
    accept: bool = Field(description="true: the vehicle moved there; false: keep the old one")


def _bridge(services: Services) -> FleetBridge:
    bridge = services.bridge
    if bridge is None:
        raise Conflict("the station has no MAVLink link (start it with --mavlink)")
    return bridge


@router.get("/heard")
async def list_heard(services: ServicesDep) -> dict[str, Any]:
    """Systems heard on the link (heartbeats) that are not fleet vehicles."""
    bridge = services.bridge
    data = [] if bridge is None else [h.public() for h in bridge.fleet.heard.values()]
    return {"data": sorted(data, key=lambda h: h["sysid"]), "count": len(data)}


@router.post("/heard/{sysid}/accept", status_code=status.HTTP_201_CREATED)
async def accept_heard(
    sysid: SysId, body: AcceptVehicle, services: ServicesDep, session: SessionDep, user: PilotUser
) -> VehiclePublic:
    """Make a heard system a fleet vehicle (and enrol it, unless ``enrol`` is false)."""
    vehicle = await accept_heard_system(
        session, _bridge(services), services.station_key, user, sysid,
        name=body.name, enrol=body.enrol, link_trusted=body.link_trusted,
    )  # fmt: skip
    return VehiclePublic.from_row(vehicle)


async def _set_key(
    services: Services, session: SessionDep, user: User, vehicle: Vehicle, command: str
) -> None:
    bridge = _bridge(services)
    await give_next_key(session, bridge, services.station_key, user, vehicle, command)


@router.post("/{vehicle_id}/signing/enrol")
async def enrol(
    body: Enrol, vehicle: VehicleDep, services: ServicesDep, session: SessionDep, user: PilotUser
) -> VehiclePublic:
    """Enrol the vehicle for MAVLink signing with a key of its own (a new generation)."""
    require_trusted(body.link_trusted)
    await _set_key(services, session, user, vehicle, "signing.enrol")
    return VehiclePublic.from_row(vehicle)


@router.post("/{vehicle_id}/signing/rotate")
async def rotate(
    body: Enrol, vehicle: VehicleDep, services: ServicesDep, session: SessionDep, user: PilotUser
) -> VehiclePublic:
    """Replace an enrolled vehicle's key with the next generation (SETUP_SIGNING signed with
    the current key)."""
    require_trusted(body.link_trusted)
    if vehicle.signing_generation is None:
        raise Conflict(f"vehicle {vehicle.name!r} is not enrolled: enrol it first")
    await _set_key(services, session, user, vehicle, "signing.rotate")
    return VehiclePublic.from_row(vehicle)


@router.get("/{vehicle_id}/link")
async def link_status(vehicle: VehicleDep, services: ServicesDep) -> dict[str, Any]:
    """The vehicle's address on the link, whether commands are held, and frames dropped."""
    bridge = services.bridge
    security = None if bridge is None else bridge.security_of(vehicle.sysid)
    return {
        "vehicle_id": vehicle.id,
        "sysid": vehicle.sysid,
        "signing_generation": vehicle.signing_generation,
        "require_signing": services.settings.link.require_signing,
        "heard": security is not None,
        "security": security,
    }


@router.post("/{vehicle_id}/link/address")
async def settle_address(
    body: AddressAnswer,
    vehicle: VehicleDep,
    services: ServicesDep,
    session: SessionDep,
    user: PilotUser,
) -> dict[str, Any]:
    """Answer an address change: accept the new address, or refuse it and keep the old one."""
    bridge = _bridge(services)
    security = bridge.security_of(vehicle.sysid)
    if security is None or security["pending_address"] is None:
        raise Conflict(f"vehicle {vehicle.name!r} has no address change to answer")
    params = {"pending_address": security["pending_address"], "accept": body.accept}
    bridge.fleet.settle_address(vehicle.sysid, accept=body.accept)
    await audit(session, user, vehicle, "link.address", "accepted", params)
    return await link_status(vehicle, services)
