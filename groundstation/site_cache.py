"""The site the station guards, loaded once on first use and kept for the service's lifetime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from groundstation.config import Settings
from groundstation.db.sites import save_site_row
from groundstation.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from geodata.site import Site


@dataclass(slots=True)
class SiteCache:
    """The loaded site, its row id and its layers' GeoJSON, filled on first use."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    site: Site | None = None
    row_id: int | None = None
    geojson: dict[str, bytes] = field(default_factory=dict)


def _load(settings: Settings) -> Site:
    from geodata.errors import GeodataError
    from geodata.site import load_site

    try:
        return load_site(settings.site)
    except GeodataError as exc:
        raise ConfigError(f"the configured site cannot be used: {exc}") from exc


async def current_site(
    cache: SiteCache, settings: Settings, session: AsyncSession
) -> tuple[Site, int]:
    """The station's site (loaded into `cache` on first call, in a worker thread: reading and
    validating its layers takes a moment) and its row in the ``sites`` table."""
    async with cache.lock:
        if cache.site is None or cache.row_id is None:
            site = await asyncio.to_thread(_load, settings)
            source = str(settings.site) if settings.site else "packaged"
            row = await save_site_row(session, site.name, source, f"EPSG:{site.frame.epsg}")
            cache.site, cache.row_id = site, row.id
        return cache.site, cache.row_id
