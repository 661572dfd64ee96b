"""``QGC WPL 110`` text files (tab separated; line 0 is home) to and from mission items.

Positions are written as float degrees with frame GLOBAL_RELATIVE_ALT (3) for items of frame 6,
as QGroundControl and MAVProxy do; reading maps them back, so a round trip gives the same items.

>>> from routes.mission import MissionItem
>>> items = (MissionItem(0, 0, 16, current=1, x=290525300, y=1191818400),
...          MissionItem(1, 6, 22, x=290525300, y=1191818400, z=60.0))
>>> text = dumps(items)
>>> text.splitlines()[0], text.splitlines()[2].split("\\t")[:4]
('QGC WPL 110', ['1', '0', '3', '22'])
>>> loads(text) == items
True
"""

from __future__ import annotations

from collections.abc import Sequence

from routes.errors import MissionFormatError
from routes.mission import (
    MAV_FRAME_GLOBAL_RELATIVE_ALT,
    MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
    MissionItem,
)

HEADER = "QGC WPL 110"


def _fmt(v: float) -> str:
    return (
        repr(float(v)) if not float(v).is_integer() else str(int(v)) if abs(v) < 1e15 else repr(v)
    )


def dumps(items: Sequence[MissionItem]) -> str:
    lines = [HEADER]
    for it in items:
        frame = (
            MAV_FRAME_GLOBAL_RELATIVE_ALT
            if it.frame == MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
            else it.frame
        )
        fields = [
            str(it.seq), str(it.current), str(frame), str(it.command),
            _fmt(it.param1), _fmt(it.param2), _fmt(it.param3), _fmt(it.param4),
            _fmt(it.x / 1e7), _fmt(it.y / 1e7), _fmt(it.z), str(it.autocontinue),
        ]  # fmt: skip
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def loads(text: str) -> tuple[MissionItem, ...]:
    """Parse a waypoints file; errors name the line and field."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("QGC WPL"):
        raise MissionFormatError("line 1: expected the header 'QGC WPL 110'", line=1)
    version = lines[0].split()[-1]
    if version != "110":
        raise MissionFormatError(f"line 1: unsupported WPL version {version}", line=1)
    items: list[MissionItem] = []
    for n, line in enumerate(lines[1:], start=2):
        f = line.split("\t") if "\t" in line else line.split()
        if len(f) != 12:
            raise MissionFormatError(f"line {n}: expected 12 fields, got {len(f)}", line=n)
        try:
            seq, cur, frame, cmd = (int(v) for v in f[:4])
            p = [float(v) for v in f[4:11]]
            auto = int(f[11])
        except ValueError as exc:
            raise MissionFormatError(f"line {n}: {exc}", line=n) from exc
        if seq != len(items):
            raise MissionFormatError(f"line {n}: sequence {seq}, expected {len(items)}", line=n)
        if frame == MAV_FRAME_GLOBAL_RELATIVE_ALT:
            frame = MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
        items.append(
            MissionItem(seq, frame, cmd, cur, auto, p[0], p[1], p[2], p[3],
                        x=round(p[4] * 1e7), y=round(p[5] * 1e7), z=p[6])
        )  # fmt: skip
    return tuple(items)
