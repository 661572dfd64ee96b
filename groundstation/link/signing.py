"""MAVLink 2 message signing: the station-wide key, timestamps and the SETUP_SIGNING message.

The signature itself is computed and checked by pymavlink's generated code (``MAVLink.signing``);
this module only decides the key, the clock and the policy for unsigned frames.

>>> len(key_from_passphrase("river patrol"))
32
>>> signing_timestamp(1420070400.0)
0
"""

from __future__ import annotations

import hashlib
import time
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
