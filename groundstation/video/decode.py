"""Decode H.264 access units to RGB pictures with PyAV (FFmpeg's h264 decoder).

The station decodes only where it needs pictures (a still taken from the live video, tests,
the MJPEG fallback); viewers get the H.264 itself.
"""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt

from groundstation.video.rtp import AccessUnit

Picture = npt.NDArray[np.uint8]


class H264Decoder:
    def __init__(self) -> None:
        self._ctx = av.CodecContext.create("h264", "r")
        self.decoded = 0

    def decode(self, unit: AccessUnit) -> list[Picture]:
        """The pictures (height, width, 3 RGB) this frame completes; [] on a corrupt frame."""
        try:
            frames = self._ctx.decode(av.Packet(unit.annexb()))
        except av.error.InvalidDataError:
            return []
        pictures = [np.asarray(f.to_ndarray(format="rgb24"), dtype=np.uint8) for f in frames]
        self.decoded += len(pictures)
        return pictures
