"""The site and its layers as GeoJSON, from the packaged Longyou site."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from groundstation.app import create_app

from .conftest import ADMIN


def test_site_summary_describes_longyou(station, officer):
    """The packaged site reports its name, metric CRS, station and layers."""
    r = station.client.get("/api/sites/current", headers=officer)
    assert r.status_code == 200, r.text
    site = r.json()
    assert site["name"] == "longyou"
    assert site["crs"] == "EPSG:32650"
    west, south, east, north = site["bbox"]
    assert west < site["station_lon_deg"] < east
    assert south < site["station_lat_deg"] < north
    assert {layer["name"] for layer in site["layers"]} >= {"patrol_areas", "no_fly_zones"}


def test_layer_is_geojson_in_lon_lat(station, officer):
    """A layer comes back as a FeatureCollection whose coordinates are lon, lat near Longyou."""
    site = station.client.get("/api/sites/current", headers=officer).json()
    url = next(layer["url"] for layer in site["layers"] if layer["name"] == "patrol_areas")
    r = station.client.get(url, headers=officer)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = json.loads(r.content)
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == next(
        layer["features"] for layer in site["layers"] if layer["name"] == "patrol_areas"
    )
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    lon, lat = ring[0][:2] if isinstance(ring[0][0], float) else ring[0][0][:2]
    assert 118.5 < lon < 120.0
    assert 28.5 < lat < 29.5


def test_unknown_layer_is_404(station, officer):
    """Asking for a layer the site does not have answers 404."""
    assert station.client.get("/api/sites/current/layers/roads", headers=officer).status_code == 404


def test_site_is_recorded_once(station, officer):
    """Reading the site twice keeps one row with a stable id."""
    a = station.client.get("/api/sites/current", headers=officer).json()
    b = station.client.get("/api/sites/current", headers=officer).json()
    assert a["id"] == b["id"]


def test_bad_site_path_gives_clear_500(settings, tmp_path):
    """A site path that does not exist yields a 500 naming the configured site, not a traceback."""
    bad = settings.model_copy(update={"site": tmp_path / "nowhere"})
    with TestClient(create_app(bad), raise_server_exceptions=False) as client:
        login = {"username": ADMIN[0], "password": ADMIN[1]}
        token = client.post("/api/auth/login", json=login).json()["access_token"]
        r = client.get("/api/sites/current", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500
    assert "site" in r.json()["detail"]
    assert r.json()["error"] == "ConfigError"


def test_the_site_names_the_rally_points_on_land_only(settings):
    """Rally points from the safety settings come with the site for the map; one on the water
    (refused by the safety watch) is left out."""
    on_land, on_water = (119.23, 29.070), (119.23, 29.064)  # as in safety.site_facts' doctest
    safety = settings.safety.model_copy(update={"rally_points": [on_land, on_water]})
    with TestClient(create_app(settings.model_copy(update={"safety": safety}))) as client:
        r = client.post("/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        site = client.get("/api/sites/current", headers=auth).json()
    assert site["rally_points"] == [list(on_land)]
