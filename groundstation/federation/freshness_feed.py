"""A station's freshness classes to the centre: one ``freshness`` event when they change.

Every ``freshness_every_s`` the station's grid (built on the first round if nobody needed it
before) is swept up to date and classed as the map classes it (``fresh``, ``stale``, ``never``
at the station's ``max_age_h``, the cells of a class merged into polygons:
``freshness.geojson``); if that differs from what was last sent it is emitted, so the centre
can merge the whole river (docs/federation.md). The classes of the Longyou zone are a few
polygons, kilobytes, not a cell grid.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.config import Settings
from groundstation.errors import ConfigError
from groundstation.freshness.build import ensure_freshness
from groundstation.freshness.geojson import freshness_geojson
from groundstation.freshness.refresh import FreshnessSlot
from groundstation.site_cache import SiteCache

log = logging.getLogger(__name__)


class Emitter(Protocol):
    def emit(self, kind: str, data: dict[str, Any]) -> Any: ...


def freshness_event(fc: dict[str, Any], max_age_h: float) -> dict[str, Any]:
    """The ``freshness`` event's data: the classes' geometries, without the map's styling.

    >>> fc = {"features": [{"geometry": {"type": "Polygon", "coordinates": []},
    ...                     "properties": {"class": "never", "cells": 3, "colour": "#d62728"}}]}
    >>> freshness_event(fc, 24.0)["geojson"]["features"][0]["properties"]
    {'class': 'never', 'cells': 3}
    """
    features = [
        {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {"class": f["properties"]["class"], "cells": f["properties"]["cells"]},
        }
        for f in fc["features"]
    ]
    return {"max_age_h": max_age_h, "geojson": {"type": "FeatureCollection", "features": features}}


async def publish_freshness(
    slot: FreshnessSlot,
    cache: SiteCache,
    link: Emitter,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """Emit the station's freshness classes every ``federation.freshness_every_s`` seconds
    when they changed; a site with no patrol area to measure is logged once, and tried again."""
    last: dict[str, Any] | None = None
    refused: str | None = None
    max_age_h = settings.freshness.max_age_h
    while True:
        await asyncio.sleep(settings.federation.freshness_every_s)
        try:
            async with sessions() as session:
                service = await ensure_freshness(slot, cache, settings, session)
                await service.refresh(session)
        except ConfigError as exc:
            if str(exc) != refused:
                log.warning("federation: no freshness to send: %s", exc)
                refused = str(exc)
            continue
        frame = slot.frame
        assert frame is not None  # set with the service
        fc = await asyncio.to_thread(
            freshness_geojson, service.grid, frame, now_s=time.time(),
            max_age_s=max_age_h * 3600.0,
        )  # fmt: skip
        data = freshness_event(fc, max_age_h)
        if data != last:
            link.emit("freshness", data)
            last = data
