"""Sans-I/O MAVLink codec: bytes in, messages out; messages in, bytes out.

A thin wrapper around pymavlink's generated ``ardupilotmega`` dialect (MAVLink 2). It does no
I/O and keeps no clock: transports hand it bytes, it hands back decoded messages and counts what
it had to throw away (garbage between frames, bad CRCs, bad signatures, unknown message ids).

Unlike raw ``parse_buffer``, a frame that fails its CRC does not swallow the bytes after its
start marker: the parser resynchronises one byte later, so a real frame hidden behind garbage
that happens to contain ``0xFD`` is still found.

>>> enc = Encoder(system=255, component=190)
>>> dec = Decoder()
>>> frame = enc.encode(enc.mav.heartbeat_encode(6, 8, 0, 0, 4))
>>> [m.get_type() for m in dec.feed(b"junk" + frame[:5])]
[]
>>> [m.get_type() for m in dec.feed(frame[5:])]
['HEARTBEAT']
>>> dec.stats.garbage_bytes, dec.stats.frames
(4, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.signing import SigningConfig


class MavMessage(Protocol):
    """A MAVLink message, decoded or to encode: pymavlink's ``MAVLink_message`` (an untyped
    module), as the link uses it. The one message type of ``groundstation.link``: its type
    name and header are typed; its fields (``msg.lat``, ``msg.seq`` ...) are attributes that
    depend on the type, hence ``Any``."""

    def get_type(self) -> str: ...
    def get_srcSystem(self) -> int: ...
    def get_srcComponent(self) -> int: ...
    def __getattr__(self, name: str) -> Any: ...


#: Frames decoded per ``feed`` call before giving up on a pathological buffer.
_MAX_FRAMES_PER_FEED = 100_000


@dataclass(slots=True)
class CodecStats:
    """Counters for one decoder: what arrived and what was thrown away."""

    bytes_in: int = 0
    frames: int = 0
    garbage_bytes: int = 0
    bad_crc: int = 0
    bad_signature: int = 0
    unknown_msgid: int = 0
    truncated: int = 0
    signed_ok: int = 0

    @property
    def errors(self) -> int:
        """Every frame or run of bytes the decoder rejected."""
        return (
            self.bad_crc
            + self.bad_signature
            + self.unknown_msgid
            + self.truncated
            + (self.garbage_bytes > 0)
        )

    def add(self, other: CodecStats) -> None:
        """Accumulate ``other`` into this one (for per-link totals over per-peer decoders)."""
        self.bytes_in += other.bytes_in
        self.frames += other.frames
        self.garbage_bytes += other.garbage_bytes
        self.bad_crc += other.bad_crc
        self.bad_signature += other.bad_signature
        self.unknown_msgid += other.unknown_msgid
        self.truncated += other.truncated
        self.signed_ok += other.signed_ok


def _new_mav(system: int = 0, component: int = 0) -> Any:
    mav = mavlink.MAVLink(None, srcSystem=system, srcComponent=component)
    mav.robust_parsing = True
    return mav


class Decoder:
    """Turns a byte stream (or datagrams) from one peer into pymavlink messages."""

    def __init__(self, signing: SigningConfig | None = None) -> None:
        self._mav = _new_mav()
        self.stats = CodecStats()
        if signing is not None:
            signing.apply(self._mav, outgoing=False)

    def feed(self, data: bytes, *, datagram: bool = False) -> list[MavMessage]:
        """Add ``data`` and return every complete, valid message now available, in order.

        With ``datagram=True`` (UDP) frames never span two calls: bytes left over at the end
        are a truncated frame, counted and dropped, after looking inside them for real frames.
        """
        mav = self._mav
        self.stats.bytes_in += len(data)
        out: list[MavMessage] = []
        self._drain(mav.parse_char(data), out)
        if datagram:
            while mav.buf_len() > 0:
                rest = bytes(mav.buf[mav.buf_index + 1 :])
                self.stats.truncated += 1
                mav.buf = bytearray()
                mav.buf_index = 0
                mav.expected_length = mavlink.HEADER_LEN_V1 + 2
                self._drain(mav.parse_char(rest), out)
        return out

    def _drain(self, msg: MavMessage | None, out: list[MavMessage]) -> None:
        for _ in range(_MAX_FRAMES_PER_FEED):
            if msg is None:
                return
            self._accept(msg, out)
            msg = self._mav.parse_char(b"")

    def _accept(self, msg: MavMessage, out: list[MavMessage]) -> None:
        msgid = msg.get_msgId()
        if msgid == mavlink.MAVLINK_MSG_ID_BAD_DATA:
            reason: str = msg.reason
            if reason == "Bad prefix":
                self.stats.garbage_bytes += len(msg.data)
            elif reason == "Invalid signature":
                self.stats.bad_signature += 1
            else:
                # Bad CRC or an impossible header: the 0xFD/0xFE was not a real start marker.
                # Rewind so parsing resumes one byte after it.
                self.stats.bad_crc += 1
                self._resync(len(msg.data))
            return
        if msgid == mavlink.MAVLINK_MSG_ID_UNKNOWN:
            # Not in our dialect and not CRC-checkable: count and resynchronise.
            self.stats.unknown_msgid += 1
            self._resync(len(msg.data))
            return
        self.stats.frames += 1
        if getattr(msg, "_signed", False):
            self.stats.signed_ok += 1
        out.append(msg)

    def _resync(self, frame_len: int) -> None:
        mav = self._mav
        back = frame_len - 1
        if back > 0 and mav.buf_index >= back:
            mav.buf_index -= back
            mav.expected_length = mavlink.HEADER_LEN_V1 + 2


class Encoder:
    """Packs messages from one source (system, component) with its own sequence counter.

    ``mav`` exposes pymavlink's ``*_encode`` constructors: ``enc.encode(enc.mav.x_encode(...))``.
    """

    def __init__(
        self, system: int = 255, component: int = 190, signing: SigningConfig | None = None
    ) -> None:
        if not 1 <= system <= 255:
            raise ValueError(f"MAVLink system id must be 1..255, got {system}")
        if not 0 <= component <= 255:
            raise ValueError(f"MAVLink component id must be 0..255, got {component}")
        self.mav = _new_mav(system, component)
        self.frames_out = 0
        if signing is not None:
            signing.apply(self.mav, outgoing=True)

    @property
    def system(self) -> int:
        return int(self.mav.srcSystem)

    @property
    def component(self) -> int:
        return int(self.mav.srcComponent)

    def encode(self, msg: MavMessage) -> bytes:
        """Serialise ``msg`` as a MAVLink 2 frame (signed if signing is on) and advance seq."""
        mav = self.mav
        buf: bytes = msg.pack(mav)
        mav.seq = (mav.seq + 1) % 256
        self.frames_out += 1
        return buf

    def encode_for(self, msg: MavMessage, key: bytes | None, timestamp: int, link_id: int) -> bytes:
        """Serialise ``msg`` signed with ``key`` (one vehicle's key) at ``timestamp``, or
        unsigned when ``key`` is None; the encoder's own signing setup is left as it was."""
        sig = self.mav.signing
        saved = (sig.secret_key, sig.sign_outgoing, sig.timestamp, sig.link_id)
        sig.secret_key, sig.sign_outgoing = key, key is not None
        sig.timestamp, sig.link_id = timestamp, link_id
        try:
            return self.encode(msg)
        finally:
            sig.secret_key, sig.sign_outgoing, sig.timestamp, sig.link_id = saved


def message_name(msgid: int) -> str:
    """Name of a message id in the dialect, e.g. ``message_name(0) == 'HEARTBEAT'``.

    >>> message_name(33)
    'GLOBAL_POSITION_INT'
    """
    cls = mavlink.mavlink_map.get(msgid)
    return str(cls.msgname) if cls is not None else f"MSG_{msgid}"


def enum_name(enum: str, value: int) -> str:
    """Name of an enum entry, e.g. ``enum_name('MAV_RESULT', 2) == 'MAV_RESULT_DENIED'``.

    >>> enum_name("MAV_CMD", 400)
    'MAV_CMD_COMPONENT_ARM_DISARM'
    >>> enum_name("MAV_RESULT", 99)
    'MAV_RESULT_99'
    """
    entries = mavlink.enums.get(enum, {})
    entry = entries.get(value)
    return str(entry.name) if entry is not None else f"{enum}_{value}"
