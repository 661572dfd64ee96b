"""Coverage freshness as GeoJSON: ``GET /api/freshness`` (any signed-in user).

The grid is built on first use over the site's patrol zone and kept in ``Services.freshness``;
each request first sweeps the track chunks stored since the previous one, so the answer is always
up to date and the work per request is only what is new.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from groundstation.api.deps import ServicesDep, current_user
from groundstation.api.site_deps import GEOJSON, FreshnessDep
from groundstation.freshness.geojson import freshness_geojson

router = APIRouter(
    prefix="/api/freshness", tags=["freshness"], dependencies=[Depends(current_user)]
)


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
