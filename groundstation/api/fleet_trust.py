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

Every change is written to the audit log with the user and its outcome.
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
from groundstation.db.types import utcnow
from groundstation.db.vehicles import insert_vehicle, record_signing_key, vehicle_clashing
from groundstation.errors import Conflict, GroundStationError, InvalidRequest, NotFound
from groundstation.services import Services
from groundstation.signing_keys import key_for
from groundstation.telemetry.fleet_bridge import FleetBridge

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


def _require_trusted(link_trusted: bool) -> None:
    if not link_trusted:
        raise InvalidRequest(
            "enrolment sends the vehicle's key in clear (SETUP_SIGNING): do it over a link you"
            " trust (cable or a private network) and say so with link_trusted: true",
            field="link_trusted",
        )


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
    bridge = _bridge(services)
    if sysid not in bridge.fleet.heard:
        raise NotFound("unknown vehicle heard with system id", sysid)
    if body.enrol:
        _require_trusted(body.link_trusted)
    name = body.name or f"drone-{sysid}"
    clash = await vehicle_clashing(session, sysid, name)
    if clash is not None:
        raise Conflict(f"vehicle {clash.name!r} already has system id {sysid} or that name")
    vehicle = await insert_vehicle(session, Vehicle(sysid=sysid, name=name))
    await audit(session, user, vehicle, "vehicle.accept", "accepted", {"name": name})
    bridge.fleet.accept(sysid)
    if body.enrol:
        await _set_key(services, session, user, vehicle, "signing.enrol")
    return VehiclePublic.from_row(vehicle)


async def _set_key(
    services: Services, session: SessionDep, user: User, vehicle: Vehicle, command: str
) -> None:
    """Give the vehicle the next key generation over the link, then store the generation."""
    bridge = _bridge(services)
    generation = (vehicle.signing_generation or 0) + 1
    assert services.station_key is not None  # there is one whenever there is a fleet
    key = key_for(services.station_key, vehicle.sysid, generation)
    params = {"generation": generation}
    try:
        bridge.handle_of(vehicle.sysid)
        await bridge.fleet.set_vehicle_key(vehicle.sysid, key)
    except GroundStationError as exc:
        await audit(session, user, vehicle, command, f"error: {exc}", params)
        raise
    await record_signing_key(session, vehicle, generation, utcnow())
    await audit(session, user, vehicle, command, "accepted", params)


@router.post("/{vehicle_id}/signing/enrol")
async def enrol(
    body: Enrol, vehicle: VehicleDep, services: ServicesDep, session: SessionDep, user: PilotUser
) -> VehiclePublic:
    """Enrol the vehicle for MAVLink signing with a key of its own (a new generation)."""
    _require_trusted(body.link_trusted)
    await _set_key(services, session, user, vehicle, "signing.enrol")
    return VehiclePublic.from_row(vehicle)


@router.post("/{vehicle_id}/signing/rotate")
async def rotate(
    body: Enrol, vehicle: VehicleDep, services: ServicesDep, session: SessionDep, user: PilotUser
) -> VehiclePublic:
    """Replace an enrolled vehicle's key with the next generation (SETUP_SIGNING signed with
    the current key)."""
    _require_trusted(body.link_trusted)
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
