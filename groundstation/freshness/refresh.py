"""Keeping the station's freshness grid current as track chunks arrive.

The grid is built on first use (``GET /api/freshness`` or the daily summary: building it needs
the site) into the station's :class:`FreshnessSlot`; from then on :func:`refresh_loop`, one of the
station's background tasks, sweeps the newly stored chunks every ``refresh_s`` seconds, so a
request finds only seconds of new track to add and the grid on disk stays recent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.freshness.ingest import FreshnessService

if TYPE_CHECKING:
    from geodata.crs import LocalFrame

log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class FreshnessSlot:
    """The station's freshness service once built, the site frame it is in, and the lock that
    lets one request build it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    service: FreshnessService | None = None
    frame: LocalFrame | None = None


async def refresh_loop(
    slot: FreshnessSlot, sessions: async_sessionmaker[AsyncSession], every_s: float
) -> None:
    """Refresh the slot's service (once it exists) every `every_s` seconds, forever."""
    while True:
        await asyncio.sleep(every_s)
        service = slot.service
        if service is None:
            continue
        async with sessions() as session:
            n = await service.refresh(session)
        if n:
            log.debug("freshness: swept %d new track chunks", n)
