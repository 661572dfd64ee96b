"""The station's MAVLink signing key and the per-vehicle keys derived from it.

One 32-byte station key is kept in the data dir (``mavlink-signing-key``, mode 0600, like the
JWT secret) or given in the settings. Each vehicle's key is
``vehicle_key(station_key, sysid, generation)`` (HKDF-SHA256); the database holds only the
generation, which enrolment and rotation bump. Why derived rather than random per vehicle:
the one secret to protect and back up is the station key (a database dump or backup gives
no key), and a drone that is lost gives away only its own key, which a rotation retires.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from groundstation.config import Settings
from groundstation.errors import ConfigError
from groundstation.link.signing import vehicle_key

KEY_FILE = "mavlink-signing-key"


def load_or_create_station_key(data_dir: Path) -> bytes:
    """The key in ``data_dir/mavlink-signing-key`` (hex), created (0600) on first use."""
    path = data_dir / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    if text:
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ConfigError(f"{path}: not a 64-hex-digit MAVLink signing key")
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def station_key(settings: Settings) -> bytes:
    """The station key from the settings, else from (or into) the data dir."""
    if settings.link.signing_key is not None:
        return bytes.fromhex(settings.link.signing_key.get_secret_value())
    return load_or_create_station_key(settings.data_dir)


def key_for(station: bytes, sysid: int, generation: int | None) -> bytes | None:
    """The vehicle's current key, or None when it was never enrolled."""
    return None if generation is None else vehicle_key(station, sysid, generation)
