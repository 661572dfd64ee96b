"""JPEG photos with EXIF: GPS position and altitude, time, camera make and model.

What a survey camera writes: GPSLatitude/Longitude as degrees, minutes, seconds rationals with
their N/S, E/W refs, GPSAltitude above sea level, GPS date and time stamps in UTC and
DateTimeOriginal. Read back with :func:`read_gps` (any EXIF reader gives the same).

>>> import numpy as np
>>> jpeg = jpeg_with_exif(np.zeros((8, 8, 3), np.uint8), 29.05253, 119.181841, 87.5, 1.8e9)
>>> lat, lon, alt, when = read_gps(jpeg)
>>> round(lat, 6), round(lon, 6), alt, when
(29.05253, 119.181841, 87.5, '2027:01:15 08:00:00')
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from PIL import ExifTags, Image, TiffImagePlugin

GPS = ExifTags.IFD.GPSInfo
EXIF = ExifTags.IFD.Exif
T = ExifTags.Base
G = ExifTags.GPS
MAKE, MODEL = "ecopatrol", "simulated gimbal camera"


def _dms(value_deg: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    v = abs(value_deg)
    d = int(v)
    m = int((v - d) * 60)
    s = Fraction((v - d - m / 60) * 3600).limit_denominator(1_000_000)
    return tuple(
        TiffImagePlugin.IFDRational(x.numerator, x.denominator)
        for x in (Fraction(d), Fraction(m), s)
    )


def jpeg_with_exif(
    rgb: npt.NDArray[np.uint8],
    lat_deg: float,
    lon_deg: float,
    alt_msl_m: float,
    unix_s: float,
    quality: int = 88,
) -> bytes:
    """Encode `rgb` as a JPEG saying where (WGS84, metres above sea level) and when it was taken."""
    when = datetime.fromtimestamp(unix_s, UTC)
    exif = Image.Exif()
    exif[T.Make], exif[T.Model] = MAKE, MODEL
    exif[T.DateTime] = when.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(EXIF)[T.DateTimeOriginal] = when.strftime("%Y:%m:%d %H:%M:%S")
    gps = exif.get_ifd(GPS)
    gps[G.GPSVersionID] = b"\x02\x03\x00\x00"
    gps[G.GPSLatitudeRef] = "N" if lat_deg >= 0 else "S"
    gps[G.GPSLatitude] = _dms(lat_deg)
    gps[G.GPSLongitudeRef] = "E" if lon_deg >= 0 else "W"
    gps[G.GPSLongitude] = _dms(lon_deg)
    gps[G.GPSAltitudeRef] = b"\x00" if alt_msl_m >= 0 else b"\x01"
    alt = Fraction(abs(alt_msl_m)).limit_denominator(1000)
    gps[G.GPSAltitude] = TiffImagePlugin.IFDRational(alt.numerator, alt.denominator)
    secs = Fraction(when.second + when.microsecond / 1e6).limit_denominator(1000)
    gps[G.GPSTimeStamp] = tuple(
        TiffImagePlugin.IFDRational(x.numerator, x.denominator)
        for x in (Fraction(when.hour), Fraction(when.minute), secs)
    )
    gps[G.GPSDateStamp] = when.strftime("%Y:%m:%d")
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def read_gps(jpeg: bytes) -> tuple[float, float, float, str]:
    """(lat, lon, altitude MSL, DateTimeOriginal) from a JPEG's EXIF; KeyError if absent."""
    with Image.open(io.BytesIO(jpeg)) as img:
        exif = img.getexif()
    gps = exif.get_ifd(GPS)

    def deg(dms: tuple[float, float, float], ref: str, neg: str) -> float:
        v = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
        return -v if ref == neg else v

    lat = deg(gps[G.GPSLatitude], gps[G.GPSLatitudeRef], "S")
    lon = deg(gps[G.GPSLongitude], gps[G.GPSLongitudeRef], "W")
    alt = float(gps[G.GPSAltitude]) * (-1 if gps.get(G.GPSAltitudeRef) == b"\x01" else 1)
    return lat, lon, alt, str(exif.get_ifd(EXIF)[T.DateTimeOriginal])
