"""Keeping the station's freshness grid current as track chunks arrive (a lifespan hook).

The grid is built on first use (``GET /api/freshness`` or the daily summary: building it needs
the site); from then on this hook sweeps the newly stored chunks every ``refresh_s`` seconds,
so a request finds only seconds of new track to add and the grid on disk stays recent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from groundstation.freshness.ingest import FreshnessService
from groundstation.freshness.settings import FreshnessSettings

log = logging.getLogger(__name__)


async def refresh_loop(app: FastAPI, every_s: float) -> None:
    """Refresh ``app.state.freshness`` (once it exists) every `every_s` seconds, forever."""
    while True:
        await asyncio.sleep(every_s)
        service: FreshnessService | None = getattr(app.state, "freshness", None)
        if service is None:
            continue
        async with app.state.sessions() as session:
            n = await service.refresh(session)
        if n:
            log.debug("freshness: swept %d new track chunks", n)


@contextlib.asynccontextmanager
async def freshness_hook(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan hook: the periodic freshness refresh."""
    task = asyncio.create_task(
        refresh_loop(app, FreshnessSettings().refresh_s), name="freshness refresh"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
