"""The `video` group of the station's settings (``ECOPATROL_VIDEO__*``).

>>> s = VideoSettings(streams={3: "udp://0.0.0.0:5602"})
>>> s.streams[3], s.record, s.segment_s
('udp://0.0.0.0:5602', False, 60.0)
>>> VideoSettings(record=[2, 3]).records(3), VideoSettings(record=True).records(9)
(True, True)
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class VideoSettings(BaseModel):
    """Cameras, live video, recordings and photos."""

    enabled: bool = Field(True, description="discover cameras and relay their video")
    listen_host: str = Field("0.0.0.0", description="address the RTP/UDP streams are received on")
    streams: dict[int, str] = Field(
        default_factory=dict,
        description="system id -> stream URI for cameras that do not speak the MAVLink camera "
        "protocol (udp://0.0.0.0:5600: RTP/H.264 pushed to the station, QGroundControl's form)",
    )
    record: bool | list[int] = Field(
        False,
        description="streams recorded to MP4 segments from the start: true = every stream, "
        "false = none, or a list of system ids; a pilot's start or stop in the page "
        "holds over this, across restarts, for that drone",
    )
    segment_s: float = Field(60.0, gt=1, description="length of a recording segment, seconds")
    max_recordings_mb: float | None = Field(
        None,
        gt=0,
        description="disk quota of the recordings: past it the oldest segments are removed, "
        "never one near an incident of its drone or of its patrol; None = no quota",
    )
    retention_days: float | None = Field(
        None,
        gt=0,
        description="segments older than this are removed (checked hourly and after each "
        "segment), never one the quota would keep for an incident; None = kept until the quota",
    )
    protect_s: float = Field(
        900.0, ge=0, description="a segment this close to an incident of its drone is kept"
    )
    stop_grace_s: float = Field(
        5.0, ge=0, description="keep a stream running this long after its last viewer leaves"
    )
    webrtc: bool = Field(
        True, description="offer WebRTC viewing by WHEP (H.264 passed through; else MSE only)"
    )
    webrtc_max_sessions: int = Field(
        40, ge=1, description="WebRTC viewers at once, all streams together (then MSE)"
    )
    fetch_photos: bool = Field(True, description="download photos the cameras announce")
    max_photo_bytes: int = Field(30 * 1024 * 1024, gt=0, description="largest photo fetched")
    photo_hosts: list[str] = Field(
        default_factory=list,
        description="hosts (as written in the URL: an address or a name) photos may be fetched "
        "from besides the vehicle's own link address, e.g. a camera on its own address; any "
        "other file_url is refused (no redirects followed)",
    )

    def records(self, sysid: int) -> bool:
        """Whether vehicle `sysid`'s stream is recorded from the start."""
        return self.record if isinstance(self.record, bool) else sysid in self.record

    @field_validator("record")
    @classmethod
    def _sysids(cls, v: bool | list[int]) -> bool | list[int]:
        if not isinstance(v, bool) and any(not 1 <= s <= 255 for s in v):
            raise ValueError(f"record: {v}: system ids are 1..255 (or true / false)")
        return v

    @field_validator("streams")
    @classmethod
    def _udp_only(cls, v: dict[int, str]) -> dict[int, str]:
        for sysid, uri in v.items():
            if not 1 <= sysid <= 255 or not uri.startswith("udp://"):
                raise ValueError(f"stream {sysid}: {uri!r}: only udp://HOST:PORT (RTP/H.264)")
        return v
