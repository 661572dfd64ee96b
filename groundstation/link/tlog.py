"""Telemetry logs in QGroundControl / Mission Planner ``.tlog`` format.

A ``.tlog`` is a plain sequence of records: an 8-byte big-endian count of microseconds since the
Unix epoch, then one raw MAVLink frame. One file per vehicle per UTC day, appended to, so a
patrol can be replayed with ``mavlogdump.py`` or QGroundControl.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> logs = TlogWriter(d)
>>> logs.write(3, bytes([0xFE, 0, 7, 3, 1, 0, 0x12, 0x34]), unix_s=1.5)
>>> logs.close()
>>> [(t, len(f)) for t, f in read_tlog(next(d.iterdir()))]
[(1500000, 8)]
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

_STAMP = struct.Struct(">Q")


def tlog_path(directory: Path, sysid: int, unix_s: float) -> Path:
    """``<dir>/<YYYY-MM-DD>_sys<N>.tlog`` for the UTC day of ``unix_s``."""
    day = datetime.fromtimestamp(unix_s, tz=UTC).strftime("%Y-%m-%d")
    return directory / f"{day}_sys{sysid}.tlog"


class TlogWriter:
    """Appends frames to one ``.tlog`` per vehicle per day; files open lazily."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._files: dict[int, tuple[Path, BinaryIO]] = {}
        self.records = 0

    def write(self, sysid: int, frame: bytes, unix_s: float | None = None) -> None:
        """Append one frame seen or sent at ``unix_s`` (now when ``None``)."""
        now = time.time() if unix_s is None else unix_s
        path = tlog_path(self.directory, sysid, now)
        entry = self._files.get(sysid)
        if entry is None or entry[0] != path:
            if entry is not None:
                entry[1].close()
            self.directory.mkdir(parents=True, exist_ok=True)
            entry = (path, path.open("ab"))
            self._files[sysid] = entry
        entry[1].write(_STAMP.pack(int(now * 1_000_000)) + frame)
        self.records += 1

    def flush(self) -> None:
        for _, handle in self._files.values():
            handle.flush()

    def close(self) -> None:
        for _, handle in self._files.values():
            handle.close()
        self._files.clear()

    def paths(self) -> list[Path]:
        return [path for path, _ in self._files.values()]


def read_tlog(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(microseconds, frame)`` records; frame boundaries come from the MAVLink header."""
    data = Path(path).read_bytes()
    pos = 0
    while pos + 8 < len(data):
        (stamp,) = _STAMP.unpack_from(data, pos)
        pos += 8
        length = frame_length(data, pos)
        if length is None or pos + length > len(data):
            raise ValueError(f"{path}: unreadable record at byte {pos - 8}")
        yield stamp, data[pos : pos + length]
        pos += length


def frame_length(data: bytes, pos: int) -> int | None:
    """Length of the MAVLink frame at ``data[pos]`` from its header, or None if not a frame."""
    if pos + 3 > len(data):
        return None
    marker = data[pos]
    if marker == 0xFD:
        signed = 13 if data[pos + 2] & 0x01 else 0
        return 10 + data[pos + 1] + 2 + signed
    if marker == 0xFE:
        return 6 + data[pos + 1] + 2
    return None
