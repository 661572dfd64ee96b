"""A session on the station's store for one CLI job: migrated first, disposed after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.config import Settings


@contextlib.asynccontextmanager
async def store_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One session on `settings`' database, brought to the newest schema first."""
    from groundstation.db.migrate import upgrade_to_head
    from groundstation.db.session import make_async_engine, make_sessionmaker

    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    try:
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()
