"""The live map's files: the page, its modules, Leaflet from node_modules (base maps:
test_basemaps.py)."""

from __future__ import annotations

import pytest

from groundstation.api import web


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


def test_config_before_login(station):
    """Before login the page learns its language and time zone (base maps come after login)."""
    config = station.client.get("/web/config.json").json()
    assert config == {"default_lang": "zh-CN", "time_zone": "Asia/Shanghai"}


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
