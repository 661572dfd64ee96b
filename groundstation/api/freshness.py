"""Coverage freshness as GeoJSON: ``GET /api/freshness`` (any signed-in user).

The grid is built on first use over the site's patrol zone and kept in ``Services.freshness``;
each request first sweeps the track chunks stored since the previous one, so the answer is always
up to date and the work per request is only what is new.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from shapely.ops import unary_union

from groundstation.api.deps import ServicesDep, SessionDep, current_user
from groundstation.api.sites import GEOJSON, current_site
from groundstation.errors import ConfigError
from groundstation.freshness.geojson import freshness_geojson
from groundstation.freshness.grid import FreshnessGrid
from groundstation.freshness.ingest import FreshnessService
from groundstation.freshness.settings import camera

router = APIRouter(
    prefix="/api/freshness", tags=["freshness"], dependencies=[Depends(current_user)]
)


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


@router.get(
    "",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "a GeoJSON FeatureCollection"}},
)
async def get_freshness(
    services: ServicesDep,
    service: FreshnessDep,
    max_age_h: Annotated[float | None, Query(gt=0, le=24 * 365)] = None,
) -> JSONResponse:
    """Cells of the patrol zone by time since last seen: fresh, stale (> max_age_h) and never."""
    max_age = max_age_h if max_age_h is not None else services.settings.freshness.max_age_h
    frame = services.freshness.frame
    assert frame is not None  # stored with the service that FreshnessDep made
    body = await asyncio.to_thread(
        freshness_geojson,
        service.grid,
        frame,
        now_s=time.time(),
        max_age_s=max_age * 3600.0,
    )
    return JSONResponse(body, media_type=GEOJSON)
