"""The site the station guards and its coverage freshness, as dependencies of the routers.

Shared by the sites, freshness, plans and reports routers (so none of them imports another):

- :func:`current_site` / ``LoadedSite``: the site, loaded once on first use in a worker thread
  (reading and validating the layers with geopandas takes a moment) and kept in
  ``Services.site_cache``, with its row in the ``sites`` table;
- :func:`freshness_service` / ``FreshnessDep``: the coverage-freshness grid over the site's
  patrol zone, built on first use and kept in ``Services.freshness``, swept up to date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from groundstation.api.deps import ServicesDep, SessionDep
from groundstation.freshness.build import ensure_freshness
from groundstation.freshness.ingest import FreshnessService
from groundstation.site_cache import SiteCache
from groundstation.site_cache import current_site as load_current_site

if TYPE_CHECKING:
    from geodata.site import Site

GEOJSON = "application/geo+json"


async def current_site(services: ServicesDep, session: SessionDep) -> tuple[Site, int, SiteCache]:
    """The station's site (loaded on first call) and its row in the ``sites`` table."""
    cache = services.site_cache
    site, row_id = await load_current_site(cache, services.settings, session)
    return site, row_id, cache


LoadedSite = Annotated[tuple["Site", int, SiteCache], Depends(current_site)]


async def freshness_service(services: ServicesDep, session: SessionDep) -> FreshnessService:
    """The station's freshness service, created on first use, brought up to date."""
    # Give back the pooled connection the sign-in check took before waiting on any lock: the
    # lock's holder needs a connection for its sweep, and 16 requests waiting while each held
    # one emptied the pool (5 + 10) and deadlocked until its 30 s timeout.
    await session.commit()
    service = await ensure_freshness(
        services.freshness, services.site_cache, services.settings, session
    )
    await service.refresh(session)
    return service


FreshnessDep = Annotated[FreshnessService, Depends(freshness_service)]
