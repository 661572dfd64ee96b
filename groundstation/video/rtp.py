"""RTP/H.264 depacketization (RFC 3550, RFC 6184), sans-I/O: datagrams in, access units out.

Single NAL unit packets, STAP-A aggregates and FU-A fragments are understood (what x264-based
companions, GStreamer's rtph264pay and IP cameras send). A frame ends at the packet with the
marker bit, or when the time stamp changes. A lost packet (a gap in sequence numbers) spoils the
frame it belongs to; from then on frames are dropped until the next key frame (IDR), so the
decoder never sees a broken reference chain.

>>> import struct
>>> def pkt(seq, marker, payload):
...     return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | 96, seq, 9000, 7) + payload
>>> d = RtpH264Depacketizer()
>>> d.feed(pkt(1, False, b"\\x67sps")) + d.feed(pkt(2, False, b"\\x68pps"))
[]
>>> (unit,) = d.feed(pkt(3, True, b"\\x65idr"))
>>> unit.keyframe, unit.timestamp, unit.annexb()
(True, 9000, b'\\x00\\x00\\x00\\x01gsps\\x00\\x00\\x00\\x01hpps\\x00\\x00\\x00\\x01eidr')
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

START_CODE = b"\x00\x00\x00\x01"
STAP_A, FU_A = 24, 28
NAL_IDR, NAL_SPS, NAL_PPS = 5, 7, 8


@dataclass(frozen=True, slots=True)
class AccessUnit:
    """The NAL units of one frame and its 90 kHz RTP time stamp."""

    timestamp: int
    nals: tuple[bytes, ...]

    @property
    def keyframe(self) -> bool:
        return any(nal[0] & 0x1F == NAL_IDR for nal in self.nals)

    def annexb(self) -> bytes:
        """The frame as an Annex B byte stream (what decoders and .h264 files take)."""
        return b"".join(START_CODE + nal for nal in self.nals)


@dataclass
class RtpH264Depacketizer:
    payload_type: int = 96
    packets: int = 0
    lost: int = 0
    dropped_frames: int = 0
    _seq: int | None = None
    _ts: int | None = None
    _nals: list[bytes] = field(default_factory=list)
    _fu: bytearray | None = None
    _broken: bool = False
    _need_key: bool = True

    def feed(self, datagram: bytes) -> list[AccessUnit]:
        """Take one RTP datagram; the frames it completes (usually zero or one)."""
        if len(datagram) < 12 or datagram[0] >> 6 != 2:
            return []
        b0, b1, seq, ts, _ssrc = struct.unpack_from("!BBHII", datagram)
        if b1 & 0x7F != self.payload_type:
            return []
        offset = 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10:  # header extension
            if len(datagram) < offset + 4:
                return []
            offset += 4 + 4 * struct.unpack_from("!H", datagram, offset + 2)[0]
        end = len(datagram) - (datagram[-1] if b0 & 0x20 else 0)  # padding
        payload = datagram[offset:end]
        self.packets += 1
        out: list[AccessUnit] = []
        if self._seq is not None and seq != (self._seq + 1) & 0xFFFF:
            self.lost += (seq - self._seq - 1) & 0xFFFF
            self._broken = True
            self._fu = None
        self._seq = seq
        if self._ts is not None and ts != self._ts and self._nals:
            out += self._finish()
        self._ts = ts
        if payload:
            self._payload(payload)
        if b1 & 0x80:
            out += self._finish()
        return out

    def _payload(self, p: bytes) -> None:
        kind = p[0] & 0x1F
        if 1 <= kind <= 23:
            self._nals.append(p)
        elif kind == STAP_A:
            i = 1
            while i + 2 <= len(p):
                (size,) = struct.unpack_from("!H", p, i)
                self._nals.append(p[i + 2 : i + 2 + size])
                i += 2 + size
        elif kind == FU_A and len(p) >= 2:
            start, last = p[1] & 0x80, p[1] & 0x40
            if start:
                self._fu = bytearray(((p[0] & 0xE0) | (p[1] & 0x1F),))
            if self._fu is None:
                return  # the start was lost
            self._fu += p[2:]
            if last:
                self._nals.append(bytes(self._fu))
                self._fu = None

    def _finish(self) -> list[AccessUnit]:
        nals, self._nals, self._fu = self._nals, [], None
        broken, self._broken = self._broken, False
        if not nals or self._ts is None:
            self._need_key |= broken
            self.dropped_frames += broken  # a frame whose every piece was lost or unusable
            return []
        unit = AccessUnit(self._ts, tuple(nals))
        self._need_key |= broken
        if self._need_key and not (unit.keyframe and not broken):
            self.dropped_frames += 1
            return []
        self._need_key = False
        return [unit]
