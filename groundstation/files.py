"""Files only the station's own user may read: its data folder, database, secrets.

The data folder holds password hashes, photos, the token signing key and the MAVLink keys, so it
is created 0700 and its files 0600, whatever the umask. A folder or file found open to others
(made by an older version, or copied in) is tightened at start, with a log line saying so.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) 0700, or tighten it if others may read it."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
        return
    _tighten(path, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Tighten `path` to 0600 if it exists and others may read or write it."""
    if path.exists():
        _tighten(path, PRIVATE_FILE)


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (then only tighten it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        private_file(path)
        return
    os.close(fd)
    os.chmod(path, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077:
        os.chmod(path, current & ~0o077 | (mode & 0o700))
        log.warning(
            "%s was readable by other users (mode %o); now %o",
            path,
            current,
            stat.S_IMODE(path.stat().st_mode),
        )
