"""Plans in the store: one by id, a page of summaries (never the routes), a new plan, what uses
a plan (patrols flown from it, schedules), deleting one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from groundstation.db.models import Patrol, Plan, Schedule
from groundstation.errors import Conflict, NotFound

#: what a list row reads: never the route or the mission items (hundreds of KB per plan)
LIST_COLUMNS = (
    load_only(
        Plan.id,
        Plan.name,
        Plan.kind,
        Plan.params,
        Plan.stats,
        Plan.sortie_summaries,
        Plan.created_by,
        Plan.created_at,
        raiseload=True,
    ),
)


async def get_plan(session: AsyncSession, plan_id: int) -> Plan:
    """The plan with this id, else :class:`NotFound`."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan


async def plan_summaries_page(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[Plan], int]:
    """One page of plans, newest first, with only the summary columns loaded; and the count."""
    total = await session.scalar(select(func.count()).select_from(Plan))
    query = select(Plan).options(*LIST_COLUMNS).order_by(Plan.id.desc()).limit(limit).offset(offset)
    rows = (await session.scalars(query)).all()
    return rows, total or 0


async def add_plan(session: AsyncSession, plan: Plan) -> Plan:
    """Store a new plan (committed)."""
    session.add(plan)
    await session.commit()
    return plan


async def plan_users(session: AsyncSession, plan_id: int) -> tuple[int, int]:
    """How many patrols were made from the plan, and how many schedules fly it."""
    patrols = await session.scalar(
        select(func.count()).select_from(Patrol).where(Patrol.plan_id == plan_id)
    )
    schedules = await session.scalar(
        select(func.count()).select_from(Schedule).where(Schedule.plan_id == plan_id)
    )
    return patrols or 0, schedules or 0


async def check_unflown(session: AsyncSession, plan: Plan) -> None:
    """Refuse (:class:`Conflict`) to change a plan that patrols were made from: their record
    names its route and mission items, which must stay as they were flown."""
    patrols, _ = await plan_users(session, plan.id)
    if patrols:
        raise Conflict(
            f"plan {plan.id} has {patrols} patrol(s) made from it: it is kept as their record; "
            "save the changed plan as a new one",
            plan_id=plan.id,
            patrols=patrols,
        )


async def delete_plan(session: AsyncSession, plan: Plan) -> None:
    """Delete a plan no patrol was made from and no schedule flies (:class:`Conflict` if one
    does: delete the schedule first). Not committed: the caller audits and commits."""
    await check_unflown(session, plan)
    _, schedules = await plan_users(session, plan.id)
    if schedules:
        raise Conflict(
            f"plan {plan.id} is flown by {schedules} schedule(s): delete them first",
            plan_id=plan.id,
            schedules=schedules,
        )
    await session.delete(plan)
