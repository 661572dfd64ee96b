"""Fragmented MP4 (ISO BMFF) from H.264 access units, sans-I/O: for browsers and for disk.

The H.264 the camera sent is passed through, never decoded: SPS and PPS go into the init
segment's ``avcC``, every frame becomes one ``moof`` + ``mdat`` fragment (its NAL units with
4-byte lengths), time from the RTP 90 kHz clock. A browser's Media Source Extensions play it
(``video/mp4; codecs="avc1.42C01E"``, see :attr:`Fmp4Muxer.mime`) a frame after it arrives; an
init segment followed by fragments is also a complete MP4 file (recordings).

>>> from groundstation.video.rtp import AccessUnit
>>> sps = bytes.fromhex("6742c016da0280bfe5840000030004000003007a3c58ba80")
>>> mux = Fmp4Muxer()
>>> init, frag = mux.feed(AccessUnit(0, (sps, b"\\x68\\xce\\x3c\\x80", b"\\x65\\x88\\x84")))
>>> init[4:8], init[8:12], mux.mime, (mux.width, mux.height)
(b'ftyp', b'isom', 'video/mp4; codecs="avc1.42C016"', (640, 360))
>>> frag[4:8], mux.feed(AccessUnit(6000, (b"\\x41\\x9a",)))[0][4:8]
(b'moof', b'moof')
"""

from __future__ import annotations

import struct

from groundstation.video.rtp import NAL_IDR, NAL_PPS, NAL_SPS, AccessUnit

TIMESCALE = 90_000
NAL_AUD, NAL_SEI = 9, 6
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def bit(self) -> int:
        byte = self.data[self.pos >> 3]
        self.pos += 1
        return (byte >> (7 - ((self.pos - 1) & 7))) & 1

    def bits(self, n: int) -> int:
        v = 0
        for _ in range(n):
            v = (v << 1) | self.bit()
        return v

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        v = self.ue()
        return (v + 1) // 2 if v & 1 else -(v // 2)


def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def sps_size(sps: bytes) -> tuple[int, int]:
    """Picture width and height from an SPS NAL unit (cropping applied)."""
    r = _BitReader(_unescape(sps[1:]))
    profile = r.bits(8)
    r.bits(16)  # constraint flags, level
    r.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma = r.ue()
        if chroma == 3:
            r.bit()
        r.ue()
        r.ue()
        r.bit()
        if r.bit():  # scaling matrices
            for i in range(8 if chroma != 3 else 12):
                if r.bit():
                    last, nxt = 8, 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt:
                            nxt = (last + r.se()) % 256
                        last = nxt or last
    r.ue()  # log2_max_frame_num
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()
    elif poc_type == 1:
        r.bit()
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.bit()
    w_mbs, h_map = r.ue() + 1, r.ue() + 1
    frame_mbs_only = r.bit()
    if not frame_mbs_only:
        r.bit()
    r.bit()
    width, height = w_mbs * 16, h_map * 16 * (2 - frame_mbs_only)
    if r.bit():  # cropping
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        cx = 2 if chroma in (1, 2) else 1
        cy = (2 if chroma == 1 else 1) * (2 - frame_mbs_only)
        width -= (left + right) * cx
        height -= (top + bottom) * cy
    return width, height


class Fmp4Muxer:
    """One H.264 track. `feed` returns the bytes to send/write for each access unit."""

    def __init__(self) -> None:
        self.sps: bytes | None = None
        self.pps: bytes | None = None
        self.width = self.height = 0
        self.init_segment: bytes | None = None
        self._seq = 0
        self._t0: int | None = None
        self._last_ts: int | None = None
        self._unwrapped = 0
        self._duration = TIMESCALE // 15

    @property
    def mime(self) -> str:
        if self.sps is None:
            return 'video/mp4; codecs="avc1"'
        return f'video/mp4; codecs="avc1.{self.sps[1:4].hex().upper()}"'

    def feed(self, unit: AccessUnit) -> list[bytes]:
        """[init segment (first time, or when SPS/PPS change), fragment]; [] before the first
        key frame with its SPS and PPS."""
        out: list[bytes] = []
        for nal in unit.nals:
            kind = nal[0] & 0x1F
            if kind == NAL_SPS and nal != self.sps:
                self.sps, self.init_segment = nal, None
            elif kind == NAL_PPS and nal != self.pps:
                self.pps, self.init_segment = nal, None
        if self.init_segment is None:
            if self.sps is None or self.pps is None or not unit.keyframe:
                return []
            self.width, self.height = sps_size(self.sps)
            self.init_segment = self._init()
            out.append(self.init_segment)
        out.append(self._fragment(unit))
        return out

    def _time(self, ts: int) -> int:
        if self._last_ts is not None:
            delta = (ts - self._last_ts) & 0xFFFFFFFF
            if delta >= 0x80000000:
                delta = 0  # reordered or restarted: keep time monotonic
            if 0 < delta < TIMESCALE * 5:
                self._duration = delta
            self._unwrapped += delta
        self._last_ts = ts
        return self._unwrapped

    def _fragment(self, unit: AccessUnit) -> bytes:
        decode_time = self._time(unit.timestamp)
        sample = b"".join(
            struct.pack(">I", len(nal)) + nal
            for nal in unit.nals
            if nal[0] & 0x1F not in (NAL_SPS, NAL_PPS, NAL_AUD)
        )
        self._seq += 1
        key = any(nal[0] & 0x1F == NAL_IDR for nal in unit.nals)
        flags = 0x02000000 if key else 0x01010000
        trun_size = 12 + 4 + 4 + 12
        traf_size = 8 + 16 + 20 + trun_size
        moof_size = 8 + 16 + traf_size
        trun = full_box(
            b"trun",
            0,
            0x000701,
            struct.pack(">IiIII", 1, moof_size + 8, self._duration, len(sample), flags),
        )
        traf = box(
            b"traf",
            full_box(b"tfhd", 0, 0x020000, struct.pack(">I", 1)),
            full_box(b"tfdt", 1, 0, struct.pack(">Q", decode_time)),
            trun,
        )
        moof = box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", self._seq)), traf)
        assert len(moof) == moof_size
        return moof + box(b"mdat", sample)

    def _init(self) -> bytes:
        assert self.sps is not None
        assert self.pps is not None
        sps, pps, w, h = self.sps, self.pps, self.width, self.height
        avcc = box(
            b"avcC",
            bytes((1, sps[1], sps[2], sps[3], 0xFF, 0xE1)),
            struct.pack(">H", len(sps)) + sps,
            b"\x01" + struct.pack(">H", len(pps)) + pps,
        )
        avc1 = box(
            b"avc1",
            bytes(6) + struct.pack(">H", 1) + bytes(16),
            struct.pack(">HHIIIH", w, h, 0x00480000, 0x00480000, 0, 1),
            bytes(32) + struct.pack(">Hh", 0x18, -1),
            avcc,
        )
        stbl = box(
            b"stbl",
            full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
            full_box(b"stts", 0, 0, struct.pack(">I", 0)),
            full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
            full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
            full_box(b"stco", 0, 0, struct.pack(">I", 0)),
        )
        minf = box(
            b"minf",
            full_box(b"vmhd", 0, 1, bytes(8)),
            box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))),
            stbl,
        )
        mdia = box(
            b"mdia",
            full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, 0, 0x55C4, 0)),
            full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"ecopatrol video\x00"),
            minf,
        )
        tkhd = full_box(
            b"tkhd",
            0,
            3,
            struct.pack(">IIIII", 0, 0, 1, 0, 0),
            bytes(8),
            struct.pack(">hhhH", 0, 0, 0, 0),
            _MATRIX,
            struct.pack(">II", w << 16, h << 16),
        )
        mvhd = full_box(
            b"mvhd",
            0,
            0,
            struct.pack(">IIIIIH", 0, 0, 1000, 0, 0x00010000, 0x0100),
            bytes(10),
            _MATRIX,
            bytes(24),
            struct.pack(">I", 2),
        )
        trex = full_box(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, 0, 0, 0))
        moov = box(b"moov", mvhd, box(b"trak", tkhd, mdia), box(b"mvex", trex))
        ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso6avc1mp41")
        return ftyp + moov
