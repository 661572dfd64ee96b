"""Photos from the cameras: download over the camera's HTTP interface, read EXIF, hash, keep.

CAMERA_IMAGE_CAPTURED's ``file_url`` names the picture; a camera with an HTTP server gives an
``http://`` URL there, fetched here with a size limit (in a worker thread: urllib blocks). The
JPEG's EXIF GPS position, altitude and time are read back (a photo's own record of where it was
taken, kept beside the position in the MAVLink message) and the file is stored under its SHA-256
(``photos/<sha256>.jpg`` in the data folder), so the evidence packets can cite it by hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import ExifTags, Image, UnidentifiedImageError

from groundstation.files import private_dir

GPS_IFD = ExifTags.IFD.GPSInfo
G = ExifTags.GPS


class PhotoFetchError(Exception):
    """A photo that could not be downloaded or is not a JPEG."""


@dataclass(frozen=True, slots=True)
class ExifPosition:
    lat_deg: float
    lon_deg: float
    alt_msl_m: float | None
    taken_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    sha256: str
    path: Path
    size_bytes: int
    exif: ExifPosition | None


def exif_position(jpeg: bytes) -> ExifPosition | None:
    """The EXIF GPS position (and GPS time) of a JPEG; None when it has none."""
    try:
        with Image.open(io.BytesIO(jpeg)) as img:
            gps = img.getexif().get_ifd(GPS_IFD)
    except (UnidentifiedImageError, OSError):
        return None
    if G.GPSLatitude not in gps or G.GPSLongitude not in gps:
        return None

    def deg(dms: tuple[float, float, float], ref: str, negative: str) -> float:
        v = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
        return -v if ref == negative else v

    lat = deg(gps[G.GPSLatitude], gps.get(G.GPSLatitudeRef, "N"), "S")
    lon = deg(gps[G.GPSLongitude], gps.get(G.GPSLongitudeRef, "E"), "W")
    alt = None
    if G.GPSAltitude in gps:
        alt = float(gps[G.GPSAltitude]) * (-1 if gps.get(G.GPSAltitudeRef) == b"\x01" else 1)
    taken = None
    if G.GPSDateStamp in gps and G.GPSTimeStamp in gps:
        h, m, s = (float(x) for x in gps[G.GPSTimeStamp])
        try:
            day = datetime.strptime(str(gps[G.GPSDateStamp]), "%Y:%m:%d").replace(tzinfo=UTC)
            taken = day.replace(hour=int(h), minute=int(m), second=int(s))
        except ValueError:
            taken = None
    return ExifPosition(lat, lon, alt, taken)


def _get(url: str, max_bytes: int, timeout_s: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise PhotoFetchError(f"{url!r}: not an HTTP URL (MAVLink FTP is not supported)")
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            data: bytes = resp.read(max_bytes + 1)
    except OSError as exc:
        raise PhotoFetchError(f"{url}: {exc}") from exc
    if len(data) > max_bytes:
        raise PhotoFetchError(f"{url}: larger than {max_bytes} bytes")
    if data[:2] != b"\xff\xd8":
        raise PhotoFetchError(f"{url}: not a JPEG")
    return data


async def fetch(url: str, max_bytes: int, timeout_s: float = 15.0) -> bytes:
    """The photo at `url` (PhotoFetchError if unreachable, too large or not a JPEG)."""
    return await asyncio.to_thread(_get, url, max_bytes, timeout_s)


def store(jpeg: bytes, photos_dir: Path) -> StoredPhoto:
    """Write `jpeg` as ``<sha256>.jpg`` in `photos_dir` (once: same bytes, same file)."""
    digest = hashlib.sha256(jpeg).hexdigest()
    private_dir(photos_dir)
    path = photos_dir / f"{digest}.jpg"
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(jpeg)
        tmp.replace(path)
    return StoredPhoto(digest, path, len(jpeg), exif_position(jpeg))
