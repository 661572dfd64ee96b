"""The one byte encoding that hashes and signatures are computed over.

JSON with sorted keys, no spaces, UTF-8 (not ASCII-escaped), times as ISO 8601 UTC with
microseconds. Two equal values always encode to the same bytes, whichever backend they were read
from, so a hash computed at write time can be recomputed by anyone later.

>>> canonical({"b": 1, "a": "é"})
b'{"a":"\\xc3\\xa9","b":1}'
>>> iso_utc(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
'2026-05-01T08:00:00.000000Z'
>>> sha256_hex(b"")[:16]
'e3b0c44298fc1c14'
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def canonical(value: Any) -> bytes:
    """`value` (JSON types only) as canonical JSON bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def json_roundtrip(value: Any) -> Any:
    """`value` as it reads back from a JSON column (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value, default=str))


def iso_utc(at: datetime) -> str:
    """`at` (timezone-aware) as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data`, lower-case hex."""
    return hashlib.sha256(data).hexdigest()
