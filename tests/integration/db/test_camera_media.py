"""Camera photos and video segments in the store: which patrol they belong to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db import camera_media
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.models import Patrol, Plan, Vehicle
from groundstation.db.session import make_async_engine, make_sessionmaker

T0 = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)


@pytest.fixture
async def session(db) -> AsyncIterator[AsyncSession]:
    upgrade_to_head(db)
    engine = make_async_engine(db)
    try:
        async with make_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


async def test_a_shot_belongs_to_the_patrol_its_drone_was_flying(session: AsyncSession) -> None:
    """Between a patrol's start and end (or while it is still open) its drone's shots are its
    own; before, after, or from another drone they belong to no patrol."""
    heron, egret = Vehicle(sysid=2, name="heron"), Vehicle(sysid=3, name="egret")
    plan = Plan(name="shore", kind="shore")
    session.add_all([heron, egret, plan])
    await session.flush()
    done = Patrol(plan_id=plan.id, vehicle_id=heron.id, state="reported",
                  started_at=T0, ended_at=T0 + timedelta(minutes=30))  # fmt: skip
    flying = Patrol(plan_id=plan.id, vehicle_id=heron.id, state="flying",
                    started_at=T0 + timedelta(hours=1))  # fmt: skip
    session.add_all([done, flying])
    await session.flush()
    at = camera_media.patrol_at
    assert await at(session, 2, T0 + timedelta(minutes=10)) == done.id
    assert await at(session, 2, T0 + timedelta(minutes=45)) is None
    assert await at(session, 2, T0 + timedelta(hours=2)) == flying.id
    assert await at(session, 3, T0 + timedelta(minutes=10)) is None
    assert await at(session, 2, T0 - timedelta(minutes=1)) is None
