"""Photos the vehicle reports: CAMERA_FEEDBACK (ArduPilot) and CAMERA_IMAGE_CAPTURED (cameras).

A vehicle triggering its camera by distance (``DO_SET_CAM_TRIGG_DIST``) reports every shot with
where it was taken. :class:`PhotoReports` turns those messages into :class:`PhotoTaken` values,
one per photo: ArduPilot sends both messages for the same shot, so once a vehicle has sent a
CAMERA_FEEDBACK its CAMERA_IMAGE_CAPTURED are ignored (a camera component that only sends the
latter, as on PX4, is still heard), and a repeated image index from the same message is dropped.

>>> from pymavlink.dialects.v20 import ardupilotmega as mavlink
>>> mav = mavlink.MAVLink(None, 1, 1)
>>> msg = mav.camera_feedback_encode(12_000_000, 255, 0, 3, 290500000, 1191700000,
...                                  90.0, 40.0, 0, 0, 0, 0, 0, 4)
>>> photo = PhotoReports().photo_of(msg, received_unix_s=1_800_000_000.0)
>>> photo.index, photo.position.lat_deg, photo.position.alt_rel_m, photo.time_source
(3, 29.05, 40.0, 'station')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.codec import MavMessage
from groundstation.link.sanity import TelemetryCheck
from groundstation.link.vehicle import Position

PHOTO_MESSAGES = frozenset({"CAMERA_FEEDBACK", "CAMERA_IMAGE_CAPTURED"})
#: A vehicle time before this (2001-09-09 in µs since 1970) is time since boot, not UTC.
_EPOCH_PLAUSIBLE_US = 1_000_000_000 * 1_000_000


@dataclass(frozen=True, slots=True)
class PhotoTaken:
    """One photo: the vehicle's image index, where it was taken and when (UTC)."""

    index: int
    position: Position | None  # None: the vehicle had no position (it sent 0, 0)
    at_unix_s: float
    #: "vehicle": the message's own UTC time; "station": the time the station received it
    #: (the vehicle sent time since boot or nothing)
    time_source: Literal["vehicle", "station"]
    message: str

    @property
    def time_iso(self) -> str:
        """The time as ISO 8601 UTC (``2026-11-29T01:02:03.456000+00:00``)."""
        return datetime.fromtimestamp(self.at_unix_s, UTC).isoformat()


class PhotoReports:
    """Per vehicle: which photo messages to trust, and the last index seen of each."""

    def __init__(self) -> None:
        self._feedback_seen = False
        self._last: dict[str, int] = {}

    def photo_of(
        self, msg: MavMessage, received_unix_s: float, check: TelemetryCheck | None = None
    ) -> PhotoTaken | None:
        """The photo a message reports, or None (a duplicate, a video frame, a failed shot).

        An impossible position (see :mod:`groundstation.link.sanity`) is counted by `check` and
        the photo kept without one, as a photo the vehicle took where it did not say.
        """
        kind = msg.get_type()
        if kind == "CAMERA_FEEDBACK":
            self._feedback_seen = True
            if msg.flags == mavlink.CAMERA_FEEDBACK_VIDEO:
                return None
            index, lat, lon = int(msg.img_idx), int(msg.lat), int(msg.lng)
            alt_msl, alt_rel = float(msg.alt_msl), float(msg.alt_rel)
            stamp_us = int(msg.time_usec)
        elif kind == "CAMERA_IMAGE_CAPTURED":
            if self._feedback_seen or msg.capture_result != 1:
                return None
            index, lat, lon = int(msg.image_index), int(msg.lat), int(msg.lon)
            alt_msl, alt_rel = msg.alt / 1000.0, msg.relative_alt / 1000.0
            stamp_us = int(msg.time_utc)
        else:
            raise ValueError(f"{kind} is not a photo message ({sorted(PHOTO_MESSAGES)})")
        if self._last.get(kind) == index:
            return None
        self._last[kind] = index
        located = lat != 0 or lon != 0
        position = Position(lat / 1e7, lon / 1e7, alt_msl, alt_rel) if located else None
        values = (("lat_deg", lat / 1e7), ("lon_deg", lon / 1e7), ("alt_msl_m", alt_msl))
        checked = (check or TelemetryCheck()).all_ok(*values, ("alt_rel_m", alt_rel))
        if not checked:
            position = None
        if stamp_us >= _EPOCH_PLAUSIBLE_US:
            return PhotoTaken(index, position, stamp_us / 1e6, "vehicle", kind)
        return PhotoTaken(index, position, received_unix_s, "station", kind)
