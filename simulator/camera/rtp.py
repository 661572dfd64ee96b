"""RTP packetization of H.264 (RFC 3550 headers, RFC 6184 payloads), sans-I/O.

What a companion computer or an IP camera sends to QGroundControl's UDP port 5600: payload type
96 (dynamic, ``a=rtpmap:96 H264/90000``), a 90 kHz time stamp per frame, the marker bit on the
last packet of each frame. A NAL unit that fits in `mtu_payload` bytes goes in one packet
(single NAL unit mode); a larger one is cut into FU-A fragments.

>>> p = RtpH264Packetizer(ssrc=1, mtu_payload=10)
>>> pkts = p.packetize([b"\\x65" + bytes(20)], timestamp=90)
>>> [(pk[1] >> 7, pk[12] & 0x1F, pk[13] >> 6) for pk in pkts]   # marker, type 28, S/E bits
[(0, 28, 2), (0, 28, 0), (1, 28, 1)]
"""

from __future__ import annotations

import struct

PAYLOAD_TYPE = 96
FU_A = 28
CLOCK_HZ = 90_000


class RtpH264Packetizer:
    """One RTP stream (one SSRC): access units in, datagrams out."""

    def __init__(
        self, ssrc: int, mtu_payload: int = 1200, payload_type: int = PAYLOAD_TYPE
    ) -> None:
        if mtu_payload < 3:
            raise ValueError(f"mtu_payload must be at least 3, got {mtu_payload}")
        self.ssrc, self.mtu_payload, self.payload_type = ssrc, mtu_payload, payload_type
        self.seq = 0

    def _header(self, marker: bool, timestamp: int) -> bytes:
        self.seq = (self.seq + 1) & 0xFFFF
        byte1 = (0x80 if marker else 0) | self.payload_type
        return struct.pack("!BBHII", 0x80, byte1, self.seq, timestamp & 0xFFFFFFFF, self.ssrc)

    def packetize(self, nals: list[bytes], timestamp: int) -> list[bytes]:
        """The RTP packets of one access unit (all `nals` of one frame, time `timestamp`)."""
        payloads: list[bytes] = []
        for nal in nals:
            if len(nal) <= self.mtu_payload:
                payloads.append(nal)
                continue
            indicator = (nal[0] & 0xE0) | FU_A
            kind = nal[0] & 0x1F
            body = nal[1:]
            step = self.mtu_payload - 2
            for start in range(0, len(body), step):
                first, last = start == 0, start + step >= len(body)
                fu_header = (0x80 if first else 0) | (0x40 if last else 0) | kind
                payloads.append(bytes((indicator, fu_header)) + body[start : start + step])
        return [
            self._header(i == len(payloads) - 1, timestamp) + payload
            for i, payload in enumerate(payloads)
        ]
