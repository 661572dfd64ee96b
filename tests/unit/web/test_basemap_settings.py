"""Base-map settings: GCJ-02 / BD-09 sources refused with the reason, Tianditu presets built
from the key, internet sources offered only when the station has internet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from groundstation.config import Settings
from groundstation.web.basemap_settings import BasemapSettings, BasemapSource, local_source

KEY = "0123456789abcdef0123456789abcdef"


def xyz(url: str, **more: object) -> BasemapSource:
    return BasemapSource.model_validate(
        {"id": "t", "name_zh": "测试", "name_en": "Test", "kind": "xyz", "url": url, **more}
    )


@pytest.mark.parametrize("crs", ["gcj02", "GCJ-02", "bd09", "BD-09"])
def test_a_declared_gcj02_or_bd09_source_is_refused_with_the_reason(crs):
    """A source that says it is GCJ-02 or BD-09 is refused, and the error says why (drones
    would be drawn hundreds of metres off) and what to use instead."""
    with pytest.raises(ValidationError) as err:
        xyz("https://tiles.example.cn/{z}/{x}/{y}.png", crs=crs)
    message = str(err.value)
    assert "hundreds of metres" in message
    assert "WGS-84" in message
    assert "Tianditu" in message


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8", "高德"),
        ("https://wprd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", "高德"),
        ("https://webapi.amap.com/tiles/{z}/{x}/{y}", "高德"),
        ("https://maponline0.bdimg.com/tile/?qt=vtile&x={x}&y={y}&z={z}", "BD-09"),
        ("https://api.map.baidu.com/customimage/tile?x={x}&y={y}&z={z}", "BD-09"),
        ("https://rt0.map.gtimg.com/tile?z={z}&x={x}&y={y}", "腾讯"),
        ("https://mt1.google.cn/vt/lyrs=m&x={x}&y={y}&z={z}", "Google China"),
    ],
)
def test_well_known_gcj02_hosts_are_refused_even_when_called_wgs84(url, who):
    """Gaode, Baidu, Tencent and Google China tiles are refused by their host, whether the crs
    is left out or (wrongly) declared WGS-84."""
    for crs in (None, "wgs84"):
        with pytest.raises(ValidationError) as err:
            xyz(url, crs=crs)
        assert who in str(err.value)
        assert "hundreds of metres" in str(err.value)


def test_wgs84_and_cgcs2000_sources_are_accepted():
    """Any other XYZ host in WGS-84 or CGCS2000 (or with no crs: WGS-84) is accepted."""
    for crs in (None, "wgs84", "CGCS2000"):
        assert xyz("https://tile.example.org/{z}/{x}/{y}.png", crs=crs).internet
    with pytest.raises(ValidationError, match="say wgs84 or cgcs2000"):
        xyz("https://tile.example.org/{z}/{x}/{y}.png", crs="EPSG:2383")


def test_tianditu_presets_are_built_from_the_key():
    """With a key and internet, Tianditu's map and imagery are offered, each with its labels
    layer, web-mercator (*_w) WMTS, the key in every URL, eight subdomains."""
    settings = BasemapSettings(internet=True, tianditu_key=KEY)
    vec, img = settings.offered()
    assert (vec.id, vec.name_zh, img.id, img.name_zh) == (
        "tianditu_vec", "天地图 矢量", "tianditu_img", "天地图 影像",
    )  # fmt: skip
    assert vec.crs == img.crs == "cgcs2000"
    assert vec.tile_url(0, 12, 3400, 1700) == (
        "https://t4.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX=12&TILEROW=1700"
        f"&TILECOL=3400&tk={KEY}"
    )
    assert "/cva_w/wmts?" in vec.tile_url(1, 12, 3400, 1700)
    assert "/img_w/" in img.tile_url(0, 1, 0, 0)
    assert "/cia_w/" in img.tile_url(1, 1, 0, 0)
    assert {vec.tile_url(0, 5, x, 0)[8:10] for x in range(8)} == {f"t{i}" for i in range(8)}


def test_internet_sources_wait_for_the_station_to_say_it_has_internet():
    """Without `internet`, neither Tianditu nor a configured xyz source is offered; local files
    are."""
    local = BasemapSource(id="county", name_zh="县", name_en="County", kind="mbtiles",
                          path=Path("/srv/county.mbtiles"))  # fmt: skip
    osm = xyz("https://tile.example.org/{z}/{x}/{y}.png")
    offline = BasemapSettings(tianditu_key=KEY, sources=[osm, local])
    assert [s.id for s in offline.offered()] == ["county"]
    online = offline.model_copy(update={"internet": True})
    assert [s.id for s in online.offered()] == ["tianditu_vec", "tianditu_img", "t", "county"]
    assert [s.id for s in BasemapSettings(internet=True).offered()] == []


def test_the_map_tiles_setting_is_the_local_source(tmp_path):
    """`map_tiles` is offered first, as `local`, its kind from the path."""
    (tmp_path / "tiles").mkdir()
    assert local_source(tmp_path / "tiles").kind == "folder"
    assert local_source(tmp_path / "a.pmtiles").kind == "pmtiles"
    assert local_source(tmp_path / "a.mbtiles").kind == "mbtiles"
    assert [s.id for s in BasemapSettings().offered(tmp_path / "a.pmtiles")] == ["local"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "xyz", "path": "/x.mbtiles"}, "needs a url"),
        ({"kind": "pmtiles", "url": "https://a.example/{z}/{x}/{y}"}, "needs a path"),
        ({"kind": "xyz", "url": "ftp://a.example/{z}/{x}/{y}"}, "http:// or https://"),
        ({"kind": "xyz", "url": "https://a.example/{z}/{x}"}, "lacks {y}"),
        ({"kind": "wmts", "url": "https://a.example/w?M={TileMatrix}&R={TileRow}"}, "{TileCol}"),
        ({"kind": "xyz", "url": "https://a.example/{z}/{x}/{y}", "min_zoom": 9, "max_zoom": 3},
         "above max_zoom"),
        ({"kind": "wmts", "url": "https://t0.tianditu.gov.cn/vec_c/wmts?TILEMATRIX={z}&TILEROW={y}"
          "&TILECOL={x}"}, "_w (web-mercator)"),
    ],
)  # fmt: skip
def test_unusable_sources_are_explained(fields, message):
    """A source that cannot be drawn is refused with what is wrong."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        BasemapSource.model_validate({"id": "s", "name_zh": "源", "name_en": "S", **fields})


def test_ids_are_unique_and_the_default_is_one_of_them():
    """Two sources with one id, a default naming none, and a malformed key are refused."""
    osm = xyz("https://tile.example.org/{z}/{x}/{y}.png")
    with pytest.raises(ValidationError, match="used twice: t"):
        BasemapSettings(sources=[osm, osm])
    with pytest.raises(ValidationError, match="not a configured base map"):
        BasemapSettings(sources=[osm], default="nope")
    with pytest.raises(ValidationError, match="Tianditu key"):
        BasemapSettings(tianditu_key="abc&tk=evil")


def test_sources_are_read_from_the_environment(monkeypatch):
    """The group reads from ECOPATROL_BASEMAP__*, sources as JSON; a Gaode source there stops
    the settings from loading, with the reason."""
    monkeypatch.setenv("ECOPATROL_BASEMAP__INTERNET", "true")
    monkeypatch.setenv("ECOPATROL_BASEMAP__TIANDITU_KEY", KEY)
    monkeypatch.setenv("ECOPATROL_BASEMAP__DEFAULT", "tianditu_img")
    settings = Settings()
    assert settings.basemap.default == "tianditu_img"
    assert KEY not in repr(settings)
    amap = "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    gaode = f'[{{"id": "a", "name_zh": "高德", "name_en": "AMap", "kind": "xyz", "url": "{amap}"}}]'
    monkeypatch.setenv("ECOPATROL_BASEMAP__SOURCES", gaode)
    with pytest.raises(ValidationError, match="GCJ-02"):
        Settings()
