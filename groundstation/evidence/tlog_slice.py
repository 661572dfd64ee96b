"""The part of a drone's ``.tlog`` files that falls in a time window, as one ``.tlog``.

The station's telemetry logs are one file per vehicle per UTC day (:mod:`groundstation.link.tlog`);
a window may span midnight, so every day file it touches is read and the records with a
timestamp inside the window are kept, byte for byte, in order. The result is itself a valid
``.tlog`` (QGroundControl, ``mavlogdump.py``).

>>> import tempfile, pathlib
>>> from datetime import UTC, datetime
>>> from groundstation.link.tlog import TlogWriter
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> logs = TlogWriter(d)
>>> for t in (10.0, 20.0, 30.0):
...     logs.write(7, bytes([0xFE, 0, 7, 7, 1, 0, 0x12, 0x34]), unix_s=t)
>>> logs.close()
>>> at = lambda s: datetime.fromtimestamp(s, UTC)
>>> part, problems = tlog_slice(d, 7, at(15), at(25))
>>> len(part), problems
(16, [])
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from groundstation.link.tlog import read_tlog, tlog_path


def tlog_days(directory: Path, sysid: int, since: datetime, until: datetime) -> list[Path]:
    """The day files of `sysid` that the window touches and that exist, oldest first."""
    paths: list[Path] = []
    day = since
    while day.date() <= until.date():
        path = tlog_path(directory, sysid, day.timestamp())
        if path.exists() and path not in paths:
            paths.append(path)
        day += timedelta(days=1)
    last = tlog_path(directory, sysid, until.timestamp())
    if last.exists() and last not in paths:
        paths.append(last)
    return paths


def tlog_slice(
    directory: Path, sysid: int, since: datetime, until: datetime
) -> tuple[bytes, list[str]]:
    """The records of `sysid`'s tlogs stamped within `since`..`until` (empty if none), and
    what could not be read (a file cut short mid-record keeps what came before)."""
    lo, hi = int(since.timestamp() * 1_000_000), int(until.timestamp() * 1_000_000)
    out = bytearray()
    problems: list[str] = []
    for path in tlog_days(directory, sysid, since, until):
        try:
            for stamp, frame in read_tlog(path):
                if lo <= stamp <= hi:
                    out += stamp.to_bytes(8, "big") + frame
        except ValueError as exc:
            problems.append(str(exc))
    return bytes(out), problems
