"""The registry of known drones (system id, name, airframe, battery). Live state comes from the
link; this is what the station knows about a drone when it is switched off."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from groundstation.api.deps import PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.inputs import Id
from groundstation.api.schemas import (
    Page,
    VehicleCreate,
    VehicleLivePublic,
    VehiclePublic,
    VehicleUpdate,
)
from groundstation.db.audit import audit
from groundstation.db.models import Vehicle
from groundstation.db.vehicles import (
    change_vehicle,
    get_vehicle,
    insert_vehicle,
    remove_vehicle,
    table_flown_in,
    vehicle_clashing,
    vehicles_by_sysid,
)
from groundstation.errors import Conflict, UnknownVehicle
from groundstation.patrol.battery import estimate_for
from groundstation.telemetry.fleet_bridge import frame_of

router = APIRouter(prefix="/api/vehicles", tags=["vehicles"], dependencies=[Depends(current_user)])


@router.get("")
async def list_vehicles(session: SessionDep) -> Page[VehiclePublic]:
    rows = await vehicles_by_sysid(session)
    return Page(data=[VehiclePublic.from_row(v) for v in rows], count=len(rows))


@router.get("/{vehicle_id}")
async def read_vehicle(vehicle_id: Id, session: SessionDep) -> VehiclePublic:
    return VehiclePublic.from_row(await get_vehicle(session, vehicle_id))


@router.get("/{vehicle_id}/live")
async def read_vehicle_live(
    vehicle_id: Id, services: ServicesDep, session: SessionDep
) -> VehicleLivePublic:
    """The vehicle's live state from the link, with its link and telemetry health; 409 if the
    station has no link or has never heard the vehicle."""
    vehicle = await get_vehicle(session, vehicle_id)
    bridge = services.bridge
    if bridge is None:
        raise Conflict("the station has no MAVLink link (start it with --mavlink)")
    try:
        handle = bridge.handle_of(vehicle.sysid)
    except UnknownVehicle:
        raise Conflict(
            f"vehicle {vehicle.name!r} (system id {vehicle.sysid}) has not been heard",
            vehicle_id=vehicle.id,
        ) from None
    frame = frame_of(
        handle.state, vehicle.id, vehicle.name, safety=bridge.safety_for(vehicle.sysid)
    )
    return VehicleLivePublic.model_validate(frame.model_dump(exclude={"link": {"security"}}))


class BatteryModelPublic(BaseModel):
    """What a flight costs the vehicle: learned from its (or its airframe's) flights, or the
    configured endurance while there are too few; the rates are upper estimates."""

    source: Literal["learned", "configured"]
    basis: str
    flights: int
    minutes: float
    km: float
    cruise_pct_per_km: float | None
    hover_pct_per_min: float | None
    cruise_mean_pct_per_km: float | None
    hover_mean_pct_per_min: float | None
    endurance_s: float
    text: str


@router.get("/{vehicle_id}/battery")
async def read_vehicle_battery(
    vehicle_id: Id, services: ServicesDep, session: SessionDep
) -> BatteryModelPublic:
    """The battery model preflight and planning use for this vehicle now."""
    vehicle = await get_vehicle(session, vehicle_id)
    config = services.patrols.config
    estimate = await estimate_for(
        session,
        vehicle,
        endurance_s=vehicle.endurance_s or config.default_endurance_s,
        min_flights=config.learn_min_flights,
        min_minutes=config.learn_min_minutes,
    )
    return BatteryModelPublic.model_validate(estimate.as_dict())


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_vehicle(
    body: VehicleCreate, services: ServicesDep, session: SessionDep, pilot: PilotUser
) -> VehiclePublic:
    """Add a drone to the fleet by hand: the link takes its system id from now on (enrol it
    for signing before flying when the station requires signing)."""
    clash = await vehicle_clashing(session, body.sysid, body.name)
    if clash is not None:
        raise Conflict(
            f"vehicle {clash.name!r} already has system id {clash.sysid} or that name",
            vehicle_id=clash.id,
        )
    vehicle = await insert_vehicle(session, Vehicle(**body.model_dump()))
    await audit(session, pilot, vehicle, "vehicle.create", "ok", {"name": vehicle.name})
    bridge = services.bridge
    if bridge is not None:
        bridge.fleet.accept(vehicle.sysid)
    return VehiclePublic.from_row(vehicle)


@router.patch("/{vehicle_id}")
async def update_vehicle(
    vehicle_id: Id, body: VehicleUpdate, session: SessionDep, pilot: PilotUser
) -> VehiclePublic:
    vehicle = await get_vehicle(session, vehicle_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    await change_vehicle(session, vehicle, body.model_dump(exclude_unset=True))
    await audit(session, pilot, vehicle, "vehicle.update", "ok", {"changes": changes})
    return VehiclePublic.from_row(vehicle)


@router.delete("/{vehicle_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_vehicle(
    vehicle_id: Id, services: ServicesDep, session: SessionDep, pilot: PilotUser
) -> None:
    """Forget a drone that has never flown; one with patrols or a track is kept (409)."""
    vehicle = await get_vehicle(session, vehicle_id)
    flown_in = await table_flown_in(session, vehicle_id)
    if flown_in is not None:
        raise Conflict(
            f"vehicle {vehicle.name!r} has flown ({flown_in}); it cannot be deleted",
            vehicle_id=vehicle_id,
        )
    sysid = vehicle.sysid
    await remove_vehicle(session, vehicle)
    await audit(session, pilot, sysid, "vehicle.delete", "ok", {"name": vehicle.name})
    bridge = services.bridge
    if bridge is not None:  # not admitted any more (a handle already open stays until restart)
        bridge.fleet.admission.forget(sysid)
        bridge.forget(sysid)
