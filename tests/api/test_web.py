"""The live map's files: the page, its modules, Leaflet from node_modules, local base tiles."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from groundstation.api import web
from groundstation.app import create_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def test_page_is_served_with_a_policy_that_keeps_it_on_the_station(station):
    """`/` is the page; its Content-Security-Policy allows this station and nothing else."""
    r = station.client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<div id="map"' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert "http" not in csp  # no outside origin is allowed


def test_page_references_only_local_files(station):
    """Every script and stylesheet the page loads is served by the station itself."""
    html = station.client.get("/").text
    for ref in ("/static/vendor/leaflet/leaflet.css", "/static/app/js/main.js"):
        assert ref in html
        assert station.client.get(ref).status_code == 200
    assert "http://" not in html
    assert "https://" not in html


def test_modules_are_served_as_javascript(station):
    """ES modules need a JavaScript content type or the browser refuses to run them."""
    r = station.client.get("/static/app/js/main.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    r = station.client.get("/static/vendor/leaflet/leaflet-src.esm.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "export" in r.text


def test_the_drawing_library_is_served_from_the_stations_own_files(station):
    """leaflet-geoman (the planner's drawing tools) comes from npm ci, not a CDN."""
    r = station.client.get("/static/vendor/geoman/leaflet-geoman.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "L.PM" in r.text
    css = station.client.get("/static/vendor/geoman/leaflet-geoman.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/static/app/../../api/web.py",
        "/static/app/%2e%2e/%2e%2e/app.py",
        "/static/app/js/nope.js",
        "/static/vendor/leaflet/../package.json",
        "/static/vendor/geoman/../package.json",
    ],
)
def test_paths_outside_the_static_folders_are_not_found(station, path):
    """A path that escapes the page's folders, or names no file, is a 404."""
    assert station.client.get(path).status_code == 404


def test_missing_leaflet_gives_a_page_that_says_run_make_setup(station, monkeypatch, tmp_path):
    """Without `npm ci` the station answers 503 with the fix, not a blank map."""
    monkeypatch.setattr(web, "LEAFLET_DIR", tmp_path / "nothing")
    r = station.client.get("/")
    assert r.status_code == 503
    assert "run <code>make setup</code>" in r.text
    r = station.client.get("/static/vendor/leaflet/leaflet.css")
    assert r.status_code == 503
    assert "make setup" in r.text


def test_config_without_tiles(station):
    """With no tiles configured the page draws the site's vector layers only, in zh-CN."""
    config = station.client.get("/web/config.json").json()
    assert config == {
        "default_lang": "zh-CN",
        "time_zone": "Asia/Shanghai",
        "tiles": None,
        "tiles_max_zoom": None,
        "tiles_error": None,
    }
    assert station.client.get("/tiles/12/3400/1700").status_code == 404


def _client(settings, tiles: Path) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"map_tiles": tiles})))


def test_tiles_from_a_folder(settings, tmp_path):
    """Tiles come from a z/x/y folder of the station's disk, with their image type."""
    folder = tmp_path / "tiles"
    (folder / "13" / "6808").mkdir(parents=True)
    (folder / "13" / "6808" / "3391.png").write_bytes(PNG)
    (folder / "12").mkdir()
    with _client(settings, folder) as client:
        config = client.get("/web/config.json").json()
        assert config["tiles"] == "/tiles/{z}/{x}/{y}"
        assert config["tiles_max_zoom"] == 13
        r = client.get("/tiles/13/6808/3391")
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/png"
        assert r.content == PNG
        assert client.get("/tiles/13/6808/3392").status_code == 404
        assert client.get("/tiles/13/99999/3391").status_code == 404  # not a tile of zoom 13


def test_tiles_from_mbtiles_flip_rows(settings, tmp_path):
    """An MBTiles file stores TMS rows: XYZ row y is read from row 2^z - 1 - y."""
    path = tmp_path / "longyou.mbtiles"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)"
        )
        conn.execute("INSERT INTO tiles VALUES (3, 6, 2, ?)", (JPEG,))  # XYZ y = 7 - 2 = 5
    with _client(settings, path) as client:
        assert client.get("/web/config.json").json()["tiles_max_zoom"] == 3
        r = client.get("/tiles/3/6/5")
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/jpeg"
        assert client.get("/tiles/3/6/2").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mbtiles", None, "no such file or folder"),
        ("tiles.zip", b"PK", "expected a z/x/y tile folder or an .mbtiles file"),
        ("broken.mbtiles", b"this is not sqlite at all, just text" * 4, "not a readable MBTiles"),
    ],
)
def test_bad_tile_settings_are_explained(settings, tmp_path, name, content, message):
    """A tiles setting that cannot be used is reported to the page; the map still works."""
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with _client(settings, path) as client:
        config = client.get("/web/config.json").json()
        assert config["tiles"] is None
        assert message in config["tiles_error"]
        assert client.get("/").status_code == 200
        assert client.get("/tiles/1/0/0").status_code == 404


def test_api_docs_are_served_from_the_station(station):
    """/docs names only the station's own copies of Swagger UI (no CDN), and they are served."""
    import re

    r = station.client.get("/docs")
    assert r.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
    urls += re.findall(r"""url:\s*["']([^"']+)["']""", r.text)
    assert urls, r.text
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "cdn" not in r.text.lower()
    for url in urls:
        if url.startswith("/static/vendor/swagger-ui/"):
            asset = station.client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["content-type"].split(";")[0] in (
                "text/javascript",
                "text/css",
                "image/png",
            ), url
    assert station.client.get("/openapi.json").status_code == 200
    assert station.client.get("/docs/oauth2-redirect").status_code == 200
    assert station.client.get("/redoc").status_code == 404
