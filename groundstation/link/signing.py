"""MAVLink 2 message signing: keys, timestamps, and checking what vehicles send.

Signatures are computed by pymavlink's generated code (``MAVLink.signing``) when the station
sends; frames from vehicles are checked here (:class:`SignatureVerifier`), per vehicle, because
every vehicle has its own key (:func:`vehicle_key`).

>>> len(key_from_passphrase("river patrol"))
32
>>> signing_timestamp(1420070400.0)
0
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: Seconds from the Unix epoch to 2015-01-01T00:00:00Z, the origin of signing timestamps.
SIGNING_EPOCH_S = 1420070400.0

#: Messages accepted unsigned even from a signed link, as ArduPilot does (radio status only).
ALWAYS_ALLOWED_UNSIGNED: frozenset[int] = frozenset({109})  # RADIO_STATUS


def key_from_passphrase(passphrase: str) -> bytes:
    """Derive a 32-byte secret key from a passphrase (SHA-256, as MAVProxy's ``signing setup``)."""
    if not passphrase:
        raise ValueError("signing passphrase must not be empty")
    return hashlib.sha256(passphrase.encode("utf-8")).digest()


def signing_timestamp(unix_s: float | None = None) -> int:
    """Signing timestamp in units of 10 µs since 2015-01-01 UTC."""
    now = time.time() if unix_s is None else unix_s
    return max(0, int((now - SIGNING_EPOCH_S) * 100_000))


@dataclass(frozen=True, slots=True)
class SigningConfig:
    """How a link signs what it sends and judges what it receives.

    ``key`` is the 32-byte station-wide secret. With ``reject_unsigned`` true, frames without a
    valid signature are dropped (and counted); otherwise they are accepted and counted as unsigned.
    """

    key: bytes
    reject_unsigned: bool = False
    link_id: int = 0
    sign_outgoing: bool = True
    allowed_unsigned_msgids: frozenset[int] = field(default=ALWAYS_ALLOWED_UNSIGNED)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValueError(f"signing key must be 32 bytes, got {len(self.key)}")
        if not 0 <= self.link_id <= 255:
            raise ValueError(f"signing link_id must be 0..255, got {self.link_id}")

    @classmethod
    def from_passphrase(cls, passphrase: str, *, reject_unsigned: bool = False) -> SigningConfig:
        """Build a config whose key is derived from ``passphrase``."""
        return cls(key=key_from_passphrase(passphrase), reject_unsigned=reject_unsigned)

    def apply(self, mav: Any, *, outgoing: bool) -> None:
        """Install this policy on a pymavlink ``MAVLink`` object (its ``signing`` state)."""
        mav.signing.secret_key = self.key
        mav.signing.link_id = self.link_id
        mav.signing.timestamp = signing_timestamp()
        mav.signing.sign_outgoing = outgoing and self.sign_outgoing
        allowed = self.allowed_unsigned_msgids
        reject = self.reject_unsigned

        def allow_unsigned(_mav: Any, msgid: int) -> bool:
            return (not reject) or msgid in allowed

        mav.signing.allow_unsigned_callback = allow_unsigned


# --- per-vehicle keys and checking what vehicles send --------------------------------------------

#: A stream new to the station may start at most this far behind its clock (one minute, as the
#: MAVLink signing spec and ArduPilot's ``mavlink_signature_check``).
NEW_STREAM_WINDOW = 6_000_000
SIGNATURE_LEN = 13
_IFLAG_SIGNED = 0x01


def hkdf_sha256(key: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """RFC 5869 HKDF with SHA-256 (extract, then expand to ``length`` bytes).

    >>> hkdf_sha256(bytes(32), b"x").hex()[:16] == hkdf_sha256(bytes(32), b"x").hex()[:16]
    True
    """
    prk = hmac.new(salt or bytes(32), key, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def vehicle_key(station_key: bytes, sysid: int, generation: int) -> bytes:
    """The signing key of vehicle ``sysid`` at key generation ``generation``.

    Derived from the station key, so the station stores one secret and the database only the
    generation; HKDF is one-way, so the key read out of a lost drone gives neither the station
    key nor any other vehicle's key, and a new generation (rotation, or the system id reused by
    another airframe) gives an unrelated key.

    >>> a = vehicle_key(bytes(range(32)), 3, 1)
    >>> len(a), a == vehicle_key(bytes(range(32)), 3, 2), a == vehicle_key(bytes(range(32)), 4, 1)
    (32, False, False)
    """
    if len(station_key) != 32:
        raise ValueError(f"station key must be 32 bytes, got {len(station_key)}")
    if not 1 <= sysid <= 255 or generation < 1:
        raise ValueError(f"bad vehicle key id: sysid {sysid}, generation {generation}")
    info = f"ecopatrol mavlink2 vehicle key v1 sysid={sysid} generation={generation}"
    return hkdf_sha256(station_key, info.encode("ascii"))


def is_signed(buf: bytes) -> bool:
    """True if ``buf`` (one whole frame) is a MAVLink 2 frame with the signed flag."""
    return len(buf) > SIGNATURE_LEN + 12 and buf[0] == 0xFD and bool(buf[2] & _IFLAG_SIGNED)


class Verdict(enum.StrEnum):
    """What :class:`SignatureVerifier` made of one frame."""

    OK = "ok"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    REPLAYED = "replayed"


class SignatureVerifier:
    """Checks frames from one vehicle against its key, with the spec's replay protection.

    Each stream (link id, system, component) must carry strictly increasing timestamps; a new
    stream may start at most a minute behind the station's clock. Unlike pymavlink's
    ``check_signature``, a stream's timestamp moves only after its signature checks out, so a
    forged frame with a far-future timestamp cannot lock the real vehicle out.
    """

    def __init__(self, allowed_unsigned: frozenset[int] = ALWAYS_ALLOWED_UNSIGNED) -> None:
        self.allowed_unsigned = allowed_unsigned
        self.streams: dict[tuple[int, int, int], int] = {}

    def reset(self) -> None:
        self.streams.clear()

    def check(
        self,
        buf: bytes,
        msgid: int,
        keys: Sequence[bytes],
        unsigned_ok: bool = False,
        now_ts: int | None = None,
    ) -> tuple[Verdict, int]:
        """The verdict on one frame, and the index in ``keys`` of the key that signed it
        (-1 when unsigned). Unsigned frames pass with ``unsigned_ok`` or an allowed msgid."""
        if not is_signed(buf):
            ok = unsigned_ok or msgid in self.allowed_unsigned
            return (Verdict.OK if ok else Verdict.UNSIGNED), -1
        if not keys:  # a signed frame from a vehicle without a key: nothing to check it with
            return (Verdict.OK if unsigned_ok else Verdict.BAD_SIGNATURE), -1
        link_id = buf[-SIGNATURE_LEN]
        low, high = struct.unpack("<IH", buf[-12:-6])
        stamp = low + (high << 32)
        stream = (link_id, buf[5], buf[6])
        last = self.streams.get(stream)
        if last is not None and stamp <= last:
            return Verdict.REPLAYED, -1
        now = signing_timestamp() if now_ts is None else now_ts
        if last is None and stamp + NEW_STREAM_WINDOW < now:
            return Verdict.REPLAYED, -1
        body = buf[:-6]
        signature = buf[-6:]
        for index, key in enumerate(keys):
            if hmac.compare_digest(hashlib.sha256(key + body).digest()[:6], signature):
                self.streams[stream] = stamp
                return Verdict.OK, index
        return Verdict.BAD_SIGNATURE, -1


class SigningClock:
    """The station's outgoing signing timestamp: wall clock, but never repeating or going back."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        self.last = max(self.last + 1, signing_timestamp())
        return self.last
