"""The site the station guards and its coverage freshness, as dependencies of the routers.

Shared by the sites, freshness, plans and reports routers (so none of them imports another):

- :func:`current_site` / ``LoadedSite``: the site, loaded once on first use in a worker thread
  (reading and validating the layers with geopandas takes a moment) and kept in
  ``Services.site_cache``, with its row in the ``sites`` table;
- :func:`freshness_service` / ``FreshnessDep``: the coverage-freshness grid over the site's
  patrol zone, built on first use and kept in ``Services.freshness``, swept up to date.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends
from shapely.ops import unary_union

from groundstation.api.deps import ServicesDep, SessionDep
from groundstation.config import Settings
from groundstation.db.sites import save_site_row
from groundstation.errors import ConfigError
from groundstation.freshness.grid import FreshnessGrid
from groundstation.freshness.ingest import FreshnessService
from groundstation.freshness.settings import camera
from groundstation.site_cache import SiteCache

if TYPE_CHECKING:
    from geodata.site import Site

GEOJSON = "application/geo+json"


def _load(settings: Settings) -> Site:
    from geodata.errors import GeodataError
    from geodata.site import load_site

    try:
        return load_site(settings.site)
    except GeodataError as exc:
        raise ConfigError(f"the configured site cannot be used: {exc}") from exc


async def current_site(services: ServicesDep, session: SessionDep) -> tuple[Site, int, SiteCache]:
    """The station's site (loaded on first call) and its row in the ``sites`` table."""
    cache = services.site_cache
    async with cache.lock:
        if cache.site is None or cache.row_id is None:
            settings = services.settings
            site = await asyncio.to_thread(_load, settings)
            source = str(settings.site) if settings.site else "packaged"
            row = await save_site_row(session, site.name, source, f"EPSG:{site.frame.epsg}")
            cache.site, cache.row_id = site, row.id
        return cache.site, cache.row_id, cache


LoadedSite = Annotated[tuple["Site", int, SiteCache], Depends(current_site)]


def _patrol_area(site: Any, wanted: str | None) -> Any:
    """The area the grid covers: `wanted`, else ``patrol_zone``, else all patrol areas."""
    from geodata.errors import LayerError

    if wanted is not None:
        try:
            return site.area(wanted)
        except LayerError as exc:
            raise ConfigError(f"freshness area: {exc}") from exc
    zones = site.layer("patrol_areas", local=True)
    if "patrol_zone" in set(zones["zone_id"]):
        return site.area("patrol_zone")
    if len(zones) == 0:
        raise ConfigError("the site has no patrol areas to measure freshness over")
    return unary_union(list(zones.geometry))


async def freshness_service(services: ServicesDep, session: SessionDep) -> FreshnessService:
    """The station's freshness service, created on first use, brought up to date."""
    # Give back the pooled connection the sign-in check took before waiting on any lock: the
    # lock's holder needs a connection for its sweep, and 16 requests waiting while each held
    # one emptied the pool (5 + 10) and deadlocked until its 30 s timeout.
    await session.commit()
    slot = services.freshness
    async with slot.lock:
        service = slot.service
        if service is None:
            site, _row, _cache = await current_site(services, session)
            fs = services.settings.freshness
            settings = services.settings
            area = _patrol_area(site, fs.area)
            grid = await asyncio.to_thread(FreshnessGrid.for_area, area, fs.cell_m)
            service = FreshnessService.open(
                grid,
                site.frame.epsg,
                camera=camera(fs),
                state_dir=settings.data_dir / "freshness",
            )
            slot.service, slot.frame = service, site.frame
    await service.refresh(session)
    return service


FreshnessDep = Annotated[FreshnessService, Depends(freshness_service)]
