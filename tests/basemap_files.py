"""Base-map files and tile servers made by the tests themselves: tiny PNG tiles, a vector
PMTiles file (Mapbox Vector Tiles from `mapbox-vector-tile`, written with `pmtiles`), and a
loopback HTTP tile server standing in for an internet one."""

from __future__ import annotations

import gzip
import http.server
import math
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mapbox_vector_tile
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

#: Longyou, around the reference site's patrol area (west, south, east, north)
LONGYOU_BOX = (119.05, 28.98, 119.30, 29.12)
#: what protomaps-leaflet's "light" flavour paints the `earth` and `water` layers with
EARTH_RGB = (0xE2, 0xDF, 0xDA)
WATER_RGB = (0x80, 0xDE, 0xEA)


def png(rgb: tuple[int, int, int], size: int = 2) -> bytes:
    """A valid `size` x `size` PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding (lon, lat) at zoom `z`."""
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tiles_over(
    box: tuple[float, float, float, float], zooms: range
) -> Iterator[tuple[int, int, int]]:
    """Every (z, x, y) over `box` at `zooms`."""
    west, south, east, north = box
    for z in zooms:
        x0, y0 = tile_xy(west, north, z)
        x1, y1 = tile_xy(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


def vector_tile() -> bytes:
    """One Mapbox Vector Tile: `earth` over the whole tile, `water` over its west half (in the
    Protomaps basemap schema, which protomaps-leaflet's flavours paint)."""
    whole = "POLYGON ((0 0, 4096 0, 4096 4096, 0 4096, 0 0))"
    west = "POLYGON ((0 0, 2048 0, 2048 4096, 0 4096, 0 0))"
    layers = [
        {"name": "earth", "features": [{"geometry": whole, "properties": {"kind": "earth"}}]},
        {"name": "water", "features": [{"geometry": west, "properties": {"kind": "water"}}]},
    ]
    data: bytes = mapbox_vector_tile.encode(layers)
    return data


def write_pmtiles(
    path: Path,
    box: tuple[float, float, float, float],
    zooms: range,
    tile: bytes,
    tile_type: TileType = TileType.MVT,
    attribution: str = "",
) -> int:
    """A PMTiles file with `tile` (gzipped when vector, as real ones are) at every address over
    `box`; returns how many tiles."""
    vector = tile_type == TileType.MVT
    data = gzip.compress(tile, mtime=0) if vector else tile
    ids = sorted(zxy_to_tileid(z, x, y) for z, x, y in tiles_over(box, zooms))
    with path.open("wb") as f:
        writer = Writer(f)
        for tile_id in ids:
            writer.write_tile(tile_id, data)
        west, south, east, north = box
        header = {
            "tile_type": tile_type,
            "tile_compression": Compression.GZIP if vector else Compression.NONE,
            "min_lon_e7": int(west * 1e7),
            "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7),
            "max_lat_e7": int(north * 1e7),
        }
        metadata: dict[str, object] = {"attribution": attribution} if attribution else {}
        if vector:
            metadata["vector_layers"] = [{"id": "earth"}, {"id": "water"}]
        writer.finalize(header, metadata)
    return len(ids)


class _Tiles(http.server.BaseHTTPRequestHandler):
    body = b""
    content_type = "image/png"
    protocol_version = "HTTP/1.1"  # keeps connections open, as tile servers do
    seen: list[str]
    ports: list[int]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def tile_server(
    body: bytes, content_type: str = "image/png"
) -> Iterator[tuple[str, list[str], list[int]]]:
    """A loopback HTTP/1.1 server answering every GET with `body` (an internet tile server, as
    far as the station can tell): its base URL, the paths it was asked for and the client port
    of each request (one port for many requests: a reused connection)."""
    seen: list[str] = []
    ports: list[int] = []
    fields = {"body": body, "content_type": content_type, "seen": seen, "ports": ports}
    handler = type("Tiles", (_Tiles,), fields)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen, ports
    finally:
        server.shutdown()
        server.server_close()
