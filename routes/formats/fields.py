"""Checked conversions for the mission file readers: each bad value is a `MissionFormatError`
naming where it was, never a bare ValueError, TypeError or OverflowError from deep inside.

>>> e7(29.05253, "home"), integer(16.0, "command"), number(None, "param1")
(290525300, 16, nan)
>>> e7(float("inf"), "items[3].x")
Traceback (most recent call last):
...
routes.errors.MissionFormatError: items[3].x: not a finite number: inf
"""

from __future__ import annotations

import math
from typing import Any

from routes.errors import MissionFormatError

#: MISSION_ITEM_INT's x and y are int32: degrees x 1e7 must fit
_E7_LIMIT = (2**31 - 1) / 1e7


def number(v: Any, where: str) -> float:
    """A float; None (QGroundControl's null) is NaN, an infinity or a non-number is refused."""
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise MissionFormatError(f"{where}: not a number: {v!r}")
    try:
        out = float(v)
    except ValueError as exc:
        raise MissionFormatError(f"{where}: not a number: {v!r}") from exc
    if math.isinf(out):
        raise MissionFormatError(f"{where}: not a finite number: {v!r}")
    return out


def integer(v: Any, where: str) -> int:
    """A whole number (an integral float such as 16.0 too)."""
    f = number(v, where)
    if not f.is_integer():
        raise MissionFormatError(f"{where}: not a whole number: {v!r}")
    return int(f)


def e7(v: Any, where: str) -> int:
    """Degrees (or a position parameter) as MISSION_ITEM_INT's integer x 1e7."""
    f = number(v, where)
    if not math.isfinite(f) or abs(f) > _E7_LIMIT:
        raise MissionFormatError(f"{where}: not a coordinate: {v!r}")
    return round(f * 1e7)


def array(v: Any, where: str, length: int | None = None, of: str = "items") -> list[Any]:
    """A JSON array (of ``length`` items, if given)."""
    if not isinstance(v, list) or (length is not None and len(v) != length):
        want = f"{length} {of}" if length is not None else f"an array of {of}"
        raise MissionFormatError(f"{where}: expected {want}, got {v!r:.60}")
    return v


def table(v: Any, where: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(v, dict):
        raise MissionFormatError(f"{where}: expected an object, got {v!r:.60}")
    return v
