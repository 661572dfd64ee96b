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
from numpy.typing import NDArray
from shapely.geometry import Polygon

from routes.geometry import rotate, rotate_xy
from routes.types import Swath


class SwathGenerator(Protocol):
    """Passes covering ``area`` with the given width (``angle_rad`` may be ignored)."""

    def generate(self, area: Polygon, width_m: float, angle_rad: float) -> list[Swath]: ...


@dataclass(frozen=True, slots=True)
class ParallelSwaths:
    """Straight parallel passes at ``angle_rad`` (0 = along the x axis, east)."""

    inset_m: float = 0.05

    def segments(
        self, area: Polygon, width_m: float, angle_rad: float
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Pass end points (n, 2, 2) in the area's frame, and the sweep line of each pass."""
        if width_m <= 0:
            raise ValueError(f"swath width must be positive, got {width_m}")
        inner = area.buffer(-self.inset_m, quad_segs=2) if self.inset_m > 0 else area
        if inner.is_empty:
            return np.zeros((0, 2, 2)), np.zeros(0, dtype=np.int64)
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
        cuts = shapely.intersection(shapely.linestrings(pts), local)
        parts, line_idx = shapely.get_parts(cuts, return_index=True)
        keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 1e-6)
        parts, line_idx = parts[keep], line_idx[keep]
        if len(parts) == 0:
            return np.zeros((0, 2, 2)), np.zeros(0, dtype=np.int64)
        a = shapely.get_coordinates(shapely.get_point(parts, 0))
        b = shapely.get_coordinates(shapely.get_point(parts, -1))
        lo = np.where((a[:, 0] <= b[:, 0])[:, None], a, b)
        hi = np.where((a[:, 0] <= b[:, 0])[:, None], b, a)
        order = np.lexsort((lo[:, 0], line_idx))
        lo, hi, line_idx = lo[order], hi[order], line_idx[order]
        ends = np.stack([rotate_xy(lo, angle_rad), rotate_xy(hi, angle_rad)], axis=1)
        return ends, np.asarray(line_idx, dtype=np.int64)

    def generate(self, area: Polygon, width_m: float, angle_rad: float) -> list[Swath]:
        ends, idx = self.segments(area, width_m, angle_rad)
        if len(ends) == 0:
            return []
        lines = np.asarray(shapely.linestrings(ends))
        return [
            Swath(line, closed=False, group=0, index=int(k))
            for line, k in zip(lines, idx, strict=True)
        ]


def swath_cost(swaths: list[Swath], width_m: float, turn_cost_m: float) -> float:
    """Length of passes plus the turns between them and a penalty for split passes."""
    if not swaths:
        return math.inf
    length = sum(s.length_m for s in swaths)
    lines = {s.index for s in swaths}
    splits = len(swaths) - len(lines)
    return length + (len(swaths) * turn_cost_m) + splits * (4 * width_m + 2 * turn_cost_m)


def _segment_cost(
    ends: NDArray[np.float64], idx: NDArray[np.int64], width_m: float, turn_cost_m: float
) -> float:
    if len(ends) == 0:
        return math.inf
    length = float(np.hypot(*(ends[:, 1] - ends[:, 0]).T).sum())
    splits = len(idx) - len(np.unique(idx))
    return length + len(idx) * turn_cost_m + splits * (4 * width_m + 2 * turn_cost_m)


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
    # a lighter outline is enough to compare angles (cuts cost grows with the vertex count)
    probe = area.simplify(width_m / 8)
    probe = probe if isinstance(probe, Polygon) and not probe.is_empty else area
    for a in angles if angles is not None else candidate_angles(area):
        if isinstance(generator, ParallelSwaths):
            ends, idx = ParallelSwaths(inset_m=0.0).segments(probe, width_m, a)
            c = _segment_cost(ends, idx, width_m, turn_cost_m)
        else:
            c = swath_cost(generator.generate(area, width_m, a), width_m, turn_cost_m)
        if c < best_cost - 1e-6:
            best, best_cost = a, c
    return best
