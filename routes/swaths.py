"""Swath stage: passes over one cell at a given width and angle, and the best angle per cell.

`ParallelSwaths` lays straight passes ``width_m`` apart, centred so the margins at both sides are
equal and at most half a width (every point of a convex cell is within half a width of a pass).

>>> from shapely.geometry import box
>>> sw = ParallelSwaths().generate(box(0, 0, 400, 100), 50, 0.0)
>>> len(sw), [round(s.path.coords[0][1]) for s in sw]
(2, [25, 75])
>>> round(best_angle(ParallelSwaths(), box(0, 0, 400, 100), 50), 3)
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from routes.geometry import rotate
from routes.types import Swath


class SwathGenerator(Protocol):
    """Passes covering ``area`` with the given width (``angle_rad`` may be ignored)."""

    def generate(self, area: Polygon, width_m: float, angle_rad: float) -> list[Swath]: ...


@dataclass(frozen=True, slots=True)
class ParallelSwaths:
    """Straight parallel passes at ``angle_rad`` (0 = along the x axis, east)."""

    inset_m: float = 0.05

    def generate(self, area: Polygon, width_m: float, angle_rad: float) -> list[Swath]:
        if width_m <= 0:
            raise ValueError(f"swath width must be positive, got {width_m}")
        inner = area.buffer(-self.inset_m, quad_segs=2) if self.inset_m > 0 else area
        if inner.is_empty:
            return []
        local = rotate(inner, -angle_rad)
        minx, miny, maxx, maxy = local.bounds
        span = maxy - miny
        n = max(1, math.ceil(span / width_m - 1e-9))
        first = miny + (span - (n - 1) * width_m) / 2
        ys = first + width_m * np.arange(n)
        pts = np.stack(
            [
                np.column_stack([np.full(n, minx - 1), ys]),
                np.column_stack([np.full(n, maxx + 1), ys]),
            ],
            axis=1,
        )
        lines = shapely.linestrings(pts)
        cuts = np.asarray(shapely.intersection(lines, local))
        out: list[Swath] = []
        for k, cut in enumerate(cuts):
            parts = [g for g in getattr(cut, "geoms", [cut]) if isinstance(g, LineString)]
            parts = [p for p in parts if not p.is_empty and p.length > 1e-6]
            parts.sort(key=lambda p: min(p.coords[0][0], p.coords[-1][0]))
            for p in parts:
                (x0, y0), (x1, y1) = p.coords[0], p.coords[-1]
                if x0 > x1:
                    p = LineString([(x1, y1), (x0, y0)])
                back = rotate(p, angle_rad)
                assert isinstance(back, LineString)
                out.append(Swath(back, closed=False, group=0, index=k))
        return out


def swath_cost(swaths: list[Swath], width_m: float, turn_cost_m: float) -> float:
    """Length of passes plus the turns between them and a penalty for split passes."""
    if not swaths:
        return math.inf
    length = sum(s.length_m for s in swaths)
    lines = {s.index for s in swaths}
    splits = len(swaths) - len(lines)
    return length + (len(swaths) * turn_cost_m) + splits * (4 * width_m + 2 * turn_cost_m)


def candidate_angles(area: Polygon, n: int = 12) -> list[float]:
    """``n`` evenly spread angles in [0, pi) plus the directions of the area's longest edges."""
    angles = [math.pi * k / n for k in range(n)]
    rect = area.minimum_rotated_rectangle
    if isinstance(rect, Polygon):
        xy = np.asarray(rect.exterior.coords)
        d = np.diff(xy, axis=0)
        for dx, dy in d[:2]:
            angles.append(math.atan2(dy, dx) % math.pi)
    xy = np.asarray(area.exterior.coords)
    d = np.diff(xy, axis=0)
    lengths = np.hypot(d[:, 0], d[:, 1])
    for i in np.argsort(lengths)[::-1][:4]:
        angles.append(math.atan2(d[i, 1], d[i, 0]) % math.pi)
    return angles


def best_angle(
    generator: SwathGenerator,
    area: Polygon,
    width_m: float,
    turn_cost_m: float = 20.0,
    angles: list[float] | None = None,
) -> float:
    """The candidate angle whose passes cost least (length, turns, split passes)."""
    best, best_cost = 0.0, math.inf
    for a in angles if angles is not None else candidate_angles(area):
        c = swath_cost(generator.generate(area, width_m, a), width_m, turn_cost_m)
        if c < best_cost - 1e-6:
            best, best_cost = a, c
    return best
