"""A still from the live video: the next decoded picture, stamped with where and when.

The station decodes only for this (viewers get the H.264 as it came). The picture gets a band
along its bottom edge saying which drone, its position, altitude and heading, the gimbal's angles
and the UTC time, and the same in EXIF (GPS latitude/longitude/altitude, DateTimeOriginal), so
the JPEG says where it came from wherever it goes; its SHA-256 is kept with it in the incident.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from PIL import ExifTags, Image, ImageDraw, TiffImagePlugin

from groundstation.video.decode import H264Decoder, Picture
from groundstation.video.source import VideoSource

G = ExifTags.GPS
T = ExifTags.Base


@dataclass(frozen=True, slots=True)
class StillStamp:
    sysid: int
    name: str
    lat_deg: float | None
    lon_deg: float | None
    alt_msl_m: float | None
    alt_rel_m: float | None
    heading_deg: float | None
    gimbal_pitch_deg: float | None
    gimbal_yaw_deg: float | None
    at: datetime

    def text(self) -> str:
        def f(v: float | None, fmt: str) -> str:
            return "?" if v is None else format(v, fmt)

        return (
            f"{self.name} #{self.sysid}  {f(self.lat_deg, '.6f')}, {f(self.lon_deg, '.6f')}  "
            f"alt {f(self.alt_rel_m, '.0f')} m  hdg {f(self.heading_deg, '.0f')}  "
            f"gimbal {f(self.gimbal_pitch_deg, '.0f')}/{f(self.gimbal_yaw_deg, '.0f')}  "
            f"{self.at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
        )


async def next_picture(source: VideoSource, timeout_s: float) -> Picture:
    """The first picture decoded from `source` from its next key frame (TimeoutError if none)."""
    decoder = H264Decoder()
    async with source.subscribe("still") as sub, asyncio.timeout(timeout_s):
        async for unit in source.frames_for(sub):
            pictures = decoder.decode(unit)
            if pictures:
                return pictures[-1]
    raise TimeoutError("the stream ended")


def _rational(value: float, denominator: int = 1_000_000) -> TiffImagePlugin.IFDRational:
    r = Fraction(value).limit_denominator(denominator)
    return TiffImagePlugin.IFDRational(r.numerator, r.denominator)


def _dms(deg: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    v = abs(deg)
    d, m = int(v), int((v - int(v)) * 60)
    return (_rational(d), _rational(m), _rational((v - d - m / 60) * 3600))


def stamped_jpeg(picture: Picture, stamp: StillStamp, quality: int = 90) -> bytes:
    """`picture` as a JPEG with the stamp drawn on it and written in its EXIF."""
    img = Image.fromarray(picture)
    draw = ImageDraw.Draw(img, "RGBA")
    band = max(14, img.height // 22)
    draw.rectangle((0, img.height - band, img.width, img.height), fill=(0, 0, 0, 170))
    draw.text((4, img.height - band + 2), stamp.text(), fill=(255, 255, 255))
    exif = Image.Exif()
    exif[T.Make], exif[T.Model] = "ecopatrol", f"still from drone {stamp.sysid}"
    exif[T.ImageDescription] = stamp.text()
    exif.get_ifd(ExifTags.IFD.Exif)[T.DateTimeOriginal] = stamp.at.strftime("%Y:%m:%d %H:%M:%S")
    if stamp.lat_deg is not None and stamp.lon_deg is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[G.GPSLatitudeRef] = "N" if stamp.lat_deg >= 0 else "S"
        gps[G.GPSLatitude] = _dms(stamp.lat_deg)
        gps[G.GPSLongitudeRef] = "E" if stamp.lon_deg >= 0 else "W"
        gps[G.GPSLongitude] = _dms(stamp.lon_deg)
        if stamp.alt_msl_m is not None:
            gps[G.GPSAltitudeRef] = b"\x00" if stamp.alt_msl_m >= 0 else b"\x01"
            gps[G.GPSAltitude] = _rational(abs(stamp.alt_msl_m), 1000)
        if stamp.heading_deg is not None:
            gps[G.GPSImgDirectionRef] = "T"
            gps[G.GPSImgDirection] = _rational(stamp.heading_deg % 360, 100)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()
