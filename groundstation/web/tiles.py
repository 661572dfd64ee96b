"""Base tiles from the station's own disk: a ``{z}/{x}/{y}.png`` folder, an MBTiles file or a
PMTiles file, raster or vector (Mapbox Vector Tiles, drawn by the page with protomaps-leaflet).

Nothing is fetched from the internet here (``tile_proxy`` does that for internet sources). An
MBTiles file stores rows in TMS order (row 0 at the south), so the XYZ ``y`` the map asks for is
flipped. Gzipped vector tiles (as both formats usually hold them) are served unzipped.

>>> tms_row(z=3, y=0)
7
>>> TileSource.open(None) is None
True
"""

from __future__ import annotations

import contextlib
import gzip
import html
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, MagicNumberNotFound, SpecVersionUnsupported, TileType

T = TypeVar("T")

_EXTENSIONS = ("png", "jpg", "jpeg", "webp")
_HAS_METADATA = "SELECT 1 FROM sqlite_master WHERE name = 'metadata'"
#: the media type of a vector tile
MVT = "application/vnd.mapbox-vector-tile"
_PMTILES_TYPES = {
    TileType.MVT: MVT,
    TileType.PNG: "image/png",
    TileType.JPEG: "image/jpeg",
    TileType.WEBP: "image/webp",
}


class TileSourceError(ValueError):
    """The configured tiles cannot be used (missing path, not an MBTiles file)."""


def tms_row(z: int, y: int) -> int:
    """The MBTiles (TMS) row of the XYZ tile row `y` at zoom `z`."""
    return (1 << z) - 1 - y


def tile_type(data: bytes) -> str | None:
    """The image type of a tile from its first bytes, or None if it is no image a map can draw.

    >>> tile_type(b"\\x89PNG\\r\\n\\x1a\\n....")
    'image/png'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _gunzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data


def valid_address(z: int, x: int, y: int) -> bool:
    """True for a tile that exists in the XYZ grid (zoom 0 to 24)."""
    return 0 <= z <= 24 and 0 <= x < (1 << z) and 0 <= y < (1 << z)


@dataclass(frozen=True, slots=True)
class TileSource:
    """Where the tiles are: a folder (``folder/z/x/y.png``), an MBTiles or a PMTiles file."""

    path: Path
    kind: str  # "folder", "mbtiles" or "pmtiles"

    @classmethod
    def open(cls, path: Path | None) -> TileSource | None:
        """The source at `path` (None when no tiles are configured); bad paths are refused."""
        if path is None:
            return None
        if path.is_dir():
            return cls(path, "folder")
        if not path.exists():
            raise TileSourceError(f"map_tiles {path}: no such file or folder")
        kind = path.suffix.lower().removeprefix(".")
        if kind not in ("mbtiles", "pmtiles"):
            raise TileSourceError(
                f"map_tiles {path}: expected a z/x/y tile folder, an .mbtiles or a .pmtiles file"
            )
        return cls(path, kind)

    def read(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's bytes (unzipped), or None when the source has no such tile. Blocking."""
        if not valid_address(z, x, y):
            return None
        if self.kind == "folder":
            return self._read_folder(z, x, y)
        if self.kind == "pmtiles":
            return self._read_pmtiles(z, x, y)
        data = self._read_mbtiles(z, x, y)
        return None if data is None else _gunzip(data)

    def media_type(self) -> str | None:
        """What the tiles are (``image/png``..., or `MVT` for vector tiles), None if unknown."""
        if self.kind == "pmtiles":
            return _PMTILES_TYPES.get(self._pmtiles_header()["tile_type"])
        if self.kind == "mbtiles":
            if self._query(_HAS_METADATA, ()) is None:
                return None  # no metadata table: each tile's own type
            row = self._query("SELECT value FROM metadata WHERE name = 'format'", ())
            fmt = row[0] if row else None
            known = {"pbf": MVT, "mvt": MVT, "png": "image/png", "jpg": "image/jpeg"}
            return known.get(str(fmt).lower()) if fmt else None
        return None  # a folder: each tile's own type

    def _pmtiles_header(self) -> dict[str, Any]:
        return self._pmtiles(lambda reader: dict(reader.header()))  # type: ignore[no-untyped-call]

    def _read_pmtiles(self, z: int, x: int, y: int) -> bytes | None:
        def tile(reader: Reader) -> bytes | None:
            data = reader.get(z, x, y)  # type: ignore[no-untyped-call]
            if data is None:
                return None
            header = reader.header()  # type: ignore[no-untyped-call]
            zipped = header["tile_compression"] == Compression.GZIP
            return gzip.decompress(data) if zipped else bytes(data)

        return self._pmtiles(tile)

    def _pmtiles(self, work: Callable[[Reader], T]) -> T:
        try:
            with self.path.open("rb") as f:
                return work(Reader(MmapSource(f)))  # type: ignore[no-untyped-call]
        except (MagicNumberNotFound, SpecVersionUnsupported, ValueError, OSError) as exc:
            raise TileSourceError(
                f"map_tiles {self.path}: not a readable PMTiles file ({exc!r})"
            ) from exc

    def _read_folder(self, z: int, x: int, y: int) -> bytes | None:
        for ext in _EXTENSIONS:
            candidate = self.path / str(z) / str(x) / f"{y}.{ext}"
            if candidate.is_file():
                return candidate.read_bytes()
        return None

    def _read_mbtiles(self, z: int, x: int, y: int) -> bytes | None:
        row = self._query(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, tms_row(z, y)),
        )
        if row is None or row[0] is None:
            return None
        data = row[0]
        return bytes(data) if isinstance(data, bytes | memoryview) else None

    def max_zoom(self) -> int | None:
        """The deepest zoom level the source has, for the map's limit (None if unknown)."""
        if self.kind == "folder":
            levels = [int(p.name) for p in self.path.iterdir() if p.is_dir() and p.name.isdigit()]
            return max(levels) if levels else None
        if self.kind == "pmtiles":
            return int(self._pmtiles_header()["max_zoom"])
        row = self._query("SELECT MAX(zoom_level) FROM tiles", ())
        return row[0] if row and isinstance(row[0], int) else None

    def attribution(self) -> str:
        """The credit the file's metadata carries (``attribution``), as plain text; "" if none.

        Files made from OpenStreetMap data carry the credit their licence requires, often as
        HTML links: the tags are dropped (the page shows text, never station data as HTML).
        """
        text: object = None
        if self.kind == "pmtiles":
            text = self._pmtiles(lambda reader: reader.metadata()).get("attribution")  # type: ignore[no-untyped-call]
        elif self.kind == "mbtiles" and self._query(_HAS_METADATA, ()) is not None:
            row = self._query("SELECT value FROM metadata WHERE name = 'attribution'", ())
            text = row[0] if row else None
        if not isinstance(text, str):
            return ""
        return html.unescape(re.sub(r"<[^>]*>", "", text)).strip()[:200]

    def _query(self, sql: str, params: tuple[int, ...]) -> tuple[object, ...] | None:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
                row: tuple[object, ...] | None = conn.execute(sql, params).fetchone()
        except sqlite3.DatabaseError as exc:
            raise TileSourceError(
                f"map_tiles {self.path}: not a readable MBTiles file ({exc})"
            ) from exc
        return row
