"""RTP/H.264 between the simulated camera's packetizer and the station's depacketizer."""

from __future__ import annotations

import numpy as np

from groundstation.video.decode import H264Decoder
from groundstation.video.rtp import RtpH264Depacketizer
from simulator.camera.h264 import H264Encoder
from simulator.camera.rtp import RtpH264Packetizer


def frames(n: int) -> list[list[bytes]]:
    enc = H264Encoder(160, 96, fps=5)
    rng = np.random.default_rng(1)
    return [enc.encode(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8)) for _ in range(n)]


def test_round_trip_through_fu_a_decodes_every_frame() -> None:
    """Noisy frames (NAL units far over the MTU) come back whole and all decode."""
    units = frames(6)
    assert max(len(nal) for u in units for nal in u) > 1200  # FU-A was needed
    pack, unpack, dec = RtpH264Packetizer(ssrc=5), RtpH264Depacketizer(), H264Decoder()
    out = []
    for i, nals in enumerate(units):
        for datagram in pack.packetize(nals, i * 18_000):
            out += unpack.feed(datagram)
    assert [u.nals for u in out] == [tuple(u) for u in units]
    pictures = [p for u in out for p in dec.decode(u)]
    assert len(pictures) == 6
    assert pictures[0].shape == (96, 160, 3)


def test_a_lost_packet_drops_frames_until_the_next_key_frame() -> None:
    """One datagram lost in frame 2 of a 5-frame GOP: frames 2-4 dropped, frame 5 (IDR) kept."""
    units = frames(7)  # key frames at 0 and 5
    pack, unpack = RtpH264Packetizer(ssrc=5), RtpH264Depacketizer()
    got = []
    for i, nals in enumerate(units):
        datagrams = pack.packetize(nals, i * 18_000)
        if i == 2:
            datagrams = datagrams[1:]
        for d in datagrams:
            got += [(u.timestamp // 18_000, u.keyframe) for u in unpack.feed(d)]
    assert got == [(0, True), (1, False), (5, True), (6, False)]
    assert unpack.lost == 1
    assert unpack.dropped_frames == 3


def test_garbage_and_other_payload_types_are_ignored() -> None:
    """Short datagrams, RTP version 1 and payload types other than 96 yield nothing."""
    unpack = RtpH264Depacketizer()
    assert unpack.feed(b"\x80") == []
    assert unpack.feed(bytes([0x40, 0xE0]) + bytes(12)) == []
    assert unpack.feed(bytes([0x80, 0x80 | 97]) + bytes(10) + b"\x65x") == []
    assert unpack.packets == 0
