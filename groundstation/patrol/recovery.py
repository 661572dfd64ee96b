"""Recovery after a station (re)start: reload the open patrols, reattach the airborne ones.

A patrol that was in the air is reattached to its vehicle once the vehicle is heard again (the
runner then continues monitoring and the track gets a gap mark); one caught between preflight and
launch failed, with that reason, because nothing proves what the vehicle holds. Without a link,
airborne patrols are left as they are, for a restart with the link to pick up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.models import Patrol, PatrolState, Plan, Vehicle
from groundstation.link import VehicleHandle
from groundstation.patrol.battery import BatteryEstimate
from groundstation.patrol.config import PatrolConfig
from groundstation.patrol.mission_facts import SortieFacts
from groundstation.patrol.recorder import PatrolRecorder
from groundstation.patrol.state import ACTIVE, AIRBORNE
from groundstation.reasons import Reason

if TYPE_CHECKING:
    from groundstation.telemetry.fleet_bridge import FleetBridge

log = logging.getLogger(__name__)


class RecoveryHost(PatrolRecorder, Protocol):
    """What recovery needs of the patrol service (``service.PatrolService`` is the one): its
    store, settings and link, its task table, and the service's writes and runner start."""

    @property
    def config(self) -> PatrolConfig: ...
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def bridge(self) -> FleetBridge | None: ...
    @property
    def tasks(self) -> dict[int, asyncio.Task[None]]: ...

    async def battery_estimate(
        self, session: AsyncSession, vehicle: Vehicle, endurance_s: float
    ) -> BatteryEstimate: ...

    def spawn_runner(
        self,
        patrol_id: int,
        handle: VehicleHandle,
        vehicle_id: int,
        facts: SortieFacts,
        mode: str,
        first: int = 1,
        battery: BatteryEstimate | None = None,
    ) -> None: ...


async def recover(service: RecoveryHost) -> None:
    """Reload open patrols after a (re)start: reattach the airborne ones, fail the others."""
    async with service.sessions() as session:
        rows = list(
            await session.scalars(
                select(Patrol)
                .where(Patrol.state.in_([s.value for s in ACTIVE]))
                .order_by(Patrol.id)
            )
        )
        plans = {p.id: await session.get(Plan, p.plan_id) for p in rows}
        vehicles = {
            p.id: await session.get(Vehicle, p.vehicle_id) if p.vehicle_id else None for p in rows
        }
    for patrol in rows:
        state = PatrolState(patrol.state)
        plan, vehicle = plans[patrol.id], vehicles[patrol.id]
        if state in AIRBORNE and service.bridge is None:
            log.warning("patrol %d is %s but the station has no link", patrol.id, state.value)
            continue  # left as it is: a restart with the link reattaches it
        if state not in AIRBORNE or plan is None or vehicle is None or service.bridge is None:
            await service.transition(
                patrol.id, PatrolState.FAILED, Reason("station_restarted", {"state": state.value})
            )
            continue
        facts = SortieFacts.from_plan(plan, patrol.sortie)
        service.tasks[patrol.id] = asyncio.create_task(
            _reattach(service, patrol.id, vehicle.id, vehicle.sysid, facts),
            name=f"reattach {patrol.id}",
        )


async def _reattach(
    service: RecoveryHost, patrol_id: int, vehicle_id: int, sysid: int, facts: SortieFacts
) -> None:
    assert service.bridge is not None
    await service.event(patrol_id, "station_restart", "station restarted; waiting for the vehicle")
    try:
        async with asyncio.timeout(service.config.reattach_timeout_s):
            async for seen in service.bridge.fleet.new_vehicles():
                if seen == sysid:
                    break
    except TimeoutError:
        service.tasks.pop(patrol_id, None)
        await service.transition(
            patrol_id,
            PatrolState.FAILED,
            Reason("not_heard_after_restart", {"sysid": sysid}),
        )
        return
    handle = service.bridge.handle_of(sysid)
    battery = None
    async with service.sessions() as session:
        vehicle = await session.get(Vehicle, vehicle_id)
        if vehicle is not None:
            endurance = vehicle.endurance_s or service.config.default_endurance_s
            battery = await service.battery_estimate(session, vehicle, endurance)
    service.tasks.pop(patrol_id, None)
    service.spawn_runner(patrol_id, handle, vehicle_id, facts, mode="reattach", battery=battery)
