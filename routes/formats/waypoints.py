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
from routes.formats.fields import e7, integer, number
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
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if not lines or not lines[0][1].startswith("QGC WPL"):
        raise MissionFormatError("line 1: expected the header 'QGC WPL 110'", line=1)
    head, header = lines[0]
    version = header.split()[-1]
    if version != "110":
        raise MissionFormatError(f"line {head}: unsupported WPL version {version}", line=head)
    items: list[MissionItem] = []
    for n, line in lines[1:]:
        f = line.split("\t") if "\t" in line else line.split()
        if len(f) != 12:
            raise MissionFormatError(f"line {n}: expected 12 fields, got {len(f)}", line=n)
        at = f"line {n}"
        seq, cur, frame, cmd = (integer(v, f"{at}, field {k + 1}") for k, v in enumerate(f[:4]))
        p1, p2, p3, p4 = (number(v, f"{at}, field {k + 5}") for k, v in enumerate(f[4:8]))
        x, y = (e7(v, f"{at}, field {k + 9}") for k, v in enumerate(f[8:10]))
        z = number(f[10], f"{at}, field 11")
        auto = integer(f[11], f"{at}, field 12")
        if seq != len(items):
            raise MissionFormatError(f"line {n}: sequence {seq}, expected {len(items)}", line=n)
        if frame == MAV_FRAME_GLOBAL_RELATIVE_ALT:
            frame = MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
        items.append(MissionItem(seq, frame, cmd, cur, auto, p1, p2, p3, p4, x=x, y=y, z=z))
    return tuple(items)
