"""The link handle of a registered vehicle, or the :class:`Conflict` that says why there is none.

Used by everything that sends a vehicle a command on a person's behalf (the vehicle commands,
an incident dispatch): no link, a vehicle not heard, one whose commands are held (address
change, not enrolled for signing) and one whose link is lost are each refused with a reason.
"""

from __future__ import annotations

from groundstation.db.models import Vehicle
from groundstation.errors import Conflict, UnknownVehicle, VehicleHeld
from groundstation.link import VehicleHandle
from groundstation.telemetry.fleet_bridge import FleetBridge

NO_LINK = "the station has no MAVLink link (start it with --mavlink)"


def require_bridge(bridge: FleetBridge | None) -> FleetBridge:
    """The station's fleet bridge; :class:`Conflict` if it runs without a MAVLink link."""
    if bridge is None:
        raise Conflict(NO_LINK)
    return bridge


def live_handle(bridge: FleetBridge | None, vehicle: Vehicle) -> VehicleHandle:
    """The link handle of a registered vehicle; 409 if there is no link, or it is unheard/lost."""
    bridge = require_bridge(bridge)
    try:
        handle = bridge.handle_of(vehicle.sysid)
    except UnknownVehicle:
        raise Conflict(
            f"vehicle {vehicle.name!r} (system id {vehicle.sysid}) has not been heard",
            vehicle_id=vehicle.id,
        ) from None
    hold = bridge.fleet.link_of(vehicle.sysid).hold_reason(vehicle.sysid)
    if hold is not None:
        raise VehicleHeld(vehicle.sysid, hold)
    if handle.is_lost:
        raise Conflict(
            f"vehicle {vehicle.name!r}: link lost ({handle.state.link.last_heard_s:.0f} s silent)",
            vehicle_id=vehicle.id,
        )
    return handle
