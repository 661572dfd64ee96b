"""Raster base tiles from the station's own disk: a ``{z}/{x}/{y}.png`` folder or an MBTiles file.

Nothing is ever fetched from the internet. An MBTiles file stores rows in TMS order (row 0 at the
south), so the XYZ ``y`` the map asks for is flipped.

>>> tms_row(z=3, y=0)
7
>>> TileSource.open(None) is None
True
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

_EXTENSIONS = ("png", "jpg", "jpeg", "webp")


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


def _valid_address(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 24 and 0 <= x < (1 << z) and 0 <= y < (1 << z)


@dataclass(frozen=True, slots=True)
class TileSource:
    """Where the tiles are: a folder (``folder/z/x/y.png``) or an MBTiles file."""

    path: Path
    kind: str  # "folder" or "mbtiles"

    @classmethod
    def open(cls, path: Path | None) -> TileSource | None:
        """The source at `path` (None when no tiles are configured); bad paths are refused."""
        if path is None:
            return None
        if path.is_dir():
            return cls(path, "folder")
        if not path.exists():
            raise TileSourceError(f"map_tiles {path}: no such file or folder")
        if path.suffix.lower() != ".mbtiles":
            raise TileSourceError(
                f"map_tiles {path}: expected a z/x/y tile folder or an .mbtiles file"
            )
        return cls(path, "mbtiles")

    def read(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's bytes, or None when the source has no such tile. Blocking (file I/O)."""
        if not _valid_address(z, x, y):
            return None
        if self.kind == "folder":
            return self._read_folder(z, x, y)
        return self._read_mbtiles(z, x, y)

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
        row = self._query("SELECT MAX(zoom_level) FROM tiles", ())
        return row[0] if row and isinstance(row[0], int) else None

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
