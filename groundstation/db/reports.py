"""Patrol reports in the store: a page of them, newest first, and one patrol's report."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Report


async def report_page(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[Report], int]:
    """One page of filed reports, newest first, and how many there are in all."""
    count = await session.scalar(select(func.count()).select_from(Report)) or 0
    rows = await session.scalars(
        select(Report)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), count


async def report_of_patrol(session: AsyncSession, patrol_id: int) -> Report | None:
    """The patrol's filed report, or None."""
    return await session.scalar(select(Report).where(Report.patrol_id == patrol_id))
