"""Plans in the store: one by id, a page of summaries (never the routes), a new plan."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from groundstation.db.models import Plan
from groundstation.errors import NotFound

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
