"""Vehicle commands (pilots): arm, takeoff, RTL, land, pause, continue, go to, set mode.

Arm and takeoff arm in GUIDED when the drone sits in a mode ArduCopter will not arm in (RTL,
LAND, AUTO); takeoff arms a disarmed drone first.

``POST /api/vehicles/{vehicle_id}/commands/{command}``. Each command is sent through the link,
waits for the vehicle's acknowledgement, and is written to the audit log with the user, the
vehicle, the parameters and the result, whether it succeeded or not. Officers get 403, an
unknown vehicle 404, a vehicle not heard or lost 409, one whose commands are held
(address change, not enrolled for signing) 409, a refusal by the autopilot 409 with its
reason, no answer 504.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from operator import methodcaller
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from groundstation.api.deps import PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.flight_schemas import CommandResult, GotoCommand, ModeCommand, TakeoffCommand
from groundstation.api.lookups import VehicleDep
from groundstation.db.audit import audit
from groundstation.db.models import User, Vehicle
from groundstation.errors import GroundStationError
from groundstation.link import VehicleHandle
from groundstation.services import Services
from groundstation.telemetry.live_handle import live_handle

router = APIRouter(
    prefix="/api/vehicles", tags=["vehicle commands"], dependencies=[Depends(current_user)]
)


async def run_command(
    services: Services,
    session: SessionDep,
    user: User,
    vehicle: Vehicle,
    command: str,
    params: dict[str, Any],
    action: Callable[[VehicleHandle], Awaitable[None]],
) -> CommandResult:
    """Send one command and audit it with its outcome (refused and failed ones too)."""
    try:
        handle = live_handle(services.bridge, vehicle)
        # before sending: the mode change can beat the ACK back
        services.patrols.note_command(
            vehicle.sysid, command, user.username, full_name=user.full_name or None
        )
        await action(handle)
    except (GroundStationError, ValueError) as exc:
        await audit(session, user, vehicle, command, f"error: {exc}", params)
        raise
    await audit(session, user, vehicle, command, "accepted", params)
    return CommandResult(
        vehicle_id=vehicle.id, sysid=vehicle.sysid, command=command, result="accepted"
    )


def _no_argument_command(command: str, name: str, method: str) -> None:
    """Register ``POST .../commands/{command}``, sending the handle's ``method()``.

    ``name`` is the route's name, which FastAPI turns into its summary and operation id.
    """
    call = methodcaller(method)

    async def endpoint(
        services: ServicesDep, session: SessionDep, user: PilotUser, vehicle: VehicleDep
    ) -> CommandResult:
        return await run_command(services, session, user, vehicle, command, {}, call)

    router.add_api_route(
        f"/{{vehicle_id}}/commands/{command}", endpoint, methods=["POST"], name=name
    )


for _command, _name, _method in (
    ("arm", "arm", "arm_to_fly"),
    ("disarm", "disarm", "disarm"),
    ("rtl", "rtl", "rtl"),
    ("land", "land", "land"),
    ("pause", "pause", "pause"),
    ("continue", "continue_", "resume"),
):
    _no_argument_command(_command, _name, _method)


@router.post("/{vehicle_id}/commands/takeoff")
async def takeoff(
    services: ServicesDep,
    session: SessionDep,
    user: PilotUser,
    vehicle: VehicleDep,
    body: Annotated[TakeoffCommand, Body()],
) -> CommandResult:
    return await run_command(
        services,
        session,
        user,
        vehicle,
        "takeoff",
        body.model_dump(),
        lambda h: _arm_and_take_off(h, body.alt_m),
    )


async def _arm_and_take_off(handle: VehicleHandle, alt_m: float) -> None:
    """Take off to `alt_m`, arming first (in a mode it can arm in) if the drone is disarmed."""
    if not handle.state.armed:
        await handle.arm_to_fly()
    await handle.takeoff(alt_m)


@router.post("/{vehicle_id}/commands/goto")
async def goto(
    services: ServicesDep,
    session: SessionDep,
    user: PilotUser,
    vehicle: VehicleDep,
    body: Annotated[GotoCommand, Body()],
) -> CommandResult:
    return await run_command(
        services, session, user, vehicle, "goto", body.model_dump(),
        lambda h: h.goto(body.lat_deg, body.lon_deg, body.alt_rel_m),
    )  # fmt: skip


@router.post("/{vehicle_id}/commands/mode")
async def set_mode(
    services: ServicesDep,
    session: SessionDep,
    user: PilotUser,
    vehicle: VehicleDep,
    body: Annotated[ModeCommand, Body()],
) -> CommandResult:
    mode = body.mode.upper()
    return await run_command(
        services, session, user, vehicle, "set_mode", {"mode": mode}, lambda h: h.set_mode(mode)
    )
