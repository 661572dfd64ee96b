"""Reading and writing site layers: a folder of files, a GeoPackage, Shapefiles, KML.

A site source is one of:

- a folder holding one file per layer, named after the layer (``no_fly_zones.geojson``,
  ``patrol_area.shp``, ``stations.kml`` ...; see `geodata.schema.LAYER_ALIASES`),
- a GeoPackage (or multi-folder KML) whose layers are named after the site layers,
- one layer file, with the layer it holds given explicitly or taken from the file name.

Everything is read through pyogrio and returned in WGS84, 2-D.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pyogrio
import shapely

from geodata.errors import LayerError, SiteFileError, SiteIssue
from geodata.schema import LAYERS, canonical_layer_name

if TYPE_CHECKING:
    from geodata.site import Site

LAYER_SUFFIXES = (".geojson", ".json", ".shp", ".kml", ".gpkg", ".fgb")
CONTAINER_SUFFIXES = (".gpkg", ".kml")
SINGLE_LAYER_SUFFIXES = (".geojson", ".json", ".shp", ".fgb")
MAX_FILE_BYTES = 256 * 1024 * 1024
"""Files larger than this are refused before reading (a site's layers are a few MB at most)."""

WRITE_DRIVERS = {"GPKG": ".gpkg", "GeoJSON": ".geojson", "ESRI Shapefile": ".shp", "KML": ".kml"}


@dataclass(frozen=True, slots=True)
class LayerSource:
    """Where one site layer is read from: a file and, in a container, the layer inside it."""

    layer: str
    path: Path
    source_layer: str | None = None


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SiteFileError(
            f"file is {size / 1e6:.0f} MB, more than the {MAX_FILE_BYTES / 1e6:.0f} MB limit; "
            "simplify or split it first",
            path=path,
        )


def _list_layers(path: Path) -> list[str]:
    try:
        return [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several DataSourceError types, all "cannot read"
        raise SiteFileError(f"cannot read: {exc}", path=path) from exc


def discover(path: Path, layer: str | None = None) -> tuple[list[LayerSource], list[SiteIssue]]:
    """Find the site layers in a folder, a container file, or one layer file."""
    issues: list[SiteIssue] = []
    if layer is not None and layer not in LAYERS:
        raise LayerError(f"unknown layer name; expected one of {', '.join(LAYERS)}", layer=layer)
    if not path.exists():
        raise SiteFileError("no such file or folder", path=path)
    if path.is_dir():
        if layer is not None:
            raise SiteFileError("--layer applies to one layer file, not a folder", path=path)
        return _discover_folder(path, issues), issues
    _check_size(path)
    stem_layer = canonical_layer_name(path.stem)
    if path.suffix.lower() in SINGLE_LAYER_SUFFIXES and (layer or stem_layer):
        # One layer per file: no need to parse it twice just to list its layers.
        return [LayerSource(layer or str(stem_layer), path, None)], issues
    names = _list_layers(path)
    if layer is not None:
        if len(names) == 1:
            return [LayerSource(layer, path, names[0])], issues
        for name in names:
            if canonical_layer_name(name) == layer:
                return [LayerSource(layer, path, name)], issues
        raise SiteFileError(
            f"file has layers {', '.join(names)}; none is {layer!r}", path=path, layer=layer
        )
    matched = [LayerSource(c, path, n) for n in names if (c := canonical_layer_name(n))]
    if matched and (len(names) > 1 or path.suffix.lower() in CONTAINER_SUFFIXES):
        return _dedupe(matched, issues), issues
    if stem_layer is not None and len(names) == 1:
        return [LayerSource(stem_layer, path, names[0])], issues
    if matched:
        return _dedupe(matched, issues), issues
    raise SiteFileError(
        f"cannot tell which layer this file holds (its layers: {', '.join(names)}); "
        f"name it after a layer or pass --layer {'|'.join(LAYERS)}",
        path=path,
    )


def _dedupe(sources: list[LayerSource], issues: list[SiteIssue]) -> list[LayerSource]:
    seen: dict[str, LayerSource] = {}
    for src in sources:
        if src.layer in seen:
            raise SiteFileError(
                f"two sources for layer {src.layer}: {seen[src.layer].path.name}"
                f"{':' + str(seen[src.layer].source_layer) if seen[src.layer].source_layer else ''}"
                f" and {src.path.name}{':' + str(src.source_layer) if src.source_layer else ''}",
                path=src.path,
                layer=src.layer,
            )
        seen[src.layer] = src
    return list(seen.values())


def _discover_folder(folder: Path, issues: list[SiteIssue]) -> list[LayerSource]:
    sources: list[LayerSource] = []
    for file in sorted(folder.iterdir()):
        if not file.is_file() or file.suffix.lower() not in LAYER_SUFFIXES:
            continue
        layer = canonical_layer_name(file.stem)
        if layer is None:
            issues.append(SiteIssue("info", "not a site layer name, ignored", path=str(file.name)))
            continue
        _check_size(file)
        sources.append(LayerSource(layer, file, None))
    if not sources:
        raise SiteFileError(
            f"no layer files found (expected files named {', '.join(LAYERS)} "
            f"with one of {', '.join(LAYER_SUFFIXES)})",
            path=folder,
        )
    return _dedupe(sources, issues)


def read_layer(source: LayerSource) -> tuple[gpd.GeoDataFrame, list[SiteIssue]]:
    """Read one layer into a 2-D WGS84 GeoDataFrame (no validation beyond the CRS)."""
    path = str(source.path)
    issues: list[SiteIssue] = []
    try:
        # GDAL's and pyogrio's warnings become the site's warnings, naming the file, instead of
        # leaking onto the console as Python warnings.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = gpd.read_file(source.path, layer=source.source_layer, engine="pyogrio")
        issues.extend(
            SiteIssue("warning", f"reader: {w.message}", path=path, layer=source.layer)
            for w in caught
        )
    except Exception as exc:  # any reader failure means the same thing to the user
        if "too complex/large" in str(exc):  # GDAL's GeoJSON reader caps one feature's size
            raise SiteFileError(
                "a feature is too large for the GeoJSON reader (millions of vertices?); "
                "simplify it in a GIS first or store the layer as a GeoPackage",
                path=path,
                layer=source.layer,
            ) from exc
        raise SiteFileError(f"cannot read: {exc}", path=path, layer=source.layer) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise LayerError("file has no geometry column", path=path, layer=source.layer)
    if len(gdf) and shapely.has_z(gdf.geometry.to_numpy()).any():
        gdf = gdf.set_geometry(
            gpd.GeoSeries(shapely.force_2d(gdf.geometry.to_numpy()), crs=gdf.crs)
        )
    if gdf.crs is None:
        issues.append(
            SiteIssue(
                "warning",
                "no CRS in the file; assuming WGS84 lon/lat (EPSG:4326)",
                path=path,
                layer=source.layer,
            )
        )
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        try:
            gdf = gdf.to_crs(4326)
        except Exception as exc:  # pyproj raises CRSError / ProjError for unusable CRSs
            raise LayerError(
                f"cannot reproject from {gdf.crs.name} to WGS84: {exc}",
                path=path,
                layer=source.layer,
            ) from exc
    return gdf, issues


def write_site(site: Site, target: Path | str, driver: str = "GPKG") -> Path:
    """Write a site's non-empty layers: one GeoPackage, or a folder of GeoJSON/Shapefile/KML files.

    Layers are written in WGS84 with their normalised columns, so `load_site` reads back the same
    site.
    """
    if driver not in WRITE_DRIVERS:
        raise ValueError(f"driver must be one of {', '.join(WRITE_DRIVERS)}")
    target = Path(target)
    for name in LAYERS:
        gdf = site.layers[name]
        if len(gdf) == 0:
            continue
        if driver == "GPKG":
            gdf.to_file(target, layer=name, driver="GPKG", engine="pyogrio")
        else:
            target.mkdir(parents=True, exist_ok=True)
            out = target / f"{name}{WRITE_DRIVERS[driver]}"
            gdf.to_file(out, driver=driver, engine="pyogrio")
    return target
