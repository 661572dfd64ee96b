"""Base maps through the API: the list the page offers (no key in it), tiles from a folder,
MBTiles and a PMTiles file made here, and internet tiles fetched by the station from a
loopback server standing in for one."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from pmtiles.tile import TileType

from groundstation.app import create_app
from groundstation.web.basemap_settings import BasemapSettings, BasemapSource
from groundstation.web.tiles import MVT
from tests.basemap_files import LONGYOU_BOX, png, tile_server, tile_xy, vector_tile, write_pmtiles

from .conftest import ADMIN

PNG = png((32, 160, 64))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
KEY = "0123456789abcdef0123456789abcdef"


def _client(settings, **update: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=update)))


def _list(client: TestClient) -> Any:
    r = client.post("/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return client.get("/api/map/basemaps", headers=headers).json()


def test_no_base_map_by_default(station, admin):
    """A station with nothing configured offers no base map (the page draws the site on grey)
    and serves no tile."""
    r = station.client.get("/api/map/basemaps", headers=admin)
    assert r.json() == {"data": [], "default": None, "problems": []}
    assert station.client.get("/api/map/basemaps").status_code == 401
    assert station.client.get("/tiles/local/0/12/3400/1700").status_code == 404


def test_tiles_from_a_folder(settings, tmp_path):
    """`map_tiles` as a z/x/y folder is the `local` base map, served with its image type."""
    folder = tmp_path / "tiles"
    (folder / "13" / "6808").mkdir(parents=True)
    (folder / "13" / "6808" / "3391.png").write_bytes(PNG)
    with _client(settings, map_tiles=folder) as client:
        (local,) = _list(client)["data"]
        assert local["id"] == "local"
        assert local["format"] == "raster"
        assert local["max_zoom"] == 13
        assert local["tiles"] == ["/tiles/local/0/{z}/{x}/{y}"]
        r = client.get("/tiles/local/0/13/6808/3391")
        assert (r.status_code, r.headers["content-type"], r.content) == (200, "image/png", PNG)
        assert client.get("/tiles/local/0/13/6808/3392").status_code == 404
        assert client.get("/tiles/local/0/13/99999/3391").status_code == 404
        assert client.get("/tiles/local/1/13/6808/3391").status_code == 404  # no second layer
        assert client.get("/tiles/other/0/13/6808/3391").status_code == 404


def test_tiles_from_mbtiles_flip_rows(settings, tmp_path):
    """An MBTiles file stores TMS rows: XYZ row y is read from row 2^z - 1 - y."""
    path = tmp_path / "longyou.mbtiles"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)"
        )
        conn.execute("INSERT INTO tiles VALUES (3, 6, 2, ?)", (JPEG,))  # XYZ y = 7 - 2 = 5
    source = BasemapSource(id="county", name_zh="县影像", name_en="County imagery",
                           kind="mbtiles", path=path, attribution="龙游县")  # fmt: skip
    with _client(settings, basemap=BasemapSettings(sources=[source])) as client:
        (county,) = _list(client)["data"]
        assert (county["max_zoom"], county["attribution"]) == (3, "龙游县")
        r = client.get("/tiles/county/0/3/6/5")
        assert (r.status_code, r.headers["content-type"]) == (200, "image/jpeg")
        assert client.get("/tiles/county/0/3/6/2").status_code == 404


def test_vector_pmtiles_are_served_unzipped(settings, tmp_path):
    """A vector PMTiles file (gzipped tiles, as real ones are) is offered as `vector` with the
    credit its metadata carries; its tiles come unzipped as Mapbox Vector Tiles, and where it
    has none, an empty one (204)."""
    path = tmp_path / "longyou.pmtiles"
    credit = '<a href="https://www.openstreetmap.org/copyright">&copy; OpenStreetMap</a>'
    assert write_pmtiles(path, LONGYOU_BOX, range(10, 13), vector_tile(), attribution=credit) > 4
    with _client(settings, map_tiles=path) as client:
        (local,) = _list(client)["data"]
        assert (local["kind"], local["format"], local["max_zoom"]) == ("pmtiles", "vector", 12)
        assert local["attribution"] == "© OpenStreetMap"  # the file's own credit, as text
        x, y = tile_xy(119.18, 29.05, 12)
        r = client.get(f"/tiles/local/0/12/{x}/{y}")
        assert (r.status_code, r.headers["content-type"]) == (200, MVT)
        layers = mapbox_vector_tile.decode(r.content)
        assert set(layers) == {"earth", "water"}
        assert client.get("/tiles/local/0/12/0/0").status_code == 204


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mbtiles", None, "no such file or folder"),
        ("tiles.zip", b"PK", "expected a z/x/y tile folder, an .mbtiles or a .pmtiles file"),
        ("broken.mbtiles", b"this is not sqlite at all, just text" * 4, "not a readable MBTiles"),
        ("broken.pmtiles", b"this is no PMTiles file either" * 8, "not a readable PMTiles"),
    ],
)
def test_bad_tile_files_are_explained(settings, tmp_path, name, content, message):
    """A file that cannot be used is left out and named under `problems` (the page says so);
    the rest of the station works."""
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with _client(settings, map_tiles=path) as client:
        listed = _list(client)
        assert listed["data"] == []
        (problem,) = listed["problems"]
        assert problem["id"] == "local"
        assert message in problem["detail"]
        assert client.get("/").status_code == 200


def test_internet_tiles_are_fetched_by_the_station(settings, caplog):
    """An xyz source is fetched by the station (the browser only ever asks the station): two
    layers and zoom limits honoured, one connection reused, the upstream URL never shown, its
    key not in the logs."""
    caplog.set_level(logging.INFO, logger="httpx")
    with tile_server(PNG) as (upstream, seen, ports):
        source = BasemapSource(
            id="streets", name_zh="街道图", name_en="Streets", kind="xyz", min_zoom=5,
            url=upstream + "/base/{z}/{x}/{y}.png?key=secret-key",
            label_url=upstream + "/labels/{z}/{x}/{y}.png?key=secret-key",
        )  # fmt: skip
        basemap = BasemapSettings(internet=True, sources=[source])
        with _client(settings, basemap=basemap) as client:
            listed = _list(client)
            assert "secret-key" not in str(listed)
            assert upstream not in str(listed)
            (streets,) = listed["data"]
            assert streets["tiles"] == [f"/tiles/streets/{i}/{{z}}/{{x}}/{{y}}" for i in (0, 1)]
            assert streets["internet"] is True
            r = client.get("/tiles/streets/1/12/3400/1700")
            assert (r.status_code, r.content) == (200, PNG)
            assert seen == ["/labels/12/3400/1700.png?key=secret-key"]
            assert client.get("/tiles/streets/0/4/1/1").status_code == 404  # under min_zoom
            assert client.get("/tiles/streets/0/5/32/1").status_code == 404  # not in the grid
            assert len(seen) == 1
            for x in range(3400, 3404):
                assert client.get(f"/tiles/streets/0/12/{x}/1700").status_code == 200
            assert len(seen) == 5
            assert len(set(ports)) == 1  # one connection to the server, reused
    assert "/labels/12/3400/1700.png?key=[redacted]" in caplog.text
    assert "secret-key" not in caplog.text


def test_an_upstream_that_sends_no_image_is_a_bad_gateway(settings):
    """Tianditu answers a bad key with an XML page and HTTP 200: the station answers 502 and
    says so, without the key."""
    with tile_server(b"<?xml version='1.0'?><error>bad tk</error>", "text/xml") as (up, _, _):
        source = BasemapSource(id="x", name_zh="外网", name_en="Web", kind="xyz",
                               url=up + "/{z}/{x}/{y}?tk=" + KEY)  # fmt: skip
        with _client(settings, basemap=BasemapSettings(internet=True, sources=[source])) as client:
            r = client.get("/tiles/x/0/3/1/1")
            assert r.status_code == 502
            assert "is the key valid" in r.text
            assert KEY not in r.text


def test_tianditu_is_listed_with_its_key_kept_on_the_station(settings):
    """With a Tianditu key and internet, the page learns two Tianditu base maps (each a map and
    its labels), their tile URLs on the station and no key; without internet, none."""
    with _client(settings, basemap=BasemapSettings(tianditu_key=KEY)) as client:
        assert _list(client)["data"] == []
    basemap = BasemapSettings(internet=True, tianditu_key=KEY, default="tianditu_img")
    with _client(settings, basemap=basemap) as client:
        listed = _list(client)
        assert KEY not in str(listed)
        assert listed["default"] == "tianditu_img"
        names = [(s["id"], s["name_zh"], len(s["tiles"])) for s in listed["data"]]
        assert names == [("tianditu_vec", "天地图 矢量", 2), ("tianditu_img", "天地图 影像", 2)]


def test_raster_pmtiles_are_served_as_images(settings, tmp_path):
    """A raster PMTiles file is offered as `raster`; its tiles come as the images they are."""
    path = tmp_path / "imagery.pmtiles"
    write_pmtiles(path, LONGYOU_BOX, range(10, 12), PNG, tile_type=TileType.PNG)
    with _client(settings, map_tiles=path) as client:
        (local,) = _list(client)["data"]
        assert (local["format"], local["max_zoom"]) == ("raster", 11)
        x, y = tile_xy(119.18, 29.05, 11)
        r = client.get(f"/tiles/local/0/11/{x}/{y}")
        assert (r.status_code, r.headers["content-type"], r.content) == (200, "image/png", PNG)
        assert client.get("/tiles/local/0/11/0/0").status_code == 404
