"""The `Site`: a station's validated layers, in WGS84 and in its local metric frame.

>>> site = load_site()
>>> site.name, site.frame.epsg
('longyou', 32650)
>>> round(site.area("water_surface").area / 1e6, 2)
8.19
>>> sorted(set(site.layer("no_fly_zones")["restriction"]))
['keep_out', 'no_fly', 'restricted']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geodata.consistency import check_consistency
from geodata.crs import LocalFrame
from geodata.errors import GeodataError, LayerError, SiteIssue
from geodata.io import LayerSource, discover, read_layer
from geodata.normalise import normalise_columns
from geodata.schema import HARD_RESTRICTIONS, LAYERS, STATION_CATEGORY, empty_layer
from geodata.validate import validate_layer

__all__ = ["LAYERS", "Site", "check_site", "load_site", "shipped_site_path"]

SHIPPED_SITE = "longyou"


@dataclass(frozen=True, eq=False)
class Site:
    """A station's ground: five named layers in WGS84, its metric frame, and load-time remarks.

    ``layers`` are shared, not copied: read them, and use `layer()` for a copy to change.
    """

    name: str
    frame: LocalFrame
    layers: Mapping[str, gpd.GeoDataFrame]
    warnings: tuple[SiteIssue, ...] = ()
    _local: dict[str, gpd.GeoDataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def layer(self, name: str, *, local: bool = False) -> gpd.GeoDataFrame:
        """A copy of one layer, in WGS84 or (``local=True``) in the site's metric CRS."""
        if name not in self.layers:
            raise LayerError(f"unknown layer; expected one of {', '.join(LAYERS)}", layer=name)
        if not local:
            return self.layers[name].copy()
        if name not in self._local:
            self._local[name] = self.layers[name].to_crs(self.frame.epsg)
        return self._local[name].copy()

    @property
    def station(self) -> Point:
        """The default launch station in WGS84: the first feature of ``stations``."""
        stations = self.layers["stations"]
        if len(stations) == 0:
            raise LayerError(
                f"site {self.name!r} has no launch station (no stations layer and no point of "
                f"interest with category {STATION_CATEGORY!r})",
                layer="stations",
            )
        geom = stations.geometry.iloc[0]
        assert isinstance(geom, Point)  # validated on load
        return geom

    def area(self, name: str, *, local: bool = True) -> Polygon | MultiPolygon:
        """A patrol area by its ``zone_id`` or its ``name``, in metres unless ``local=False``."""
        gdf = self.layer("patrol_areas", local=local)
        hits = gdf[(gdf["zone_id"] == name) | (gdf["name"] == name)]
        if len(hits) == 0:
            known = [z for z in gdf["zone_id"] if isinstance(z, str)] or list(gdf["name"])
            raise LayerError(
                f"no patrol area {name!r}; known: {', '.join(map(str, known))}",
                layer="patrol_areas",
                field="zone_id",
            )
        geom = hits.geometry.iloc[0]
        assert isinstance(geom, Polygon | MultiPolygon)  # validated on load
        return geom

    def no_fly(self, *, local: bool = True, include_restricted: bool = False) -> list[Polygon]:
        """Hard no-fly polygons (plus restricted and keep-out if asked), in metres by default."""
        gdf = self.layer("no_fly_zones", local=local)
        if not include_restricted:
            gdf = gdf[gdf["restriction"].isin(HARD_RESTRICTIONS)]
        parts = shapely.get_parts(gdf.geometry.to_numpy())
        return [p for p in parts if isinstance(p, Polygon)]


def shipped_site_path() -> Path:
    """The folder of the Longyou site shipped as package data."""
    return Path(str(resources.files("geodata") / "data" / SHIPPED_SITE))


def _derive_stations(pois: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stations for a site without a stations layer: its points of the station category."""
    if len(pois) == 0:
        return empty_layer("stations")
    picked = pois[pois["category"] == STATION_CATEGORY]
    if len(picked) == 0:
        return empty_layer("stations")
    stations, _ = normalise_columns("stations", picked.reset_index(drop=True))
    return stations


def _load_layer(source: LayerSource, shown: str) -> tuple[gpd.GeoDataFrame, list[SiteIssue]]:
    """Read, validate and normalise one layer."""
    raw, issues = read_layer(source)
    checked, geom_issues = validate_layer(raw, source.layer, shown)
    normal, col_issues = normalise_columns(source.layer, checked, shown)
    return normal.reset_index(drop=True), issues + geom_issues + col_issues


def _frame_for(layers: Mapping[str, gpd.GeoDataFrame]) -> LocalFrame:
    areas = layers["patrol_areas"]
    basis = areas if len(areas) else pd.concat([g for g in layers.values() if len(g)])
    minx, miny, maxx, maxy = basis.total_bounds
    return LocalFrame.for_lonlat((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def load_site(path: Path | str | None = None, *, layer: str | None = None) -> Site:
    """Load and validate a site: the shipped Longyou site, a folder, a GeoPackage or one layer file.

    Raises a `geodata.errors.GeodataError` subclass naming the file, layer, feature and field
    for the first thing it cannot use; repairs and defaults end up in `Site.warnings`.
    """
    site = _load(path, layer, None)
    assert site is not None  # without an error list, _load raises instead of returning None
    return site


def check_site(
    path: Path | str | None = None, *, layer: str | None = None
) -> tuple[Site | None, list[GeodataError]]:
    """Like `load_site`, but reports every layer's first error instead of stopping at one.

    Returns the site (None if anything failed) and the errors, one per failing layer, so a person
    fixing files sees them all at once.

    >>> site, errors = check_site()
    >>> site is not None, errors
    (True, [])
    """
    errors: list[GeodataError] = []
    try:
        site = _load(path, layer, errors)
    except GeodataError as exc:
        errors.append(exc)
        site = None
    return (site if not errors else None), errors


def _load(
    path: Path | str | None, layer: str | None, errors: list[GeodataError] | None
) -> Site | None:
    """Load a site; given ``errors``, per-layer errors are collected there, not raised."""
    if path is None:
        if layer is not None:
            raise LayerError("layer= needs a path to a layer file", layer=layer)
        src = shipped_site_path()
        name = SHIPPED_SITE
    else:
        src = Path(path)
        name = src.stem if src.is_file() else src.name
    sources, issues = discover(src, layer)
    layers: dict[str, gpd.GeoDataFrame] = {}
    shown_paths: dict[str, str] = {}
    for source in sources:
        shown = str(source.path) if path is not None else source.path.name
        shown_paths[source.layer] = shown
        try:
            layers[source.layer], layer_issues = _load_layer(source, shown)
        except GeodataError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        issues.extend(layer_issues)
    if errors:
        return None  # cross-layer checks need every layer
    single = layer is not None or len(sources) == 1
    if "patrol_areas" not in layers and not single:
        raise LayerError(
            "no patrol_areas layer: a site needs at least one patrol area", path=str(src)
        )
    for missing in LAYERS:
        if missing not in layers and missing != "stations":
            layers[missing] = empty_layer(missing)
    if "stations" not in layers:
        layers["stations"] = _derive_stations(layers["points_of_interest"])
        if "points_of_interest" in shown_paths:
            shown_paths["stations"] = shown_paths["points_of_interest"]
        if len(layers["stations"]) == 0 and not single:
            issues.append(
                SiteIssue(
                    "warning",
                    f"no stations layer and no point with category {STATION_CATEGORY!r}: "
                    "the site has no default launch station",
                    layer="stations",
                )
            )
    ordered = {key: layers[key] for key in LAYERS}
    frame = _frame_for(ordered)
    issues.extend(check_consistency(ordered, frame, shown_paths))
    return Site(
        name=name,
        frame=frame,
        layers=MappingProxyType(ordered),
        warnings=tuple(issues),
    )
