"""Photos from the cameras: download over the camera's HTTP interface, read EXIF, hash, keep.

CAMERA_IMAGE_CAPTURED's ``file_url`` names the picture; a camera with an HTTP server gives an
``http://`` URL there, fetched here with a size limit (in a worker thread: urllib blocks). The
URL is trusted only as far as its host: :func:`check_url` accepts the vehicle's own link address
(where its MAVLink frames come from) or a host of the ``photo_hosts`` allow-list, and the fetch
follows no redirect and no proxy, so a device on the network cannot make the station fetch
internal URLs for it (SSRF). The JPEG's EXIF GPS position, altitude and time are read back (a
photo's own record of where it was taken, kept beside the position in the MAVLink message) and
the file is stored under its SHA-256 (``photos/<sha256>.jpg`` in the data folder), so the
evidence packets can cite it by hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import ipaddress
import urllib.parse
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import ExifTags, Image, UnidentifiedImageError

from groundstation.files import private_dir

GPS_IFD = ExifTags.IFD.GPSInfo
G = ExifTags.GPS


class PhotoFetchError(Exception):
    """A photo that could not be downloaded or is not a JPEG."""


class PhotoUrlRefused(PhotoFetchError):
    """A photo URL on a host the station does not fetch from, or one that redirects."""

    def __init__(self, url: str, host: str, reason: str) -> None:
        super().__init__(f"{url!r}: {reason}")
        self.url, self.host, self.reason = url, host, reason


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


def _same_host(a: str, b: str) -> bool:
    """Two hosts are the same: equal names, or equal addresses (IPv4-mapped IPv6 unwrapped)."""

    def norm(h: str) -> str:
        try:
            ip = ipaddress.ip_address(h.strip("[]"))
        except ValueError:
            return h.lower().rstrip(".")
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return str(ip)

    return norm(a) == norm(b)


def check_url(url: str, allowed_hosts: Collection[str]) -> str:
    """The host of `url` if the station may fetch it: an ``http(s)://`` URL without user info
    whose host is one of `allowed_hosts` (the vehicle's link address and the ``photo_hosts``
    setting; compared as written, never resolved); else :class:`PhotoUrlRefused`.

    >>> check_url("http://10.0.0.5:8080/images/1.jpg", ["10.0.0.5"])
    '10.0.0.5'
    >>> check_url("http://169.254.169.254/", ["10.0.0.5"])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    PhotoUrlRefused: host 169.254.169.254 is neither the vehicle's link address nor in photo_hosts
    """
    if not url.startswith(("http://", "https://")):
        raise PhotoFetchError(f"{url!r}: not an HTTP URL (MAVLink FTP is not supported)")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise PhotoUrlRefused(url, "", f"malformed URL: {exc}") from exc
    if "@" in parts.netloc or not host:
        raise PhotoUrlRefused(url, host, "user info or no host in the URL")
    if not any(_same_host(host, allowed) for allowed in allowed_hosts):
        raise PhotoUrlRefused(
            url,
            host,
            f"host {host} is neither the vehicle's link address nor in video.photo_hosts",
        )
    return host


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: the next URL would escape :func:`check_url`."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        host = urllib.parse.urlsplit(req.full_url).hostname or ""
        raise PhotoUrlRefused(req.full_url, host, f"redirect ({code}) to {newurl!r} not followed")


#: No proxy from the environment (the camera is on the drone's network) and no redirects.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _get(url: str, allowed_hosts: Collection[str], max_bytes: int, timeout_s: float) -> bytes:
    check_url(url, allowed_hosts)
    try:
        with _OPENER.open(url, timeout=timeout_s) as resp:
            data: bytes = resp.read(max_bytes + 1)
    except OSError as exc:
        raise PhotoFetchError(f"{url}: {exc}") from exc
    if len(data) > max_bytes:
        raise PhotoFetchError(f"{url}: larger than {max_bytes} bytes")
    if data[:2] != b"\xff\xd8":
        raise PhotoFetchError(f"{url}: not a JPEG")
    return data


async def fetch(
    url: str, allowed_hosts: Collection[str], max_bytes: int, timeout_s: float = 15.0
) -> bytes:
    """The photo at `url` (PhotoUrlRefused if its host is not one of `allowed_hosts` or it
    redirects; PhotoFetchError if unreachable, too large or not a JPEG)."""
    return await asyncio.to_thread(_get, url, allowed_hosts, max_bytes, timeout_s)


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
