"""The site the station guards, and its layers as GeoJSON (for the live map and the planners).

The site is loaded once, on first use, in a worker thread (reading and validating the layers
with geopandas takes a moment), then kept in ``Services.site_cache``; each layer's GeoJSON is
encoded once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from groundstation.api.deps import ServicesDep, SessionDep, current_user
from groundstation.api.schemas import LayerSummary, SitePublic
from groundstation.config import Settings
from groundstation.db.models import Site as SiteRow
from groundstation.errors import ConfigError, NotFound
from groundstation.site_cache import SiteCache

if TYPE_CHECKING:
    from geodata.site import Site

router = APIRouter(prefix="/api/sites", tags=["sites"], dependencies=[Depends(current_user)])

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
            row = await session.scalar(select(SiteRow).where(SiteRow.name == site.name))
            if row is None:
                row = SiteRow(name=site.name, source=source, crs=f"EPSG:{site.frame.epsg}")
                session.add(row)
            else:
                row.source, row.crs = source, f"EPSG:{site.frame.epsg}"
            await session.commit()
            cache.site, cache.row_id = site, row.id
        return cache.site, cache.row_id, cache


def _summary(site: Site, row_id: int) -> SitePublic:
    station = None
    try:
        station = site.station
    except Exception:
        station = None
    bounds = [layer.total_bounds for layer in site.layers.values() if len(layer)]
    bbox = (
        [
            float(min(b[0] for b in bounds)),
            float(min(b[1] for b in bounds)),
            float(max(b[2] for b in bounds)),
            float(max(b[3] for b in bounds)),
        ]
        if bounds
        else []
    )
    return SitePublic(
        id=row_id,
        name=site.name,
        crs=f"EPSG:{site.frame.epsg}",
        station_lon_deg=station.x if station is not None else None,
        station_lat_deg=station.y if station is not None else None,
        bbox=bbox,
        layers=[
            LayerSummary(name=n, features=len(g), url=f"/api/sites/current/layers/{n}")
            for n, g in site.layers.items()
        ],
        warnings=[str(w) for w in site.warnings],
    )


LoadedSite = Annotated[tuple["Site", int, SiteCache], Depends(current_site)]


@router.get("/current")
async def read_site(loaded: LoadedSite) -> SitePublic:
    """The site: name, metric CRS, launch station, bounding box, layers and load remarks."""
    site, row_id, _ = loaded
    return _summary(site, row_id)


@router.get(
    "/current/layers/{name}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "a GeoJSON FeatureCollection"}},
)
async def read_layer(name: str, loaded: LoadedSite) -> Response:
    """One layer as a GeoJSON FeatureCollection in WGS84 (lon, lat)."""
    site, _, cache = loaded
    if name not in site.layers:
        raise NotFound("layer", name)
    if name not in cache.geojson:
        gdf = site.layers[name]
        cache.geojson[name] = (await asyncio.to_thread(gdf.to_json, drop_id=True)).encode()
    return Response(content=cache.geojson[name], media_type=GEOJSON)
