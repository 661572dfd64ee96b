"""Geometry checks for one layer: lon/lat range, geometry type, size, validity and repair.

Invalid polygons (self-intersections, bow-ties) are repaired with ``shapely.make_valid`` and the
repair is recorded as a warning, unless it changes the area by more than `MAX_REPAIR_AREA_CHANGE`
or leaves nothing, in which case the feature is rejected: the file's author meant something the
repair cannot guess. The area before repair is what the ring encloses by the shoelace formula, so a
small twisted loop at a corner changes little, while a figure-of-eight with two equal lobes (whose
lobes cancel out) changes everything and is refused.

>>> from shapely.geometry import Polygon
>>> small_lobe = Polygon([(0, 0), (10, 0), (10, 10), (0, 10), (1, 10.5)])  # crosses near (1, 10)
>>> fixed, issue = repair_polygon(small_lobe, layer="patrol_areas", feature=0)
>>> round(small_lobe.area, 2), round(fixed.area, 2), issue.level
(95.0, 95.48, 'warning')
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.crs import LocalFrame
from geodata.errors import GeometryError, LayerError, SiteIssue
from geodata.schema import SPECS

MAX_REPAIR_AREA_CHANGE = 0.01
"""Largest relative area change a repair may make before the feature is rejected (1%)."""

MAX_FEATURE_VERTICES = 100_000
"""Features with more vertices are simplified (in metres, topology preserved) below this count."""

MAX_LAYER_VERTICES = 5_000_000
"""Layers with more vertices than this are refused outright."""

SIMPLIFY_START_TOLERANCE_M = 0.5
MAX_SIMPLIFY_TOLERANCE_M = 64.0
"""Beyond this a simplified outline would be too coarse to plan patrols in; refuse instead."""


def check_lonlat(gdf: gpd.GeoDataFrame, layer: str, path: str | None = None) -> None:
    """Reject coordinates outside lon [-180, 180] / lat [-90, 90] (e.g. projected metres)."""
    bounds = gdf.geometry.bounds.to_numpy()
    bad = ~np.all(
        (bounds[:, [0, 2]] >= -180.0)
        & (bounds[:, [0, 2]] <= 180.0)
        & (bounds[:, [1, 3]] >= -90.0)
        & (bounds[:, [1, 3]] <= 90.0),
        axis=1,
    ) & ~np.isnan(bounds).any(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        x, y = bounds[i, 0], bounds[i, 1]
        if abs(x) <= 90.0 and abs(y) <= 180.0:
            hint = "latitude and longitude swapped? GeoJSON order is [lon, lat]"
        else:
            hint = "projected metres in a WGS84 file? Reproject to EPSG:4326 or store its real CRS"
        raise LayerError(
            f"coordinates are not lon/lat degrees (e.g. x={x:.6g}, y={y:.6g}): {hint}",
            path=path,
            layer=layer,
            feature=i,
        )


def check_types(gdf: gpd.GeoDataFrame, layer: str, path: str | None = None) -> None:
    """Reject missing, empty or wrongly typed geometries for this layer."""
    allowed = SPECS[layer].geom_types
    for i, geom in enumerate(gdf.geometry):
        if geom is None or geom.is_empty:
            raise LayerError("feature has no geometry", path=path, layer=layer, feature=i)
        if geom.geom_type not in allowed:
            raise LayerError(
                f"wrong geometry type {geom.geom_type}; layer {layer} takes "
                f"{' or '.join(sorted(allowed))}",
                path=path,
                layer=layer,
                feature=i,
            )


def limit_vertices(
    gdf: gpd.GeoDataFrame, layer: str, path: str | None = None
) -> tuple[gpd.GeoDataFrame, list[SiteIssue]]:
    """Refuse absurdly large layers; simplify features above `MAX_FEATURE_VERTICES` vertices.

    Simplification happens in the feature's local UTM frame with a tolerance in metres, doubled
    until the feature fits, and is reported as a warning giving the tolerance used.
    """
    counts = shapely.get_num_coordinates(gdf.geometry.to_numpy())
    total = int(counts.sum())
    if total > MAX_LAYER_VERTICES:
        raise LayerError(
            f"layer has {total:,} vertices, more than the {MAX_LAYER_VERTICES:,} a station can "
            "handle; simplify it in a GIS first",
            path=path,
            layer=layer,
        )
    issues: list[SiteIssue] = []
    big = np.flatnonzero(counts > MAX_FEATURE_VERTICES)
    if big.size == 0:
        return gdf, issues
    gdf = gdf.copy()
    geoms = gdf.geometry.to_numpy().copy()
    for i in big:
        geom = geoms[i]
        frame = LocalFrame.for_geometry(geom)
        local = frame.to_local(geom)
        tolerance = SIMPLIFY_START_TOLERANCE_M
        simple = shapely.simplify(local, tolerance, preserve_topology=True)
        while shapely.get_num_coordinates(simple) > MAX_FEATURE_VERTICES:
            if tolerance >= MAX_SIMPLIFY_TOLERANCE_M:
                # e.g. a multipolygon of 100,000 tiny parts: no tolerance brings it down
                raise LayerError(
                    f"feature has {int(counts[i]):,} vertices and still "
                    f"{shapely.get_num_coordinates(simple):,} after simplifying to "
                    f"{tolerance:g} m; split or simplify it in a GIS first",
                    path=path,
                    layer=layer,
                    feature=int(i),
                )
            tolerance *= 2.0
            simple = shapely.simplify(local, tolerance, preserve_topology=True)
        geoms[i] = frame.to_wgs84(simple)
        issues.append(
            SiteIssue(
                "warning",
                f"simplified from {int(counts[i]):,} to {shapely.get_num_coordinates(simple):,} "
                f"vertices (tolerance {tolerance:g} m)",
                path=path,
                layer=layer,
                feature=int(i),
            )
        )
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf, issues


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """The polygonal part of a make_valid result (drops stray lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    if isinstance(geom, Polygon):
        return geom
    if len(parts) == 1:
        return parts[0]
    nested = [q for p in shapely.get_parts(geom) if isinstance(p, MultiPolygon) for q in p.geoms]
    return MultiPolygon(parts + nested)


def repair_polygon(
    geom: Polygon | MultiPolygon,
    *,
    layer: str,
    feature: int,
    path: str | None = None,
) -> tuple[Polygon | MultiPolygon, SiteIssue]:
    """Repair one invalid polygon, or raise `GeometryError` when the repair is not faithful."""
    reason = shapely.is_valid_reason(geom)
    fixed = _polygonal(shapely.make_valid(geom))
    before, after = float(geom.area), float(fixed.area)
    if fixed.is_empty or after <= 0.0:
        raise GeometryError(
            f"invalid geometry ({reason}) and the repair leaves nothing",
            path=path,
            layer=layer,
            feature=feature,
        )
    change = abs(after - before) / max(after, before)
    if change > MAX_REPAIR_AREA_CHANGE or math.isnan(change):
        raise GeometryError(
            f"invalid geometry ({reason}); make_valid would change its area by {change:.0%} "
            f"(limit {MAX_REPAIR_AREA_CHANGE:.0%}), so it is not repaired: fix the outline",
            path=path,
            layer=layer,
            feature=feature,
        )
    issue = SiteIssue(
        "warning",
        f"invalid geometry ({reason}) repaired with make_valid, area changed by {change:.2%}",
        path=path,
        layer=layer,
        feature=feature,
    )
    return fixed, issue


def repair_invalid(
    gdf: gpd.GeoDataFrame, layer: str, path: str | None = None
) -> tuple[gpd.GeoDataFrame, list[SiteIssue]]:
    """Repair every invalid polygon of a layer (see `repair_polygon`); returns a copy if changed."""
    geoms = gdf.geometry.to_numpy()
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if invalid.size == 0:
        return gdf, []
    issues: list[SiteIssue] = []
    geoms = geoms.copy()
    for i in invalid:
        geom = geoms[i]
        if not isinstance(geom, Polygon | MultiPolygon):
            raise GeometryError(
                f"invalid geometry ({shapely.is_valid_reason(geom)})",
                path=path,
                layer=layer,
                feature=int(i),
            )
        geoms[i], issue = repair_polygon(geom, layer=layer, feature=int(i), path=path)
        issues.append(issue)
    gdf = gdf.copy()
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf, issues


def validate_layer(
    gdf: gpd.GeoDataFrame, layer: str, path: str | None = None
) -> tuple[gpd.GeoDataFrame, list[SiteIssue]]:
    """All geometry checks for one WGS84 layer, cheapest and most fundamental first."""
    if len(gdf) == 0:
        raise LayerError("layer is empty (no features)", path=path, layer=layer)
    check_types(gdf, layer, path)
    check_lonlat(gdf, layer, path)
    # Repair before simplifying: simplification can hide a small self-intersection of the
    # outline as drawn (a bow-tie of two swapped vertices in 10^6 passed silently).
    gdf, repairs = repair_invalid(gdf, layer, path)
    gdf, issues = limit_vertices(gdf, layer, path)
    return single_parts_as_polygons(gdf), repairs + issues


def single_parts_as_polygons(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn one-part MultiPolygons into Polygons (GeoPackage and Shapefile promote them)."""
    geoms = gdf.geometry.to_numpy()
    single = np.array(
        [isinstance(g, MultiPolygon) and len(g.geoms) == 1 for g in geoms], dtype=bool
    )
    if not single.any():
        return gdf
    geoms = geoms.copy()
    for i in np.flatnonzero(single):
        geoms[i] = geoms[i].geoms[0]
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
