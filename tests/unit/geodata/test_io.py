"""Sites read from and written to GeoJSON folders, GeoPackage, Shapefile and KML."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from geopandas.testing import assert_geodataframe_equal

from geodata.errors import SiteFileError
from geodata.io import write_site
from geodata.site import LAYERS, Site, load_site


def test_geojson_to_gpkg_round_trip_gives_the_same_site(longyou: Site, tmp_path: Path) -> None:
    """The shipped GeoJSON site written to one GeoPackage loads back identical, layer by layer."""
    gpkg = write_site(longyou, tmp_path / "longyou.gpkg", driver="GPKG")
    back = load_site(gpkg)
    assert back.frame.epsg == longyou.frame.epsg
    for name in LAYERS:
        assert_geodataframe_equal(back.layers[name], longyou.layers[name])
    assert back.station.equals(longyou.station)


def test_geojson_folder_round_trip(longyou: Site, tmp_path: Path) -> None:
    """A site written as a GeoJSON folder (with an explicit stations file) loads back the same."""
    folder = write_site(longyou, tmp_path / "site", driver="GeoJSON")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.geojson" for n in LAYERS)
    back = load_site(folder)
    for name in LAYERS:
        assert_geodataframe_equal(back.layers[name], longyou.layers[name])


def test_shapefile_round_trip_restores_short_column_names(longyou: Site, tmp_path: Path) -> None:
    """Shapefile's 10-character column names come back as the normalised names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL warns about every truncated name and long value
        folder = write_site(longyou, tmp_path / "shp", driver="ESRI Shapefile")
    back = load_site(folder)
    nfz = back.layers["no_fly_zones"]
    assert list(nfz["restriction_raw"]) == list(longyou.layers["no_fly_zones"]["restriction_raw"])
    assert list(nfz["data_status"]) == list(longyou.layers["no_fly_zones"]["data_status"])
    for zone in ("water_surface", "patrol_zone", "shore_band"):
        assert back.area(zone).area == pytest.approx(longyou.area(zone).area, rel=1e-6)


def test_kml_round_trip(longyou: Site, tmp_path: Path) -> None:
    """A site written as KML files loads back with the same features and properties."""
    folder = write_site(longyou, tmp_path / "kml", driver="KML")
    back = load_site(folder)
    for name in LAYERS:
        a, b = longyou.layers[name], back.layers[name]
        assert list(b["name"]) == list(a["name"]), name
        assert list(b["synthetic"]) == list(a["synthetic"]), name
        assert b.geometry.geom_equals_exact(a.geometry, tolerance=1e-9).all(), name
    assert list(back.layers["no_fly_zones"]["restriction"]) == list(
        longyou.layers["no_fly_zones"]["restriction"]
    )


def test_projected_gpkg_is_reprojected(longyou: Site, tmp_path: Path) -> None:
    """A GeoPackage layer stored in UTM metres (with its CRS) loads in WGS84 unchanged."""
    path = tmp_path / "utm.gpkg"
    longyou.layer("patrol_areas", local=True).to_file(path, layer="patrol_areas", driver="GPKG")
    back = load_site(path)
    assert back.layers["patrol_areas"].crs.to_epsg() == 4326
    assert back.area("patrol_zone").area == pytest.approx(
        longyou.area("patrol_zone").area, rel=1e-6
    )


def test_single_layer_file_with_layer_option(longyou: Site, tmp_path: Path) -> None:
    """One layer file named anything loads as the layer --layer names; the rest are empty."""
    path = tmp_path / "zones_from_atc.geojson"
    longyou.layers["no_fly_zones"].to_file(path, driver="GeoJSON")
    site = load_site(path, layer="no_fly_zones")
    assert len(site.layers["no_fly_zones"]) == 6
    assert len(site.layers["patrol_areas"]) == 0
    assert len(site.layers["stations"]) == 0


def test_gpkg_layer_option_picks_one_layer(longyou: Site, tmp_path: Path) -> None:
    """--layer on a GeoPackage with several layers loads only that layer."""
    gpkg = write_site(longyou, tmp_path / "site.gpkg")
    site = load_site(gpkg, layer="hotspot_zones")
    assert len(site.layers["hotspot_zones"]) == 8
    assert len(site.layers["no_fly_zones"]) == 0


def test_two_files_for_one_layer_are_rejected(longyou: Site, tmp_path: Path) -> None:
    """A folder with both patrol_area.geojson and patrol_areas.geojson is ambiguous."""
    longyou.layers["patrol_areas"].to_file(tmp_path / "patrol_area.geojson", driver="GeoJSON")
    longyou.layers["patrol_areas"].to_file(tmp_path / "patrol_areas.geojson", driver="GeoJSON")
    with pytest.raises(SiteFileError, match="two sources for layer patrol_areas"):
        load_site(tmp_path)


def test_folder_without_layer_files_is_rejected(tmp_path: Path) -> None:
    """A folder holding no file named after a layer is refused, listing the expected names."""
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(SiteFileError, match="no layer files found"):
        load_site(tmp_path)


def test_oversized_file_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    """A file above the size limit is refused without being parsed."""
    from geodata import io

    monkeypatch.setattr(io, "MAX_FILE_BYTES", 100)
    path = tmp_path / "patrol_areas.geojson"
    path.write_text("x" * 200)  # not even JSON: proves it is never parsed
    with pytest.raises(SiteFileError, match="MB limit"):
        load_site(path)


def test_unknown_write_driver_is_rejected(longyou: Site, tmp_path: Path) -> None:
    """write_site only accepts the drivers it can read back."""
    with pytest.raises(ValueError, match="driver must be one of"):
        write_site(longyou, tmp_path / "x", driver="CSV")


def test_kml_drawn_by_a_pilot_loads(bad: Path) -> None:
    """A KML file with one folder per layer (as Google Earth saves it) loads as a site."""
    site = load_site(bad / "pilot_site.kml")
    assert len(site.layers["patrol_areas"]) == 1
    assert site.layers["patrol_areas"]["name"].iloc[0] == "North bank reach"
    assert list(site.layers["no_fly_zones"]["restriction"]) == ["restricted"]
    assert (site.station.x, site.station.y) == (119.15, 29.05)
    assert not site.layers["patrol_areas"].geometry.has_z.any()


def test_geojson_with_declared_utm_crs_is_reprojected(longyou: Site, tmp_path: Path) -> None:
    """A legacy GeoJSON declaring EPSG:32650 in its crs member is read as metres, not rejected."""
    path = tmp_path / "patrol_areas.geojson"
    longyou.layer("patrol_areas", local=True).to_file(path, driver="GeoJSON")
    assert "32650" in path.read_text()[:400]
    back = load_site(path)
    assert back.area("water_surface").area == pytest.approx(
        longyou.area("water_surface").area, rel=1e-6
    )


def test_reader_warnings_become_site_warnings_not_console_noise(tmp_path, monkeypatch) -> None:
    """A warning raised while reading a layer (GDAL via pyogrio) is a site warning naming the file.

    Such warnings used to leak onto the console as Python warnings, unattached to the file.
    """
    import warnings

    import geopandas as gpd

    from geodata.site import load_site

    path = tmp_path / "stations.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"s"},'
        '"geometry":{"type":"Point","coordinates":[119.18,29.05]}}]}'
    )
    real_read = gpd.read_file

    def noisy_read(*args, **kwargs):
        warnings.warn("GDAL said something about this file", RuntimeWarning, stacklevel=1)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(gpd, "read_file", noisy_read)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping load_site fails the test
        site = load_site(path)
    (issue,) = [w for w in site.warnings if "reader:" in w.message]
    assert issue.message == "reader: GDAL said something about this file"
    assert str(issue.path).endswith("stations.geojson")
