"""Base maps for the live map (docs/basemaps.md): the list the page offers, and their tiles.

- ``GET /api/map/basemaps`` (any user): the configured sources the station can serve now;
- ``GET /tiles/{id}/{layer}/{z}/{x}/{y}`` (public, like the page's files: ``<img>`` tiles carry
  no token): one tile, read from the station's disk or fetched from the source's server by the
  station (never by the browser: keys stay here and the page's CSP stays "this station only").
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from groundstation.api.basemap_schemas import BasemapProblem, BasemapPublic, BasemapsPublic
from groundstation.api.deps import CurrentUser, ServicesDep, SettingsDep
from groundstation.config import Settings
from groundstation.errors import NotFound
from groundstation.web.basemap_settings import BasemapSource
from groundstation.web.tile_proxy import TileFetcher
from groundstation.web.tiles import MVT, TileSource, TileSourceError, tile_type, valid_address

log = logging.getLogger(__name__)

router = APIRouter(tags=["map"])

_CACHE = {"Cache-Control": "max-age=86400"}


def _describe(source: BasemapSource) -> BasemapPublic:
    """The page's view of `source`; a local file is opened to learn its format and zoom."""
    fmt = "raster"
    max_zoom = source.max_zoom
    attribution = source.attribution
    if not source.internet:
        tiles = TileSource.open(source.path)
        assert tiles is not None  # a file source always has a path
        fmt = "vector" if tiles.media_type() == MVT else "raster"
        max_zoom = min(max_zoom, tiles.max_zoom() or max_zoom)
        attribution = attribution or tiles.attribution()
    layers = range(len(source.templates) or 1)
    return BasemapPublic(
        id=source.id,
        name_zh=source.name_zh,
        name_en=source.name_en,
        kind=source.kind,
        format=fmt,
        tiles=[f"/tiles/{source.id}/{layer}/{{z}}/{{x}}/{{y}}" for layer in layers],
        attribution=attribution,
        min_zoom=source.min_zoom,
        max_zoom=max_zoom,
        internet=source.internet,
    )


def list_basemaps(settings: Settings) -> BasemapsPublic:
    """Every offered source the station can serve, and why the others cannot be. Blocking."""
    found: list[BasemapPublic] = []
    problems: list[BasemapProblem] = []
    for source in settings.basemap.offered(settings.map_tiles):
        try:
            found.append(_describe(source))
        except TileSourceError as exc:
            log.warning("live map: %s", exc)
            problems.append(BasemapProblem(id=source.id, detail=str(exc)))
    ids = [s.id for s in found]
    default = settings.basemap.default if settings.basemap.default in ids else None
    return BasemapsPublic(
        data=found, default=default or (ids[0] if ids else None), problems=problems
    )


def get_tile_fetcher(services: ServicesDep) -> TileFetcher | None:
    """The station's fetcher of internet tiles, None when it has no internet (the centre's app
    overrides this with its own)."""
    return services.tiles


@router.get("/api/map/basemaps")
async def basemaps(settings: SettingsDep, user: CurrentUser) -> BasemapsPublic:
    """The base maps this station offers (internet ones only when it has internet)."""
    return await asyncio.to_thread(list_basemaps, settings)


@router.get("/tiles/{source_id}/{layer}/{z}/{x}/{y}", include_in_schema=False)
async def tile(
    source_id: str,
    layer: int,
    z: int,
    x: int,
    y: int,
    settings: SettingsDep,
    fetcher: Annotated[TileFetcher | None, Depends(get_tile_fetcher)],
) -> Response:
    """One tile of base map `source_id` (404 when there is none; 204 for an empty vector tile;
    502 when an internet source's server fails)."""
    source = settings.basemap.find(source_id, settings.map_tiles)
    if source is None or not 0 <= layer < max(1, len(source.templates)):
        raise NotFound("base map", f"{source_id}/{layer}")
    if not (source.min_zoom <= z <= source.max_zoom and valid_address(z, x, y)):
        raise NotFound("tile", f"{source_id}/{z}/{x}/{y}")
    try:
        if source.internet:
            if fetcher is None:  # internet sources are offered only with one: a wiring slip
                raise TileSourceError(f"base map {source_id}: this server fetches no tiles")
            found = await fetcher.fetch(source, layer, z, x, y)
        else:
            found = await asyncio.to_thread(_read_local, source, z, x, y)
    except TileSourceError as exc:
        return Response(str(exc), status_code=502, media_type="text/plain")
    if found is None:
        raise NotFound("tile", f"{source_id}/{z}/{x}/{y}")
    data, media_type = found
    if media_type == MVT and not data:
        return Response(status_code=204, headers=_CACHE)
    return Response(data, media_type=media_type, headers=_CACHE)


def _read_local(source: BasemapSource, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    tiles = TileSource.open(source.path)
    assert tiles is not None
    data = tiles.read(z, x, y)
    declared = tiles.media_type()
    if declared == MVT:  # a vector source: a missing tile is an empty one (drawn as nothing)
        return (data or b""), MVT
    media_type = tile_type(data) if data is not None else None
    return None if data is None or media_type is None else (data, media_type)
