"""The five site layers: names, geometry types, required properties and normalised columns.

The values here are the contract other packages rely on; `geodata.normalise` applies them.

>>> normalise_restriction("no_fly_without_ATC_approval")
'no_fly'
>>> normalise_restriction("keep_out_50m")
'keep_out'
>>> kind_for_zone("water_surface"), kind_for_zone("shore_band"), kind_for_zone("orchard")
('water', 'shore', 'other')
>>> default_priority("swimming_drowning_risk"), default_priority("settlement")
(5, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd

LAYERS = ("patrol_areas", "no_fly_zones", "points_of_interest", "hotspot_zones", "stations")

POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
POINTS = frozenset({"Point"})

KINDS = ("water", "shore", "patrol_zone", "forest", "other")
RESTRICTIONS = ("no_fly", "restricted", "keep_out")
HARD_RESTRICTIONS = frozenset({"no_fly"})

DEFAULT_PRIORITY = {
    "swimming_drowning_risk": 5,
    "river_outfall": 4,
    "fishing_spot": 3,
    "forest_fire_risk": 4,
}
STATION_CATEGORY = "patrol_station"

# Other spellings of layer names accepted for files and GeoPackage layers.
LAYER_ALIASES = {
    "patrol_area": "patrol_areas",
    "patrol_zones": "patrol_areas",
    "areas": "patrol_areas",
    "no_fly_zone": "no_fly_zones",
    "no_fly": "no_fly_zones",
    "nofly": "no_fly_zones",
    "nfz": "no_fly_zones",
    "point_of_interest": "points_of_interest",
    "pois": "points_of_interest",
    "poi": "points_of_interest",
    "hotspot_zone": "hotspot_zones",
    "hotspots": "hotspot_zones",
    "station": "stations",
    "launch_points": "stations",
}

# Columns whose names the Shapefile format cuts to 10 characters; restored on load.
KNOWN_COLUMNS = (
    "name",
    "kind",
    "zone_id",
    "category",
    "restriction",
    "restriction_raw",
    "min_alt_m",
    "max_alt_m",
    "priority",
    "hotspot_id",
    "loiter_s",
    "data_status",
    "synthetic",
    "source",
)


_COMMON = ("name", "data_status", "synthetic", "source")
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "patrol_areas": ("name", "kind", "zone_id", *_COMMON[1:]),
    "no_fly_zones": (
        "name",
        "restriction",
        "restriction_raw",
        "min_alt_m",
        "max_alt_m",
        *_COMMON[1:],
    ),
    "points_of_interest": ("name", "category", "priority", "hotspot_id", "loiter_s", *_COMMON[1:]),
    "hotspot_zones": ("name", "category", "hotspot_id", *_COMMON[1:]),
    "stations": _COMMON,
}
"""The normalised columns of each layer, in the order they come first in the GeoDataFrame."""
TEXT_COLUMNS = (
    "name",
    "kind",
    "zone_id",
    "category",
    "restriction",
    "restriction_raw",
    "hotspot_id",
    "data_status",
    "source",
)


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """What a layer must contain: its geometry types and required properties."""

    name: str
    geom_types: frozenset[str]
    required: tuple[str, ...]


SPECS: dict[str, LayerSpec] = {
    "patrol_areas": LayerSpec("patrol_areas", POLYGONAL, ("name",)),
    "no_fly_zones": LayerSpec("no_fly_zones", POLYGONAL, ("name", "restriction")),
    "points_of_interest": LayerSpec("points_of_interest", POINTS, ("name", "category")),
    "hotspot_zones": LayerSpec("hotspot_zones", POLYGONAL, ("name", "category")),
    "stations": LayerSpec("stations", POINTS, ("name",)),
}


def canonical_layer_name(name: str) -> str | None:
    """The layer a file or GeoPackage layer called ``name`` holds, or None if it is not a layer.

    >>> canonical_layer_name("Patrol_Area"), canonical_layer_name("qu_river_centerline")
    ('patrol_areas', None)
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in LAYERS:
        return key
    return LAYER_ALIASES.get(key)


def normalise_restriction(raw: str) -> str | None:
    """The normalised restriction for a raw value, or None if it is not recognised."""
    key = raw.strip().lower().replace("-", "_").replace(" ", "_")
    for prefix, value in (
        ("no_fly", "no_fly"),
        ("nofly", "no_fly"),
        ("prohibited", "no_fly"),
        ("restricted", "restricted"),
        ("keep_out", "keep_out"),
        ("keepout", "keep_out"),
    ):
        if key.startswith(prefix):
            return value
    return None


def kind_for_zone(zone: str) -> str:
    """The kind of a patrol area from its zone id or declared kind (``other`` when unknown)."""
    key = zone.strip().lower()
    for needle, kind in (
        ("water", "water"),
        ("river", "water"),
        ("lake", "water"),
        ("shore", "shore"),
        ("bank", "shore"),
        ("patrol", "patrol_zone"),
        ("forest", "forest"),
        ("wood", "forest"),
    ):
        if needle in key:
            return kind
    return "other"


def default_priority(category: str) -> int:
    """The priority a point of interest gets when its file gives none (5 highest)."""
    return DEFAULT_PRIORITY.get(category, 1)


def empty_layer(layer: str) -> gpd.GeoDataFrame:
    """An empty layer with the normalised columns, in WGS84."""
    columns: dict[str, list[Any]] = {col: [] for col in LAYER_COLUMNS[layer]}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
