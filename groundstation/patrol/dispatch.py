"""An incident's dispatch: the nearest capable drone is sent to the incident to hold there.

A candidate is a registered vehicle the link hears, not lost, not commanded by another station,
not on a patrol between preflight and return, with a position and (if one is asked for) the
capability. The nearest is armed and taken off if it is on the ground, then sent to the
incident; the command is audited with its outcome either way, and the incident then names the
drone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.audit import audit
from groundstation.db.incidents import get_incident
from groundstation.db.models import Incident, User, Vehicle
from groundstation.db.patrols import flying_vehicle_ids
from groundstation.db.vehicles import all_vehicles
from groundstation.errors import Conflict, GroundStationError
from groundstation.patrol.track_recorder import haversine_m
from groundstation.telemetry.fleet_bridge import FleetBridge
from groundstation.telemetry.live_handle import live_handle, require_bridge


@dataclass(frozen=True, slots=True)
class Dispatched:
    """The incident (now naming the drone), the drone sent, and how far it had to go."""

    incident: Incident
    vehicle: Vehicle
    distance_m: float


@dataclass(frozen=True, slots=True)
class DispatchOrder:
    """What a dispatch asks for: the height to hold at, and optionally which drone or what it
    must be able to do."""

    alt_rel_m: float = 40.0
    vehicle_id: int | None = None
    capability: str | None = None


async def nearest_free_vehicle(
    session: AsyncSession, bridge: FleetBridge, incident: Incident, order: DispatchOrder
) -> tuple[float, Vehicle]:
    """(distance in metres, vehicle) of the nearest candidate; :class:`Conflict` if none."""
    busy = await flying_vehicle_ids(session)
    candidates: list[tuple[float, Vehicle]] = []
    for v in await all_vehicles(session):
        if order.vehicle_id is not None and v.id != order.vehicle_id:
            continue
        if order.capability is not None and order.capability not in v.capabilities:
            continue
        handle = bridge.fleet.vehicles.get(v.sysid)
        if handle is None or handle.is_lost or v.id in busy:
            continue
        if v.sysid in bridge.fleet.command_holds:  # another station commands it
            continue
        pos = handle.state.position
        if pos is None:
            continue
        candidates.append(
            (haversine_m(pos.lat_deg, pos.lon_deg, incident.lat_deg, incident.lon_deg), v)
        )
    if not candidates:
        raise Conflict("no drone can go: none is connected, free and with a position")
    return min(candidates, key=lambda c: c[0])


async def dispatch_to_incident(
    session: AsyncSession,
    bridge: FleetBridge | None,
    user: User | None,
    incident_id: int,
    order: DispatchOrder,
    *,
    actor: str | None = None,
) -> Dispatched:
    """Send the nearest capable drone to the incident to hold there; the incident, stored,
    then names it. :class:`NotFound` for an unknown incident, :class:`Conflict` without a link
    or a drone that can go; a refused or unanswered command propagates (audited). `user` None
    with `actor`: someone who is not a station user asked (the command centre's officer)."""
    incident = await get_incident(session, incident_id)
    fleet = require_bridge(bridge)
    distance, vehicle = await nearest_free_vehicle(session, fleet, incident, order)
    params = {
        "incident_id": incident_id,
        "lat_deg": incident.lat_deg,
        "lon_deg": incident.lon_deg,
        "alt_rel_m": order.alt_rel_m,
    }
    try:
        handle = live_handle(fleet, vehicle)
        if not handle.state.armed:
            await handle.arm_to_fly()  # (GUIDED first after a landing in RTL or LAND)
            await handle.takeoff(order.alt_rel_m)
        await handle.goto(incident.lat_deg, incident.lon_deg, order.alt_rel_m)
    except (GroundStationError, ValueError) as exc:
        await audit(session, user, vehicle, "dispatch", f"error: {exc}", params, actor=actor)
        raise
    await audit(session, user, vehicle, "dispatch", "accepted", params, actor=actor)
    incident.vehicle_id = vehicle.id
    await session.commit()
    return Dispatched(incident=incident, vehicle=vehicle, distance_m=distance)
