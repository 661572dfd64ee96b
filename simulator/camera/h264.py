"""H.264 encoding of rendered frames with PyAV's libx264 (baseline-like, low latency).

`H264Encoder.encode(frame)` returns the frame's NAL units (Annex B start codes removed): x264
with ``tune=zerolatency`` emits no B-frames and no lookahead, so every frame comes out at once,
and SPS/PPS are repeated before each key frame (one a second), so a viewer joining late can start
at the next one.

>>> import numpy as np
>>> enc = H264Encoder(64, 48, fps=10)
>>> nals = enc.encode(np.zeros((48, 64, 3), dtype=np.uint8))
>>> sorted({nal[0] & 0x1F for nal in nals} & {5, 7, 8})   # IDR slice, SPS, PPS
[5, 7, 8]
"""

from __future__ import annotations

import re
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

_START = re.compile(b"\x00\x00\x01")


def split_annexb(data: bytes) -> list[bytes]:
    """NAL units of an Annex B byte stream (3- and 4-byte start codes).

    >>> split_annexb(b"\\x00\\x00\\x00\\x01\\x67ab\\x00\\x00\\x01\\x68c")
    [b'gab', b'hc']
    """
    out = []
    for part in _START.split(data):
        nal = part.rstrip(b"\x00") if part.endswith(b"\x00") else part
        if nal:
            out.append(nal)
    return out


class H264Encoder:
    """One H.264 stream: frames of `width` x `height` RGB in, NAL units out."""

    def __init__(self, width: int, height: int, fps: int = 15, bitrate_kbps: int = 800) -> None:
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.framerate = Fraction(fps, 1)
        ctx.time_base = Fraction(1, fps)
        ctx.bit_rate = bitrate_kbps * 1000
        ctx.gop_size = fps
        ctx.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "x264-params": f"keyint={fps}:min-keyint={fps}:scenecut=0:repeat-headers=1",
        }
        self._ctx = ctx
        self._pts = 0

    def encode(self, rgb: npt.NDArray[np.uint8]) -> list[bytes]:
        """Encode one frame; its NAL units (empty if the encoder held it back)."""
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = self._pts
        self._pts += 1
        nals: list[bytes] = []
        for packet in self._ctx.encode(frame):
            nals += split_annexb(bytes(packet))
        return nals
