"""MAVLink 2 message signing on the vehicle side, one state per vehicle.

The endpoint's parser does not check signatures (vehicles sharing a port may have different keys,
and SETUP_SIGNING can change one vehicle's key at run time); each vehicle's `SigningState` does:
a signed frame must carry the right SHA-256 signature and a timestamp newer than the last one of
its stream (link id, system, component), and a new stream may not start more than a minute in the
past. Unsigned frames are refused, except RADIO_STATUS, as ArduPilot does.

>>> state = SigningState(None)
>>> state.enabled
False
"""

from __future__ import annotations

import hashlib
import struct
import time

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import SIGNING_EPOCH_UNIX_S, Encoder, MavMessage

SIGNATURE_LEN = 13
NEW_STREAM_WINDOW = 6_000_000  # one minute in 10-microsecond units
_UNSIGNED_OK = frozenset({mavlink2.MAVLINK_MSG_ID_RADIO_STATUS})


def now_timestamp() -> int:
    """The current signing timestamp: 10 us units since 2015-01-01."""
    return int((time.time() - SIGNING_EPOCH_UNIX_S) * 100_000)


class SigningState:
    def __init__(self, key: bytes | None, timestamp: int | None = None) -> None:
        self.key: bytes | None = None
        self.timestamp = 0
        self.streams: dict[tuple[int, int, int], int] = {}
        self.rejected = 0
        self.set_key(key, timestamp)

    @property
    def enabled(self) -> bool:
        return self.key is not None

    def set_key(self, key: bytes | None, timestamp: int | None = None) -> None:
        """Use `key` from now on (None, or 32 zero bytes with timestamp 0: signing off, as
        ArduPilot's GCS_MAVLINK::load_signing_key decides)."""
        if key is not None and len(key) != 32:
            raise ValueError(f"signing key must be 32 bytes, got {len(key)}")
        off = key is None or (not any(key) and not timestamp)
        self.key = None if off else bytes(key)  # type: ignore[arg-type]
        self.timestamp = max(self.timestamp, timestamp or 0, now_timestamp())
        self.streams.clear()

    def apply_to(self, encoder: Encoder) -> None:
        """Make `encoder` sign (or stop signing) with this state's key."""
        sig = encoder.mav.signing
        sig.secret_key = self.key
        sig.sign_outgoing = self.key is not None
        sig.timestamp = max(sig.timestamp, self.timestamp)
        sig.link_id = 0

    def accept(self, msg: MavMessage) -> bool:
        """True if `msg` may be acted on under the current key."""
        if self.key is None:
            return True
        buf = bytes(msg.get_msgbuf())
        signed = len(buf) > SIGNATURE_LEN and buf[0] == mavlink2.PROTOCOL_MARKER_V2 and buf[2] & 1
        if not signed:
            ok = msg.get_msgId() in _UNSIGNED_OK
        else:
            ok = self._check(buf, msg.get_srcSystem(), msg.get_srcComponent())
        self.rejected += not ok
        return bool(ok)

    def _check(self, buf: bytes, sysid: int, compid: int) -> bool:
        assert self.key is not None
        link_id = buf[-SIGNATURE_LEN]
        low, high = struct.unpack("<IH", buf[-12:-6])
        stamp = low + (high << 32)
        stream = (link_id, sysid, compid)
        last = self.streams.get(stream)
        if last is not None and stamp <= last:
            return False
        if last is None and stamp + NEW_STREAM_WINDOW < self.timestamp:
            return False
        if hashlib.sha256(self.key + buf[:-6]).digest()[:6] != buf[-6:]:
            return False
        self.streams[stream] = stamp
        self.timestamp = max(self.timestamp, stamp)
        return True
