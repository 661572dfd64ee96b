"""Connect stage: join two points by the shortest path that stays inside the allowed region.

Strategies share the `Connector` protocol. `VisibilityConnector` goes straight when it can and
otherwise follows a visibility graph over the reflex corners of the region (holes and no-fly zones
removed from it), so a path never crosses an island or a hard no-fly zone. The shortest path
rounds each corner of the region with the few-metre legs of its outline (a zone's buffered
corner, an arc); ArduCopter flies such legs slowly, so the path then has its short legs merged
into single corners (`routes.corners`) wherever that is faster for the autopilot ``nav`` and
every leg stays inside the region.

>>> from shapely.geometry import Point, box
>>> region = box(0, 0, 100, 100).difference(box(40, 0, 60, 80))   # a wall from the bottom
>>> path = VisibilityConnector(region).link(Point(10, 10), Point(90, 10))
>>> region.buffer(0.01).covers(path), round(path.length) > 160
(True, True)
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import shapely
import shapely.ops
from numpy.typing import NDArray
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from routes.corners import fewer_corners
from routes.errors import UnreachableError, at
from routes.flight_time import WpNav
from routes.geometry import polygons


class Connector(Protocol):
    """Join two points; the result starts at ``a`` and ends at ``b``."""

    def link(self, a: Point, b: Point) -> LineString: ...

    def distance(self, a: Point, b: Point) -> float: ...


class StraightConnector:
    """Straight segments: for open space with no holes or no-fly zones."""

    def link(self, a: Point, b: Point) -> LineString:
        return LineString([a, b])

    def distance(self, a: Point, b: Point) -> float:
        return float(a.distance(b))


def _reflex_vertices(geom: BaseGeometry) -> NDArray[np.float64]:
    """Reflex corners of the free space (with their two neighbours), shape (n, 3, 2)."""
    out: list[NDArray[np.float64]] = []
    for poly in polygons(geom):
        poly = shapely.geometry.polygon.orient(poly, 1.0)
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) < 3:
                continue
            prev, nxt = np.roll(xy, 1, axis=0), np.roll(xy, -1, axis=0)
            a, b = xy - prev, nxt - xy
            cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
            mask = cross < 0
            out.append(np.stack([prev[mask], xy[mask], nxt[mask]], axis=1))
    if not out:
        return np.zeros((0, 3, 2))
    return np.concatenate(out)


class VisibilityConnector:
    """Shortest paths inside ``region`` (a polygon with holes), built lazily on first detour.

    ``clearance_m`` keeps detour corners that far from the region's edges; a detour is flown
    with fewer corners for the autopilot ``nav`` (None: the shortest path's own corners).
    """

    def __init__(
        self, region: BaseGeometry, clearance_m: float = 2.0, nav: WpNav | None = None
    ) -> None:
        self.region = region
        self.nav = nav
        self._check = region.buffer(0.005, quad_segs=2)
        shapely.prepare(self._check)
        self.clearance_m = clearance_m
        self._nodes: NDArray[np.float64] | None = None
        self._inner: BaseGeometry | None = None
        self._dist: NDArray[np.float64] = np.zeros((0, 0))
        self._next: NDArray[np.int64] = np.zeros((0, 0), dtype=np.int64)

    # -- the graph ---------------------------------------------------------------------------
    def _build(self) -> None:
        c = self.clearance_m
        inner = self.region.buffer(-c, quad_segs=2).simplify(c / 2)
        self._inner = inner
        corners = _reflex_vertices(inner)
        nodes = corners[:, 1, :]
        n = len(nodes)
        dist = np.full((n, n), np.inf)
        np.fill_diagonal(dist, 0.0)
        if n > 1:
            i, j = np.triu_indices(n, 1)
            ok = self._tangent(corners, i, j) & self._tangent(corners, j, i)
            i, j = i[ok], j[ok]
            lines = shapely.linestrings(np.stack([nodes[i], nodes[j]], axis=1))
            vis = shapely.covers(self._check, lines)
            i, j = i[vis], j[vis]
            d = np.hypot(*(nodes[i] - nodes[j]).T)
            dist[i, j] = d
            dist[j, i] = d
        nxt = np.tile(np.arange(n), (n, 1))
        for k in range(n):
            via = dist[:, k : k + 1] + dist[k : k + 1, :]
            better = via < dist
            if better.any():
                dist = np.where(better, via, dist)
                nxt = np.where(better, nxt[:, k : k + 1], nxt)
        self._nodes, self._dist, self._next = nodes, dist, nxt

    @staticmethod
    def _tangent(
        corners: NDArray[np.float64], i: NDArray[np.int64], j: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """True where the line corner i -> corner j leaves both neighbours of i on one side."""
        p, v, q = corners[i, 0], corners[i, 1], corners[i, 2]
        d = corners[j, 1] - v
        s1 = d[:, 0] * (p - v)[:, 1] - d[:, 1] * (p - v)[:, 0]
        s2 = d[:, 0] * (q - v)[:, 1] - d[:, 1] * (q - v)[:, 0]
        return np.asarray(s1 * s2 >= -1e-9)

    def _visible(self, p: Point, within_m: float = np.inf) -> NDArray[np.int64]:
        """Indices of the graph nodes within ``within_m`` of ``p`` that it sees."""
        assert self._nodes is not None
        xy = np.array([p.x, p.y])
        idx = np.flatnonzero(np.hypot(*(self._nodes - xy).T) <= within_m)
        if len(idx) == 0:
            return idx
        sub = self._nodes[idx]
        lines = shapely.linestrings(np.stack([np.broadcast_to(xy, sub.shape), sub], axis=1))
        return idx[np.asarray(shapely.covers(self._check, lines))]

    # -- queries -----------------------------------------------------------------------------
    def straight_ok(self, a: Point, b: Point) -> bool:
        return bool(self._check.covers(LineString([a, b]))) if a != b else True

    def link(self, a: Point, b: Point) -> LineString:
        if a.equals(b):
            return LineString([a, b])
        if self.straight_ok(a, b):
            return LineString([a, b])
        path = self._detour(a, b)[1]
        if self.nav is None or len(path.coords) < 3:
            return path
        inside = self._check.covers
        return LineString(fewer_corners(np.asarray(path.coords), self.nav, legal=inside))

    def distance(self, a: Point, b: Point) -> float:
        if a.equals(b) or self.straight_ok(a, b):
            return float(a.distance(b))
        return self._detour(a, b)[0]

    def _detour(self, a: Point, b: Point) -> tuple[float, LineString]:
        if self._nodes is None:
            self._build()
        assert self._nodes is not None
        for p in (a, b):
            if not self._check.covers(p):
                raise UnreachableError(
                    f"point {at(p.x, p.y)} is outside the allowed region", x=p.x, y=p.y
                )
        # nodes near the ends first: exact whenever the path found is no longer than the radius
        radius = max(2 * a.distance(b), 500.0)
        found = self._search(a, b, radius)
        if found is not None and found[0] <= radius:
            return found
        found = self._search(a, b, np.inf)
        if found is None:
            raise UnreachableError(
                f"no path inside the allowed region from {at(a.x, a.y)} "
                f"to {at(b.x, b.y)}: they are in separate parts"
            )
        return found

    def _step_in(self, p: Point) -> Point | None:
        """The nearest point ``clearance_m`` inside the region, if ``p`` reaches it straight.

        A point on the very edge of the region (a pass end on the shore) can fail to see any
        corner of the graph: every line from it grazes the edge beside it. It sees them from
        a step inside.
        """
        assert self._inner is not None
        if self._inner.is_empty:
            return None
        q = shapely.ops.nearest_points(self._inner, p)[0]
        return q if self.straight_ok(p, q) else None

    def _search(self, a: Point, b: Point, radius: float) -> tuple[float, LineString] | None:
        assert self._nodes is not None
        ends = []
        for p in (a, b):
            seen, via = self._visible(p, radius), p
            if len(seen) == 0 and radius == np.inf and (q := self._step_in(p)) is not None:
                seen, via = self._visible(q, radius), q
            ends.append((seen, via))
        (va, a_in), (vb, b_in) = ends
        if len(va) == 0 or len(vb) == 0:
            if radius == np.inf:
                raise UnreachableError(
                    f"no path inside the allowed region from {at(a.x, a.y)} to {at(b.x, b.y)}"
                )
            return None
        nodes = self._nodes
        da = np.hypot(*(nodes[va] - [a_in.x, a_in.y]).T) + a.distance(a_in)
        db = np.hypot(*(nodes[vb] - [b_in.x, b_in.y]).T) + b.distance(b_in)
        total = da[:, None] + self._dist[np.ix_(va, vb)] + db[None, :]
        k = int(np.argmin(total))
        best = float(total.flat[k])
        if not np.isfinite(best):
            return None
        u, v = int(va[k // len(vb)]), int(vb[k % len(vb)])
        pts = [(a.x, a.y), (a_in.x, a_in.y), tuple(nodes[u])]
        while u != v:
            u = int(self._next[u, v])
            pts.append(tuple(nodes[u]))
        pts += [(b_in.x, b_in.y), (b.x, b.y)]
        line = LineString(pts)
        return best, shapely.remove_repeated_points(line)
