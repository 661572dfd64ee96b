"""The `basemap` group of the station's settings (``ECOPATROL_BASEMAP__*``): what the live map
may draw under the site's layers (docs/basemaps.md).

A source is a tile URL on the internet (``xyz``, ``wmts``) or a file on the station's disk
(``mbtiles``, ``pmtiles``, or a ``folder`` of z/x/y images). Drones report WGS-84 positions, so
only WGS-84 (or CGCS2000, the same to a few centimetres) tiles may be drawn under them: a source
in GCJ-02 or BD-09 (Gaode/AMap, Baidu, Tencent, Google China) is refused here, when the settings
are read, because it would draw every drone hundreds of metres off the road it flies over.

>>> BasemapSource(id="osm", name_zh="街道图", name_en="Streets", kind="xyz",
...               url="https://tile.example.org/{z}/{x}/{y}.png").internet
True
>>> BasemapSource(id="amap", name_zh="高德", name_en="AMap", kind="xyz",
...               url="https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for BasemapSource
...
>>> [s.id for s in BasemapSettings(internet=True, tianditu_key="0123456789abcdef").offered()]
['tianditu_vec', 'tianditu_img']
>>> BasemapSettings(tianditu_key="0123456789abcdef").offered()  # the station says: no internet
[]
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

Kind = Literal["xyz", "wmts", "mbtiles", "pmtiles", "folder"]
INTERNET_KINDS = ("xyz", "wmts")

#: Datums whose tiles line up with MAVLink's WGS-84 positions (CGCS2000 differs by centimetres).
ACCEPTED_CRS = ("wgs84", "cgcs2000")
#: Datums that are shifted on purpose, by up to ~700 m in China, and what they are called.
SHIFTED_CRS = {
    "gcj02": "GCJ-02 (火星坐标, China's obfuscated datum)",
    "bd09": "BD-09 (Baidu's datum, GCJ-02 shifted again)",
}
#: Tile hosts that serve only GCJ-02 or BD-09 tiles (whatever a setting says), and whose.
SHIFTED_HOSTS = {
    "autonavi.com": "Gaode/AMap (高德), GCJ-02",
    "amap.com": "Gaode/AMap (高德), GCJ-02",
    "map.baidu.com": "Baidu (百度), BD-09",
    "bdimg.com": "Baidu (百度), BD-09",
    "bdstatic.com": "Baidu (百度), BD-09",
    "map.qq.com": "Tencent (腾讯), GCJ-02",
    "gtimg.com": "Tencent (腾讯), GCJ-02",
    "google.cn": "Google China, GCJ-02",
    "geoq.cn": "GeoQ (智图), GCJ-02",
}
WHAT_TO_USE = (
    "MAVLink positions are WGS-84, so these tiles would draw every drone hundreds of metres"
    " off; use Tianditu (天地图, CGCS2000: set basemap.tianditu_key), any WGS-84 XYZ/WMTS"
    " service, or an offline MBTiles/PMTiles file instead"
)

TIANDITU_HOST = "https://t{s}.tianditu.gov.cn"
TIANDITU_ATTRIBUTION = "天地图 · 国家地理信息公共服务平台"


def tianditu_url(layer: str, key: str) -> str:
    """The WMTS GetTile template of one Tianditu web-mercator layer (``vec``, ``cva``, ``img``,
    ``cia``: the ``*_w`` services), with the key.

    >>> tianditu_url("cva", "k3y")  # doctest: +NORMALIZE_WHITESPACE
    'https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k3y'
    """
    return (
        f"{TIANDITU_HOST}/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={quote(key, safe='')}"
    )


def shifted_host(url: str) -> str | None:
    """Whose GCJ-02 / BD-09 tiles `url` fetches, or None for any other host.

    >>> shifted_host("https://webst02.is.autonavi.com/appmaptile?x={x}")
    'Gaode/AMap (高德), GCJ-02'
    >>> shifted_host("https://t0.tianditu.gov.cn/vec_w/wmts") is None
    True
    """
    host = (urlsplit(url.replace("{s}", "a")).hostname or "").lower()
    for domain, who in SHIFTED_HOSTS.items():
        if host == domain or host.endswith("." + domain):
            return who
    return None


class BasemapSource(BaseModel):
    """One base map: tiles on the internet or in a file, in WGS-84 web-mercator tiling."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="its name in URLs")
    name_zh: str = Field(min_length=1, max_length=40, description="shown on the Chinese page")
    name_en: str = Field(min_length=1, max_length=40, description="shown on the English page")
    kind: Kind
    url: str | None = Field(
        None,
        description="xyz: a template with {z} {x} {y} (and {s} for subdomains); wmts: a GetTile"
        " template with {TileMatrix} {TileRow} {TileCol} (or {z} {y} {x}), web-mercator matrix set",
    )
    label_url: str | None = Field(None, description="a second template drawn on top (labels)")
    path: Path | None = Field(None, description="mbtiles, pmtiles, folder: the file or folder")
    subdomains: str = Field("", max_length=16, description="letters or digits {s} runs over")
    attribution: str = Field("", max_length=200)
    min_zoom: int = Field(0, ge=0, le=24)
    max_zoom: int = Field(18, ge=0, le=24)
    crs: str | None = Field(
        None, description="wgs84 or cgcs2000; gcj02 and bd09 are refused; None = wgs84"
    )

    @field_validator("crs")
    @classmethod
    def _datum(cls, v: str | None) -> str | None:
        if v is None:
            return None
        name = v.lower().replace("-", "").replace("_", "")
        if name in SHIFTED_CRS:
            raise ValueError(f"crs {v!r} is {SHIFTED_CRS[name]}: {WHAT_TO_USE}")
        if name not in ACCEPTED_CRS:
            raise ValueError(f"crs {v!r}: say wgs84 or cgcs2000 (gcj02 and bd09 are refused)")
        return name

    @model_validator(mode="after")
    def _consistent(self) -> BasemapSource:
        if self.min_zoom > self.max_zoom:
            raise ValueError(f"min_zoom {self.min_zoom} is above max_zoom {self.max_zoom}")
        if self.internet:
            if self.url is None or self.path is not None:
                raise ValueError(f"a {self.kind} source needs a url and no path")
            for template in self.templates:
                _check_template(self.kind, template)
        elif self.path is None or self.url is not None or self.label_url is not None:
            raise ValueError(f"a {self.kind} source needs a path and no url")
        return self

    @property
    def internet(self) -> bool:
        """True when the tiles come from the internet (fetched by the station, see tile_proxy)."""
        return self.kind in INTERNET_KINDS

    @property
    def templates(self) -> list[str]:
        """The URL templates, bottom layer first (empty for a file)."""
        return [u for u in (self.url, self.label_url) if u is not None]

    def tile_url(self, layer: int, z: int, x: int, y: int) -> str:
        """The upstream URL of one tile of layer `layer` (0 = `url`, 1 = `label_url`).

        >>> s = BasemapSource(id="w", name_zh="w", name_en="w", kind="wmts", subdomains="01",
        ...     url="https://t{s}.example.cn/wmts?TILEMATRIX={TileMatrix}&TILEROW={TileRow}"
        ...         "&TILECOL={TileCol}")
        >>> s.tile_url(0, 5, 3, 9)
        'https://t0.example.cn/wmts?TILEMATRIX=5&TILEROW=9&TILECOL=3'
        """
        template = self.templates[layer]
        sub = self.subdomains[(x + y) % len(self.subdomains)] if self.subdomains else ""
        fields = {"z": z, "x": x, "y": y, "TileMatrix": z, "TileRow": y, "TileCol": x, "s": sub}
        for name, value in fields.items():
            template = template.replace("{" + name + "}", str(value))
        return template


def _check_template(kind: str, url: str) -> None:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{url!r}: a tile URL starts with http:// or https://")
    who = shifted_host(url)
    if who is not None:
        raise ValueError(f"{urlsplit(url).hostname} serves {who} tiles: {WHAT_TO_USE}")
    lower = url.lower()
    if "tianditu" in lower and ("_c/" in lower or "tilematrixset=c&" in lower):
        raise ValueError(
            f"{url!r}: Tianditu's *_c layers are tiled in longitude/latitude, which the map"
            " does not draw; use the *_w (web-mercator) layers, e.g. vec_w and cva_w"
        )
    needed = ("{z}", "{x}", "{y}")
    if kind == "wmts" and "{TileMatrix}" in url:
        needed = ("{TileMatrix}", "{TileRow}", "{TileCol}")
    missing = [n for n in needed if n not in url]
    if missing:
        raise ValueError(f"{url!r}: the template lacks {' '.join(missing)}")


class BasemapSettings(BaseModel):
    """The base maps offered on the live map. Internet sources (Tianditu, xyz, wmts) are
    offered only when `internet` is true; the station fetches their tiles for the page."""

    internet: bool = Field(
        False, description="the station reaches the internet: offer Tianditu and xyz/wmts sources"
    )
    tianditu_key: SecretStr | None = Field(
        None, description="天地图 key (a server-side 服务端 key: the station fetches the tiles)"
    )
    sources: list[BasemapSource] = Field(default_factory=list, description="more base maps")
    default: str | None = Field(None, description="the source shown first; None = the first")
    fetch_timeout_s: float = Field(10.0, gt=0, description="an internet tile's fetch limit")

    @field_validator("tianditu_key")
    @classmethod
    def _key_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not (v.get_secret_value().isalnum() and 16 <= len(v) <= 64):
            raise ValueError("the Tianditu key is 16 to 64 letters and digits (32 as issued)")
        return v

    @model_validator(mode="after")
    def _unique(self) -> BasemapSettings:
        ids = [s.id for s in self.tianditu() + self.sources]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"base map ids used twice: {', '.join(doubled)}")
        if self.default is not None and self.default not in [*ids, "local"]:
            raise ValueError(f"default {self.default!r} is not a configured base map")
        return self

    def tianditu(self) -> list[BasemapSource]:
        """The two Tianditu presets (map and imagery, each with its labels) if a key is set."""
        if self.tianditu_key is None:
            return []
        key = self.tianditu_key.get_secret_value()
        return [
            BasemapSource(
                id=f"tianditu_{base}",
                name_zh=zh,
                name_en=en,
                kind="wmts",
                url=tianditu_url(base, key),
                label_url=tianditu_url(labels, key),
                subdomains="01234567",
                attribution=TIANDITU_ATTRIBUTION,
                min_zoom=1,
                max_zoom=18,
                crs="cgcs2000",
            )
            for base, labels, zh, en in (
                ("vec", "cva", "天地图 矢量", "Tianditu map"),
                ("img", "cia", "天地图 影像", "Tianditu imagery"),
            )
        ]

    def offered(self, map_tiles: Path | None = None) -> list[BasemapSource]:
        """Every source the page may show, in order: the station's own `map_tiles` (as
        ``local``), Tianditu, then `sources`; internet ones only when `internet` is true."""
        found = [] if map_tiles is None else [local_source(map_tiles)]
        found += [s for s in self.tianditu() + self.sources if self.internet or not s.internet]
        return found

    def find(self, source_id: str, map_tiles: Path | None = None) -> BasemapSource | None:
        return next((s for s in self.offered(map_tiles) if s.id == source_id), None)


def local_source(path: Path) -> BasemapSource:
    """The `map_tiles` setting (a folder, an .mbtiles or .pmtiles file) as the ``local`` map."""
    suffix = path.suffix.lower()
    kind: Kind = "folder" if path.is_dir() else "pmtiles" if suffix == ".pmtiles" else "mbtiles"
    return BasemapSource(
        id="local", name_zh="本地底图", name_en="Local tiles", kind=kind, path=path, max_zoom=24
    )
