"""Patrols from a plan: one per sortie, each on the vehicle that flies the plan's drone.

A plan splits its area into sorties and gives each to one of its drones (drone k, counted from
1 as the API shows it); the pilot names the vehicles, and drone k flies on ``vehicle_ids[k-1]``
(cycled when there are fewer vehicles than drones). :func:`create_patrols`
stores the patrols (state ``planned``); :func:`fly_plan` also starts them through the
:class:`~groundstation.patrol.service.PatrolService`: in parallel across vehicles, in sequence on
each.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Patrol, User
from groundstation.db.patrols import add_patrols, get_patrol, refreshed_patrol
from groundstation.db.plans import get_plan
from groundstation.db.vehicles import get_vehicle
from groundstation.errors import InvalidRequest
from groundstation.patrol.service import PatrolService


def vehicle_for_drone(drone: int, vehicle_ids: Sequence[int]) -> int | None:
    """The vehicle that flies the plan's drone `drone` (stored counting from 0, shown from 1):
    ``vehicle_ids[drone]``, cycled; None when no vehicle is named.

    >>> [vehicle_for_drone(k, [7, 9]) for k in (0, 1, 2)]
    [7, 9, 7]
    >>> vehicle_for_drone(0, []) is None
    True
    """
    return vehicle_ids[drone % len(vehicle_ids)] if vehicle_ids else None


async def create_patrols(
    session: AsyncSession,
    user: User,
    plan_id: int,
    vehicle_ids: Sequence[int],
    sortie: int | None = None,
) -> list[Patrol]:
    """One planned patrol per sortie of the plan (or just `sortie`, counted from 1), stored.

    :class:`NotFound` for an unknown plan or vehicle, :class:`InvalidRequest` for a sortie the
    plan does not have.
    """
    plan = await get_plan(session, plan_id)
    sorties = list(plan.mission_items)
    if sortie is not None and sortie > len(sorties):
        raise InvalidRequest(f"plan {plan.id} has {len(sorties)} sortie(s)", field="sortie")
    for vehicle_id in vehicle_ids:
        await get_vehicle(session, vehicle_id)
    wanted = [sortie - 1] if sortie is not None else list(range(len(sorties)))
    rows = [
        Patrol(
            plan_id=plan.id,
            sortie=n,
            vehicle_id=vehicle_for_drone(int(sorties[n]["drone"]), vehicle_ids),
            created_by=user.id,
        )
        for n in wanted
    ]
    return list(await add_patrols(session, rows))


async def fly_plan(
    session: AsyncSession,
    service: PatrolService,
    user: User,
    plan_id: int,
    vehicle_ids: Sequence[int],
) -> list[Patrol]:
    """Every sortie of the plan, flown: the first on each vehicle starts now (preflight errors
    propagate), the others when the one before is reported. The patrols as stored after."""
    service.require_link()
    created = await create_patrols(session, user, plan_id, vehicle_ids)
    rows = [await get_patrol(session, p.id) for p in created]
    await service.fly(rows, user)
    return [await refreshed_patrol(session, p.id) for p in rows]
