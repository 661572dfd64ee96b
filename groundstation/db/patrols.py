"""Patrols in the store: one by id, a filtered page, their transitions and events, the open ones.

Only :class:`~groundstation.patrol.service.PatrolService` changes a patrol's state; these
functions read, and :func:`add_patrols` stores new (planned) ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import (
    TERMINAL_PATROL_STATES,
    Patrol,
    PatrolEvent,
    PatrolState,
    PatrolTransition,
)
from groundstation.errors import NotFound

#: states in which a patrol holds its vehicle (a dispatch passes it over)
FLYING_STATES = ("preflight", "uploading", "launching", "flying", "returning")


async def get_patrol(session: AsyncSession, patrol_id: int) -> Patrol:
    """The patrol with this id, else :class:`NotFound`."""
    patrol = await session.get(Patrol, patrol_id)
    if patrol is None:
        raise NotFound("patrol", patrol_id)
    return patrol


async def refreshed_patrol(session: AsyncSession, patrol_id: int) -> Patrol:
    """The patrol as stored now (another session, the service's, may have changed it)."""
    patrol = await get_patrol(session, patrol_id)
    await session.refresh(patrol)
    return patrol


async def patrol_page(
    session: AsyncSession,
    *,
    states: Iterable[PatrolState] | None,
    plan_id: int | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Patrol], int]:
    """One page of patrols, newest first, and how many match the filters in all."""
    query = select(Patrol)
    if states:
        query = query.where(Patrol.state.in_([s.value for s in states]))
    if plan_id is not None:
        query = query.where(Patrol.plan_id == plan_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Patrol.id.desc()).limit(limit).offset(offset))
    return rows.all(), total or 0


async def patrol_transitions(session: AsyncSession, patrol_id: int) -> Sequence[PatrolTransition]:
    """The patrol's state changes, in order."""
    return (
        await session.scalars(
            select(PatrolTransition)
            .where(PatrolTransition.patrol_id == patrol_id)
            .order_by(PatrolTransition.id)
        )
    ).all()


async def patrol_events(session: AsyncSession, patrol_id: int) -> Sequence[PatrolEvent]:
    """The patrol's events (preflight verdicts, items reached, anomalies), in order."""
    return (
        await session.scalars(
            select(PatrolEvent).where(PatrolEvent.patrol_id == patrol_id).order_by(PatrolEvent.id)
        )
    ).all()


async def open_patrols(session: AsyncSession) -> Sequence[Patrol]:
    """Patrols not ended yet (neither reported, aborted nor failed), oldest first."""
    query = (
        select(Patrol)
        .where(Patrol.state.not_in([s.value for s in TERMINAL_PATROL_STATES]))
        .order_by(Patrol.id)
    )
    return (await session.scalars(query)).all()


async def latest_event(session: AsyncSession, patrol_id: int, kind: str) -> PatrolEvent | None:
    """The patrol's latest event of `kind`, or None."""
    return await session.scalar(
        select(PatrolEvent)
        .where(PatrolEvent.patrol_id == patrol_id, PatrolEvent.kind == kind)
        .order_by(PatrolEvent.id.desc())
        .limit(1)
    )


async def other_patrol_in(
    session: AsyncSession, vehicle_id: int, patrol_id: int, states: Iterable[PatrolState]
) -> int | None:
    """The id of a patrol other than `patrol_id` on the vehicle in one of `states`, or None."""
    return await session.scalar(
        select(Patrol.id).where(
            Patrol.vehicle_id == vehicle_id,
            Patrol.id != patrol_id,
            Patrol.state.in_([s.value for s in states]),
        )
    )


async def flying_vehicle_ids(session: AsyncSession) -> set[int | None]:
    """Ids of the vehicles on a patrol between preflight and return."""
    query = select(Patrol.vehicle_id).where(Patrol.state.in_(FLYING_STATES))
    return set(await session.scalars(query))


async def add_patrols(session: AsyncSession, patrols: Sequence[Patrol]) -> Sequence[Patrol]:
    """Store new patrols (committed)."""
    session.add_all(patrols)
    await session.commit()
    return patrols
