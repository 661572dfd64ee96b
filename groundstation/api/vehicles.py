"""The registry of known drones (system id, name, airframe, battery). Live state comes from the
link; this is what the station knows about a drone when it is switched off."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from groundstation.api.deps import PilotUser, SessionDep, current_user
from groundstation.api.inputs import Id
from groundstation.api.schemas import (
    Page,
    VehicleCreate,
    VehicleLivePublic,
    VehiclePublic,
    VehicleUpdate,
)
from groundstation.db.models import Flight, Patrol, TrackChunk, Vehicle
from groundstation.errors import Conflict, NotFound, UnknownVehicle
from groundstation.patrol.battery import estimate_for
from groundstation.patrol.config import PatrolConfig
from groundstation.telemetry.fleet_bridge import bridge_or_none, frame_of

router = APIRouter(prefix="/api/vehicles", tags=["vehicles"], dependencies=[Depends(current_user)])


async def get_vehicle(session: SessionDep, vehicle_id: Id) -> Vehicle:
    vehicle = await session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("vehicle", vehicle_id)
    return vehicle


@router.get("")
async def list_vehicles(session: SessionDep) -> Page[VehiclePublic]:
    rows = (await session.execute(select(Vehicle).order_by(Vehicle.sysid))).scalars().all()
    return Page(data=[VehiclePublic.from_row(v) for v in rows], count=len(rows))


@router.get("/{vehicle_id}")
async def read_vehicle(vehicle_id: Id, session: SessionDep) -> VehiclePublic:
    return VehiclePublic.from_row(await get_vehicle(session, vehicle_id))


@router.get("/{vehicle_id}/live")
async def read_vehicle_live(
    vehicle_id: Id, request: Request, session: SessionDep
) -> VehicleLivePublic:
    """The vehicle's live state from the link, with its link and telemetry health; 409 if the
    station has no link or has never heard the vehicle."""
    vehicle = await get_vehicle(session, vehicle_id)
    bridge = bridge_or_none(request.app)
    if bridge is None:
        raise Conflict("the station has no MAVLink link (start it with --mavlink)")
    try:
        handle = bridge.handle_of(vehicle.sysid)
    except UnknownVehicle:
        raise Conflict(
            f"vehicle {vehicle.name!r} (system id {vehicle.sysid}) has not been heard",
            vehicle_id=vehicle.id,
        ) from None
    frame = frame_of(handle.state, vehicle.id, vehicle.name)
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
    vehicle_id: Id, request: Request, session: SessionDep
) -> BatteryModelPublic:
    """The battery model preflight and planning use for this vehicle now."""
    vehicle = await get_vehicle(session, vehicle_id)
    service = getattr(request.app.state, "patrols", None)
    config: PatrolConfig = service.config if service is not None else PatrolConfig()
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
    body: VehicleCreate, request: Request, session: SessionDep, _pilot: PilotUser
) -> VehiclePublic:
    """Add a drone to the fleet by hand: the link takes its system id from now on (enrol it
    for signing before flying when the station requires signing)."""
    clash = (
        await session.execute(
            select(Vehicle).where(or_(Vehicle.sysid == body.sysid, Vehicle.name == body.name))
        )
    ).scalar()  # the first of up to two: one with the sysid, one with the name
    if clash is not None:
        raise Conflict(
            f"vehicle {clash.name!r} already has system id {clash.sysid} or that name",
            vehicle_id=clash.id,
        )
    vehicle = Vehicle(**body.model_dump())
    session.add(vehicle)
    await _commit_unique(session)
    bridge = bridge_or_none(request.app)
    if bridge is not None:
        bridge.fleet.accept(vehicle.sysid)
    return VehiclePublic.from_row(vehicle)


@router.patch("/{vehicle_id}")
async def update_vehicle(
    vehicle_id: Id, body: VehicleUpdate, session: SessionDep, _pilot: PilotUser
) -> VehiclePublic:
    vehicle = await get_vehicle(session, vehicle_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None and name not in ("battery_capacity_mah", "endurance_s"):
            continue
        setattr(vehicle, name, value)
    await _commit_unique(session)
    return VehiclePublic.from_row(vehicle)


@router.delete("/{vehicle_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_vehicle(
    vehicle_id: Id, request: Request, session: SessionDep, _pilot: PilotUser
) -> None:
    """Forget a drone that has never flown; one with patrols or a track is kept (409)."""
    vehicle = await get_vehicle(session, vehicle_id)
    for table in (Patrol, TrackChunk, Flight):
        used = await session.execute(
            select(table.id).where(table.vehicle_id == vehicle_id).limit(1)
        )
        if used.first() is not None:
            raise Conflict(
                f"vehicle {vehicle.name!r} has flown ({table.__tablename__}); it cannot be deleted",
                vehicle_id=vehicle_id,
            )
    sysid = vehicle.sysid
    await session.delete(vehicle)
    await session.commit()
    bridge = bridge_or_none(request.app)
    if bridge is not None:  # not admitted any more (a handle already open stays until restart)
        bridge.fleet.admission.forget(sysid)
        bridge.forget(sysid)


async def _commit_unique(session: SessionDep) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("another vehicle has that system id or name") from exc
