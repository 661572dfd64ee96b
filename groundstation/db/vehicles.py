"""Vehicles in the store: the fleet registry (live state comes from the link, not from here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Flight, Patrol, TrackChunk, Vehicle
from groundstation.errors import Conflict, NotFound


async def vehicle_or_none(session: AsyncSession, vehicle_id: int) -> Vehicle | None:
    """The vehicle with this id, or None."""
    return await session.get(Vehicle, vehicle_id)


async def get_vehicle(session: AsyncSession, vehicle_id: int) -> Vehicle:
    """The vehicle with this id, else :class:`NotFound`."""
    vehicle = await session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("vehicle", vehicle_id)
    return vehicle


async def vehicles_by_sysid(session: AsyncSession) -> Sequence[Vehicle]:
    """Every registered vehicle, by MAVLink system id."""
    return (await session.scalars(select(Vehicle).order_by(Vehicle.sysid))).all()


async def vehicle_with_sysid(session: AsyncSession, sysid: int) -> Vehicle | None:
    """The registered vehicle with this MAVLink system id, or None."""
    return (await session.scalars(select(Vehicle).where(Vehicle.sysid == sysid))).first()


async def all_vehicles(session: AsyncSession) -> Sequence[Vehicle]:
    """Every registered vehicle, in the store's order."""
    return (await session.scalars(select(Vehicle))).all()


async def vehicle_clashing(session: AsyncSession, sysid: int, name: str) -> Vehicle | None:
    """A vehicle that already has this system id or this name (the first of up to two)."""
    query = select(Vehicle).where(or_(Vehicle.sysid == sysid, Vehicle.name == name))
    return (await session.execute(query)).scalar()


async def table_flown_in(session: AsyncSession, vehicle_id: int) -> str | None:
    """The first table (patrols, track chunks, flights) that holds a row of the vehicle's, or
    None if it has never flown."""
    for table in (Patrol, TrackChunk, Flight):
        used = await session.execute(
            select(table.id).where(table.vehicle_id == vehicle_id).limit(1)
        )
        if used.first() is not None:
            return str(table.__tablename__)
    return None


async def insert_vehicle(session: AsyncSession, vehicle: Vehicle) -> Vehicle:
    """Store a new vehicle (committed); :class:`Conflict` if its system id or name is taken."""
    session.add(vehicle)
    await commit_unique(session)
    return vehicle


async def change_vehicle(
    session: AsyncSession, vehicle: Vehicle, changes: Mapping[str, Any]
) -> Vehicle:
    """Apply the fields given (a None clears only the battery capacity and the endurance) and
    commit; :class:`Conflict` if the new system id or name is taken."""
    for name, value in changes.items():
        if value is None and name not in ("battery_capacity_mah", "endurance_s"):
            continue
        setattr(vehicle, name, value)
    await commit_unique(session)
    return vehicle


async def record_signing_key(
    session: AsyncSession, vehicle: Vehicle, generation: int, at: datetime
) -> Vehicle:
    """Store that the vehicle holds its key of `generation` since `at` (committed)."""
    vehicle.signing_generation = generation
    vehicle.signing_enrolled_at = at
    await session.commit()
    return vehicle


async def commit_unique(session: AsyncSession) -> None:
    """Commit a vehicle's change; :class:`Conflict` (rolled back) if it breaks a unique key."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("another vehicle has that system id or name") from exc


async def remove_vehicle(session: AsyncSession, vehicle: Vehicle) -> None:
    """Remove a vehicle from the registry (committed)."""
    await session.delete(vehicle)
    await session.commit()
