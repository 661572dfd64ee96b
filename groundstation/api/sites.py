"""The site the station guards, and its layers as GeoJSON (for the live map and the planners).

The site is loaded once, on first use (:func:`groundstation.api.site_deps.current_site`), then
kept in ``Services.site_cache``; each layer's GeoJSON is encoded once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from groundstation.api.deps import SettingsDep, current_user
from groundstation.api.schemas import LayerSummary, SitePublic
from groundstation.api.site_deps import GEOJSON, LoadedSite
from groundstation.errors import NotFound

if TYPE_CHECKING:
    from geodata.site import Site

router = APIRouter(prefix="/api/sites", tags=["sites"], dependencies=[Depends(current_user)])


def _summary(site: Site, row_id: int, rally_points: list[tuple[float, float]]) -> SitePublic:
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
        rally_points=rally_points,
    )


@router.get("/current")
async def read_site(loaded: LoadedSite, settings: SettingsDep) -> SitePublic:
    """The site: name, metric CRS, launch station, bounding box, layers, load remarks and the
    rally points drones may land at besides the station."""
    site, row_id, _ = loaded
    return _summary(site, row_id, landable_rally_points(site, settings.safety.rally_points))


def landable_rally_points(
    site: Site, configured: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The configured rally points the safety watch lands at: those on land (one on the water
    is refused there, see :mod:`groundstation.safety.site_facts`, and so not shown)."""
    if not configured:
        return []
    from groundstation.safety.site_facts import SiteFacts

    accepted = {p.name for p in SiteFacts.from_site(site, rally_lonlat=configured).landable}
    return [pt for k, pt in enumerate(configured, start=1) if f"rally {k}" in accepted]


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
