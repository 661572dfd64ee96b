"""Fleet trust: a system heard on the link made a fleet vehicle, and a vehicle given its key.

A pilot accepts a heard system (a registry row, audited, admitted by the fleet) and, usually,
enrols it for MAVLink signing at once: the vehicle gets the next generation of its own key with
SETUP_SIGNING, derived from the station's key (:func:`groundstation.signing_keys.key_for`).
The key travels in clear, so the pilot must say the link is trusted. Every step is audited
with its outcome, a refused or unanswered one too.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.audit import audit
from groundstation.db.models import User, Vehicle
from groundstation.db.types import utcnow
from groundstation.db.vehicles import insert_vehicle, record_signing_key, vehicle_clashing
from groundstation.errors import Conflict, GroundStationError, InvalidRequest, NotFound
from groundstation.signing_keys import key_for
from groundstation.telemetry.fleet_bridge import FleetBridge


def require_trusted(link_trusted: bool) -> None:
    """:class:`InvalidRequest` unless the pilot says the link is trusted (the key goes in clear)."""
    if not link_trusted:
        raise InvalidRequest(
            "enrolment sends the vehicle's key in clear (SETUP_SIGNING): do it over a link you"
            " trust (cable or a private network) and say so with link_trusted: true",
            field="link_trusted",
        )


async def give_next_key(
    session: AsyncSession,
    bridge: FleetBridge,
    station_key: bytes | None,
    user: User,
    vehicle: Vehicle,
    command: str,
) -> int:
    """Give the vehicle the next key generation over the link, then store and return the
    generation; `command` (``signing.enrol`` or ``signing.rotate``) names it in the audit log."""
    generation = (vehicle.signing_generation or 0) + 1
    assert station_key is not None  # there is one whenever there is a fleet
    key = key_for(station_key, vehicle.sysid, generation)
    params: dict[str, object] = {"generation": generation}
    try:
        bridge.handle_of(vehicle.sysid)
        if key is not None and vehicle.sysid in bridge.fleet.command_holds:
            # another station commands it and gave it this key: check it, send nothing
            await bridge.fleet.adopt_vehicle_key(vehicle.sysid, key)
            params["adopted"] = True
        else:
            await bridge.fleet.set_vehicle_key(vehicle.sysid, key)
    except GroundStationError as exc:
        await audit(session, user, vehicle, command, f"error: {exc}", params)
        raise
    await record_signing_key(session, vehicle, generation, utcnow())
    await audit(session, user, vehicle, command, "accepted", params)
    return generation


async def accept_heard_system(
    session: AsyncSession,
    bridge: FleetBridge,
    station_key: bytes | None,
    user: User,
    sysid: int,
    *,
    name: str | None,
    enrol: bool,
    link_trusted: bool,
) -> Vehicle:
    """Make the heard system `sysid` a fleet vehicle named `name` (default ``drone-<sysid>``)
    and, if `enrol`, give it its first key. :class:`NotFound` if it is not heard,
    :class:`Conflict` if the system id or name is taken."""
    if sysid not in bridge.fleet.heard:
        raise NotFound("unknown vehicle heard with system id", sysid)
    if enrol:
        require_trusted(link_trusted)
    name = name or f"drone-{sysid}"
    clash = await vehicle_clashing(session, sysid, name)
    if clash is not None:
        raise Conflict(f"vehicle {clash.name!r} already has system id {sysid} or that name")
    vehicle = await insert_vehicle(session, Vehicle(sysid=sysid, name=name))
    await audit(session, user, vehicle, "vehicle.accept", "accepted", {"name": name})
    bridge.fleet.accept(sysid)
    if enrol:
        await give_next_key(session, bridge, station_key, user, vehicle, "signing.enrol")
    return vehicle
