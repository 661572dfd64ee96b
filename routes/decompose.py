"""Decompose stage: split an area into cells that simple passes can cover.

`BoustrophedonCells` cuts the area across the sweep direction at its critical points (where a
sweep line splits or merges, i.e. local extremes of the outline and of each hole), then merges
the slices that join one-to-one, so each cell is monotone along the sweep and has no hole.

>>> from shapely.geometry import box
>>> ring = box(0, 0, 300, 300).difference(box(100, 100, 200, 200))
>>> cells = BoustrophedonCells().cells(ring, 0.0, 50)
>>> len(cells), round(sum(c.area for c in cells))
(4, 80000)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from routes.geometry import polygons, rotate


class Decomposer(Protocol):
    """Cells whose union is ``area``; ``angle_rad`` is the sweep direction."""

    def cells(self, area: Polygon, angle_rad: float, width_m: float) -> list[Polygon]: ...


@dataclass(frozen=True, slots=True)
class WholeArea:
    """No decomposition: the area is one cell."""

    def cells(self, area: Polygon, angle_rad: float, width_m: float) -> list[Polygon]:
        return [area]


def _critical_ys(poly: Polygon, tol: float) -> list[float]:
    ys: list[float] = []
    simple = poly.simplify(tol)
    for p in polygons(simple):
        for ring in [p.exterior, *p.interiors]:
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) < 3:
                continue
            y = xy[:, 1]
            prev, nxt = np.roll(y, 1), np.roll(y, -1)
            crit = ((prev >= y) & (nxt >= y)) | ((prev <= y) & (nxt <= y))
            ys.extend(float(v) for v in y[crit])
    return sorted(ys)


@dataclass(frozen=True, slots=True)
class BoustrophedonCells:
    """Trapezoidal (boustrophedon) decomposition along the sweep direction."""

    def cells(self, area: Polygon, angle_rad: float, width_m: float) -> list[Polygon]:
        local = rotate(area, -angle_rad)
        minx, miny, maxx, maxy = local.bounds
        cuts: list[float] = []
        for y in _critical_ys(Polygon(local.exterior, local.interiors), width_m / 4):  # type: ignore[attr-defined]
            if miny + width_m / 4 < y < maxy - width_m / 4 and (
                not cuts or y - cuts[-1] > width_m / 2
            ):
                cuts.append(y)
        edges = [miny - 1, *cuts, maxy + 1]
        slabs: list[list[Polygon]] = []
        for y0, y1 in itertools.pairwise(edges):
            slabs.append(polygons(local.intersection(box(minx - 1, y0, maxx + 1, y1))))
        # union-find over slab pieces, joining one-to-one neighbours
        flat: list[Polygon] = [p for s in slabs for p in s]
        parent = list(range(len(flat)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        offset = 0
        for s in range(len(slabs) - 1):
            lo, hi = slabs[s], slabs[s + 1]
            touch: list[list[int]] = [[] for _ in lo]
            back: list[list[int]] = [[] for _ in hi]
            if lo and hi:
                tree = shapely.STRtree(hi)
                for i, p in enumerate(lo):
                    for j in tree.query(p):
                        if p.intersection(hi[int(j)]).length > 1e-6:
                            touch[i].append(int(j))
                            back[int(j)].append(i)
            for i, js in enumerate(touch):
                if len(js) == 1 and len(back[js[0]]) == 1:
                    a, b = find(offset + i), find(offset + len(lo) + js[0])
                    parent[a] = b
            offset += len(lo)
        groups: dict[int, list[Polygon]] = {}
        for i, p in enumerate(flat):
            groups.setdefault(find(i), []).append(p)
        out: list[Polygon] = []
        for parts in groups.values():
            merged = shapely.unary_union(parts) if len(parts) > 1 else parts[0]
            for p in polygons(rotate(merged, angle_rad)):
                out.append(p)
        return out
