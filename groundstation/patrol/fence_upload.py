"""Fence uploads that fit the vehicle, and learn when it holds less than thought.

Before sending, a fence bigger than the vehicle's budget (learned this session, or its
autopilot's default: `routes.fence.ARDUCOPTER` for ArduPilot, `routes.fence.PX4` otherwise) is
refitted to it. When the vehicle refuses a fence for room (MAV_MISSION_NO_SPACE on the count,
or ERROR when ArduPilot's ``write_fence`` finds it over the storage), the station learns a
smaller budget for that vehicle, refits the fence once to it and sends it again. The learned
budget is kept for the session (`FenceBudgets`), so the next upload to that vehicle fits at
once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from groundstation.errors import MissionUploadError

if TYPE_CHECKING:
    from routes.fence import FenceBudget, FittedFence
    from routes.mission import MissionItem

#: MISSION_ACK results that mean "the fence does not fit" (NO_SPACE: MISSION_COUNT over
#: max_items; ERROR: AC_PolyFence_loader::write_fence over the storage size)
REFUSED_FOR_ROOM = frozenset({"NO_SPACE", "ERROR"})


@dataclass
class FenceBudgets:
    """Fence budgets learned per vehicle (keyed by the caller's vehicle id) this session."""

    learned: dict[int, FenceBudget] = field(default_factory=dict)

    def budget(self, vehicle: int, ardupilot: bool) -> FenceBudget:
        from routes.fence import ARDUCOPTER, PX4

        return self.learned.get(vehicle) or (ARDUCOPTER if ardupilot else PX4)


@dataclass(frozen=True, slots=True)
class FenceUpload:
    """What was sent: the items, the refit (if any) and what the station learned."""

    items: tuple[MissionItem, ...]
    refit: FittedFence | None = None
    learned: FenceBudget | None = None
    message: str = ""


def _fits(fence: Sequence[MissionItem], budget: FenceBudget) -> bool:
    from routes.mission import fence_cost

    items, size = fence_cost(fence)
    return items <= budget.max_items and (
        budget.storage_bytes is None or size <= budget.storage_bytes
    )


async def _refit(
    mission: Sequence[MissionItem], fence: Sequence[MissionItem], budget: FenceBudget, sysid: int
) -> tuple[tuple[MissionItem, ...], FittedFence]:
    from routes.errors import PlanningError
    from routes.mission import refit_fence

    try:
        return await asyncio.to_thread(refit_fence, mission, fence, budget)
    except PlanningError as exc:
        raise MissionUploadError(sysid, "fence", f"cannot fit the fence: {exc}") from None


async def upload_fence(
    handle: Any,
    mission: Sequence[MissionItem],
    fence: Sequence[MissionItem],
    budgets: FenceBudgets,
    vehicle: int,
    *,
    verify: bool = True,
    progress: Any = None,
) -> FenceUpload:
    """Send ``fence`` to ``handle`` (a `VehicleHandle`), fitted to what it holds; ``mission``
    gives the positions the fence must keep inside if it has to be refitted."""
    budget = budgets.budget(vehicle, handle.is_ardupilot)
    items: tuple[MissionItem, ...] = tuple(fence)
    refit: FittedFence | None = None
    if not _fits(items, budget):
        items, refit = await _refit(mission, fence, budget, handle.sysid)
    try:
        await handle.upload_mission(list(items), "fence", progress=progress, verify=verify)
    except MissionUploadError as exc:
        if exc.result_name not in REFUSED_FOR_ROOM:
            raise
        from routes.mission import fence_cost

        n, size = fence_cost(items)
        smaller = budget.shrunk(n, size)
        budgets.learned[vehicle] = smaller
        items, refit = await _refit(mission, fence, smaller, handle.sysid)
        await handle.upload_mission(list(items), "fence", progress=progress, verify=verify)
        message = (
            f"vehicle {handle.sysid} refused a {n}-item, {size}-byte fence ({exc.result_name}); "
            f"refitted to {refit.items} items for {smaller.describe()}, kept for this vehicle "
            "for the session"
        )
        return FenceUpload(items, refit, smaller, message)
    message = ""
    if refit is not None:
        message = (
            f"fence refitted for vehicle {handle.sysid}: {len(fence)} -> {refit.items} items "
            f"for {budget.describe()}"
        )
    return FenceUpload(items, refit, None, message)
