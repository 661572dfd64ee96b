"""Checks across layers: can the station launch, and is there anything left to patrol?

- a station inside a hard no-fly zone is an error (nothing may take off there);
- a patrol area lying entirely inside hard no-fly zones is an error (nothing may be flown);
- a station inside a restricted or keep-out zone, or a patrol area entirely covered by no-fly zones
  of any kind, is a warning: flying needs an approval the pilot must hold.

Areas are compared in the site's metric frame; "entirely inside" allows a sliver of
`COVER_TOLERANCE` of the area (or 1 m²) to absorb rounding on shared edges.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.crs import LocalFrame
from geodata.errors import SiteConsistencyError, SiteIssue
from geodata.schema import HARD_RESTRICTIONS

COVER_TOLERANCE = 1e-6


def _union(gdf: gpd.GeoDataFrame) -> BaseGeometry:
    return shapely.union_all(gdf.geometry.to_numpy())


def _covered(area: BaseGeometry, cover: BaseGeometry) -> bool:
    if cover.is_empty:
        return False
    left = shapely.difference(area, cover).area
    return bool(left <= max(area.area * COVER_TOLERANCE, 1.0))


def _names(gdf: gpd.GeoDataFrame, point: BaseGeometry) -> list[str]:
    hits = gdf[gdf.geometry.intersects(point)]
    return [f"{n} ({r})" for n, r in zip(hits["name"], hits["restriction_raw"], strict=True)]


def check_consistency(
    layers: Mapping[str, gpd.GeoDataFrame],
    frame: LocalFrame,
    paths: Mapping[str, str] | None = None,
) -> list[SiteIssue]:
    """Raise `SiteConsistencyError` for contradictions; return warnings for approvals needed.

    ``paths`` maps layer names to the file each came from, for the messages.
    """
    paths = paths or {}
    issues: list[SiteIssue] = []
    zones = layers["no_fly_zones"]
    if len(zones) == 0:
        return issues
    zones = zones.to_crs(frame.epsg)
    hard = zones[zones["restriction"].isin(HARD_RESTRICTIONS)]
    soft = zones[~zones["restriction"].isin(HARD_RESTRICTIONS)]
    stations = layers["stations"].to_crs(frame.epsg)
    for i, point in enumerate(stations.geometry):
        inside = _names(hard, point)
        if inside:
            raise SiteConsistencyError(
                f"station {stations['name'].iloc[i]!r} lies inside hard no-fly zone "
                f"{'; '.join(inside)}: move the station or fix the zone",
                path=paths.get("stations"),
                layer="stations",
                feature=i,
            )
        inside = _names(soft, point)
        if inside:
            issues.append(
                SiteIssue(
                    "warning",
                    f"station {stations['name'].iloc[i]!r} lies inside {'; '.join(inside)}: "
                    "launches need approval",
                    path=paths.get("stations"),
                    layer="stations",
                    feature=i,
                )
            )
    areas = layers["patrol_areas"].to_crs(frame.epsg)
    hard_union = _union(hard) if len(hard) else shapely.Polygon()
    all_union = _union(zones)
    for i, area in enumerate(areas.geometry):
        name = areas["name"].iloc[i]
        if _covered(area, hard_union):
            raise SiteConsistencyError(
                f"patrol area {name!r} lies entirely inside hard no-fly zones: nothing can be "
                "flown there",
                path=paths.get("patrol_areas"),
                layer="patrol_areas",
                feature=i,
            )
        if _covered(area, all_union):
            issues.append(
                SiteIssue(
                    "warning",
                    f"patrol area {name!r} lies entirely inside no-fly, restricted or keep-out "
                    "zones: every patrol needs approval",
                    path=paths.get("patrol_areas"),
                    layer="patrol_areas",
                    feature=i,
                )
            )
    return issues
