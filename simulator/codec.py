"""Sans-I/O MAVLink codec around pymavlink's generated ardupilotmega dialect.

A `Parser` turns the bytes from one peer into messages (MAVLink 1 and 2 framing, optional
signature check); an `Encoder` turns one vehicle's messages into bytes with that vehicle's
system id and its own sequence numbers, signed when a key is set. No sockets, no `recv_match`.
"""

from __future__ import annotations

import time
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

MavMessage = Any
"""A pymavlink `MAVLink_message` (pymavlink ships no type information)."""

SIGNING_EPOCH_UNIX_S = 1420070400  # 2015-01-01, the MAVLink 2 signing timestamp origin

# ArduPilot accepts these unsigned even when signing is on (radios cannot sign).
_UNSIGNED_OK = frozenset({mavlink2.MAVLINK_MSG_ID_RADIO_STATUS})


def _signing_timestamp() -> int:
    return int((time.time() - SIGNING_EPOCH_UNIX_S) * 100_000)


class Parser:
    """Parses the byte stream of one peer; counts what it had to throw away."""

    def __init__(self, signing_key: bytes | None = None) -> None:
        self._mav = mavlink2.MAVLink(None, 0, 0)
        self._mav.robust_parsing = True
        if signing_key is not None:
            self._mav.signing.secret_key = signing_key
            self._mav.signing.timestamp = _signing_timestamp()
            self._mav.signing.allow_unsigned_callback = lambda _mav, msg_id: msg_id in _UNSIGNED_OK
        self.bad_frames = 0
        self.bad_signatures = 0
        self.unknown_ids = 0

    def feed(self, data: bytes) -> list[MavMessage]:
        """All complete, valid messages in `data` (plus what was buffered before)."""
        out: list[MavMessage] = []
        for msg in self._mav.parse_buffer(data) or []:
            if isinstance(msg, mavlink2.MAVLink_unknown):
                self.unknown_ids += 1  # no CRC_EXTRA to check it against: cannot trust it
                continue
            if msg.get_type() == "BAD_DATA":
                self.bad_frames += 1
                if "signature" in str(getattr(msg, "reason", "")).lower():
                    self.bad_signatures += 1
                continue
            out.append(msg)
        return out


class Encoder:
    """Packs messages as system `sysid`, component `compid`, MAVLink 2 (or 1 when asked)."""

    def __init__(self, sysid: int, compid: int = 1, signing_key: bytes | None = None) -> None:
        if not 1 <= sysid <= 255:
            raise ValueError(f"system id must be 1..255, got {sysid}")
        self.mav = mavlink2.MAVLink(None, sysid, compid)
        if signing_key is not None:
            self.mav.signing.secret_key = signing_key
            self.mav.signing.link_id = 0
            self.mav.signing.timestamp = _signing_timestamp()
            self.mav.signing.sign_outgoing = True
        self.mavlink1 = False

    def encode(self, msg: MavMessage) -> bytes | None:
        """The frame for `msg`, or None if it cannot travel in the framing in use."""
        if self.mavlink1 and msg.id > 255:
            return None
        buf: bytes = msg.pack(self.mav, force_mavlink1=self.mavlink1)
        self.mav.seq = (self.mav.seq + 1) % 256
        self.mav.total_packets_sent += 1
        return buf


def is_mavlink1(msg: MavMessage) -> bool:
    """True if `msg` arrived in MAVLink 1 framing."""
    buf = msg.get_msgbuf()
    return bool(buf) and buf[0] == mavlink2.PROTOCOL_MARKER_V1
