"""Building the station's freshness service on first use, for the API and the background tasks.

The grid covers the site's patrol zone (``ECOPATROL_FRESHNESS__AREA``, else ``patrol_zone``,
else every patrol area); it is built once, by whoever needs it first (a look at the freshness
layer, the daily summary, or the federation's freshness publisher), and kept in the station's
:class:`~groundstation.freshness.refresh.FreshnessSlot`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from shapely.ops import unary_union
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.config import Settings
from groundstation.errors import ConfigError
from groundstation.freshness.grid import FreshnessGrid
from groundstation.freshness.ingest import FreshnessService
from groundstation.freshness.refresh import FreshnessSlot
from groundstation.freshness.settings import camera
from groundstation.site_cache import SiteCache, current_site


def patrol_area(site: Any, wanted: str | None) -> Any:
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


async def ensure_freshness(
    slot: FreshnessSlot, cache: SiteCache, settings: Settings, session: AsyncSession
) -> FreshnessService:
    """The station's freshness service, built into `slot` if it is not yet (not swept here)."""
    async with slot.lock:
        service = slot.service
        if service is None:
            site, _row = await current_site(cache, settings, session)
            fs = settings.freshness
            area = patrol_area(site, fs.area)
            grid = await asyncio.to_thread(FreshnessGrid.for_area, area, fs.cell_m)
            service = FreshnessService.open(
                grid,
                site.frame.epsg,
                camera=camera(fs),
                state_dir=settings.data_dir / "freshness",
            )
            slot.service, slot.frame = service, site.frame
    return service
