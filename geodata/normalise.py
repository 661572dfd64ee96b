"""Normalising a layer's properties: required fields, defaults, the columns others rely on.

`normalise_columns` turns whatever a file calls its properties into the columns listed in
`geodata.schema.LAYER_COLUMNS` (``restriction`` from raw values, ``priority`` from the category,
``kind`` from the zone id ...), keeps the other properties, and fixes column types so every format
reads back the same. A missing or malformed property raises `LayerError` naming feature and field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.errors import LayerError, SiteIssue
from geodata.schema import (
    KINDS,
    KNOWN_COLUMNS,
    LAYER_COLUMNS,
    RESTRICTIONS,
    SPECS,
    TEXT_COLUMNS,
    LayerSpec,
    default_priority,
    kind_for_zone,
    normalise_restriction,
)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    if isinstance(value, list | dict | tuple | np.ndarray):
        return False
    return bool(pd.isna(value))


def _plain(value: Any) -> Any:
    """Nested properties (lists, dicts) as JSON text, so every format can store them."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _as_bool(value: Any) -> bool:
    if _missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y", "t"}
    return bool(value)


def _restore_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Undo Shapefile's 10-character names and KML's capitalised ``Name``."""
    renames: dict[str, str] = {}
    present = set(gdf.columns)
    for col in gdf.columns:
        if col == gdf.geometry.name or col in KNOWN_COLUMNS:
            continue
        for known in KNOWN_COLUMNS:
            if known in present or known in renames.values():
                continue
            low = col.lower()
            cut = len(col) == 10 and known.startswith(low)
            # GDAL launders a second name that collides after the cut to its first 8 chars + "_1".
            laundered = len(col) == 10 and low[8:9] == "_" and known.startswith(low[:8])
            if low == known or cut or (laundered and len(known) > 10):
                renames[col] = known
                break
    return gdf.rename(columns=renames) if renames else gdf


def _require(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: str | None) -> None:
    for field in spec.required:
        if field not in gdf.columns:
            raise LayerError(
                "missing required property (no feature has it)",
                path=path,
                layer=spec.name,
                field=field,
            )
        for i, value in enumerate(gdf[field]):
            if _missing(value):
                raise LayerError(
                    "missing required property", path=path, layer=spec.name, feature=i, field=field
                )


def _column(gdf: gpd.GeoDataFrame, name: str, default: Any) -> list[Any]:
    if name not in gdf.columns:
        return [default] * len(gdf)
    return [default if _missing(v) else v for v in gdf[name]]


def _optional_number(
    gdf: gpd.GeoDataFrame, name: str, layer: str, path: str | None, *, minimum: float = 0.0
) -> list[float]:
    out: list[float] = []
    for i, value in enumerate(_column(gdf, name, math.nan)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise LayerError(
                f"not a number: {value!r}", path=path, layer=layer, feature=i, field=name
            ) from None
        if not math.isnan(number) and number < minimum:
            raise LayerError(
                f"must be >= {minimum:g}, got {number:g}",
                path=path,
                layer=layer,
                feature=i,
                field=name,
            )
        out.append(number)
    return out


def _patrol_areas(gdf: gpd.GeoDataFrame, path: str | None, issues: list[SiteIssue]) -> None:
    zone_src = "zone_id" if "zone_id" in gdf.columns else "zone"
    zones = _column(gdf, zone_src, None)
    gdf["zone_id"] = [None if z is None else str(z) for z in zones]
    kinds = []
    for i, (declared, zone) in enumerate(zip(_column(gdf, "kind", None), zones, strict=True)):
        if declared is not None:
            kind = str(declared).strip().lower()
            if kind not in KINDS:
                kind = kind_for_zone(kind)
                issues.append(
                    SiteIssue(
                        "warning",
                        f"unknown kind {declared!r}, using {kind!r} (one of {', '.join(KINDS)})",
                        path=path,
                        layer="patrol_areas",
                        feature=i,
                        field="kind",
                    )
                )
        else:
            kind = kind_for_zone(str(zone)) if zone is not None else "other"
        kinds.append(kind)
    gdf["kind"] = kinds
    seen: dict[str, int] = {}
    for i, (name, zone) in enumerate(zip(gdf["name"], gdf["zone_id"], strict=True)):
        for key, field in ((name, "name"), (zone, "zone_id")):
            if key is None:
                continue
            tag = f"{field}={key}"
            if tag in seen:
                issues.append(
                    SiteIssue(
                        "warning",
                        f"same {field} {key!r} as feature {seen[tag]}: area() returns the first",
                        path=path,
                        layer="patrol_areas",
                        feature=i,
                        field=field,
                    )
                )
            else:
                seen[tag] = i


def _no_fly_zones(gdf: gpd.GeoDataFrame, path: str | None, issues: list[SiteIssue]) -> None:
    raws = [str(v) for v in gdf["restriction"]]
    if "restriction_raw" in gdf.columns:  # a file we wrote ourselves: keep the original raw value
        kept = zip(gdf["restriction_raw"], raws, strict=True)
        raws = [v if _missing(r) else str(r) for r, v in kept]
    normalised = []
    for i, raw in enumerate(gdf["restriction"]):
        value = normalise_restriction(str(raw))
        if value is None:
            raise LayerError(
                f"unknown restriction {raw!r}; expected one of {', '.join(RESTRICTIONS)} "
                "(or a value starting with one of them)",
                path=path,
                layer="no_fly_zones",
                feature=i,
                field="restriction",
            )
        normalised.append(value)
    gdf["restriction_raw"] = raws
    gdf["restriction"] = normalised
    low = _optional_number(gdf, "min_alt_m", "no_fly_zones", path)
    high = _optional_number(gdf, "max_alt_m", "no_fly_zones", path)
    for i, (lo, hi) in enumerate(zip(low, high, strict=True)):
        if not math.isnan(lo) and not math.isnan(hi) and lo >= hi:
            raise LayerError(
                f"altitude band is empty: min_alt_m {lo:g} >= max_alt_m {hi:g}",
                path=path,
                layer="no_fly_zones",
                feature=i,
                field="max_alt_m",
            )
    gdf["min_alt_m"] = low
    gdf["max_alt_m"] = high


def _points_of_interest(gdf: gpd.GeoDataFrame, path: str | None, issues: list[SiteIssue]) -> None:
    gdf["category"] = [str(c).strip() for c in gdf["category"]]
    priorities = []
    for i, (value, category) in enumerate(
        zip(_column(gdf, "priority", None), gdf["category"], strict=True)
    ):
        if value is None:
            priorities.append(default_priority(category))
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isnan(number) or number != int(number) or not 1 <= number <= 5:
            raise LayerError(
                f"priority must be an integer 1..5 (5 highest), got {value!r}",
                path=path,
                layer="points_of_interest",
                feature=i,
                field="priority",
            )
        priorities.append(int(number))
    gdf["priority"] = pd.Series(priorities, index=gdf.index, dtype="int64")
    gdf["hotspot_id"] = [None if v is None else str(v) for v in _column(gdf, "hotspot_id", None)]
    gdf["loiter_s"] = _optional_number(gdf, "loiter_s", "points_of_interest", path)


def _hotspot_zones(gdf: gpd.GeoDataFrame, path: str | None, issues: list[SiteIssue]) -> None:
    gdf["category"] = [str(c).strip() for c in gdf["category"]]
    gdf["hotspot_id"] = [None if v is None else str(v) for v in _column(gdf, "hotspot_id", None)]


def _stations(gdf: gpd.GeoDataFrame, path: str | None, issues: list[SiteIssue]) -> None:
    return None


_PER_LAYER: dict[str, Callable[[gpd.GeoDataFrame, str | None, list[SiteIssue]], None]] = {
    "patrol_areas": _patrol_areas,
    "no_fly_zones": _no_fly_zones,
    "points_of_interest": _points_of_interest,
    "hotspot_zones": _hotspot_zones,
    "stations": _stations,
}


def normalise_columns(
    layer: str, gdf: gpd.GeoDataFrame, path: str | None = None
) -> tuple[gpd.GeoDataFrame, list[SiteIssue]]:
    """Check a layer's required properties and add its normalised columns (returns a copy).

    Raises `LayerError` naming the feature and field for a missing or malformed property.
    """
    spec = SPECS[layer]
    gdf = _restore_columns(gdf.copy())
    geom = gdf.geometry.name
    for col in gdf.columns:
        if col != geom and gdf[col].dtype == object:
            gdf[col] = pd.Series([_plain(v) for v in gdf[col]], index=gdf.index).infer_objects()
    _require(gdf, spec, path)
    issues: list[SiteIssue] = []
    gdf["name"] = [str(v).strip() for v in gdf["name"]]
    gdf["data_status"] = [str(v) for v in _column(gdf, "data_status", "unspecified")]
    gdf["synthetic"] = pd.Series(
        [_as_bool(v) for v in _column(gdf, "synthetic", False)], index=gdf.index, dtype=bool
    )
    gdf["source"] = [str(v) for v in _column(gdf, "source", "")]
    _PER_LAYER[layer](gdf, path, issues)
    for col in gdf.columns:  # formats differ in integer and float widths; use one
        if col != geom and pd.api.types.is_integer_dtype(gdf[col].dtype):
            gdf[col] = gdf[col].astype("int64")
        elif col != geom and pd.api.types.is_float_dtype(gdf[col].dtype):
            gdf[col] = gdf[col].astype("float64")
    for col in TEXT_COLUMNS:
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("str")  # missing values stay NaN
    first = [c for c in LAYER_COLUMNS[layer] if c in gdf.columns]
    # Extra properties no feature of this layer has carry nothing (and lose their type on write).
    rest = [c for c in gdf.columns if c not in first and c != geom and gdf[c].notna().any()]
    return gdf[[*first, *rest, geom]], issues
