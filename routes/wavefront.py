"""Wavefront swaths: passes across long winding water, one wave-width apart.

Picture water let in at one end of a river and spreading at one speed: its front, taken every
swath width, gives passes that cross the river from bank to bank and bend with it round every
meander and island. They are the level sets of the geodesic distance (the shortest distance inside
the area) from the far end, so by the coarea formula their total length is the area over the
width, with none of the waste of a whole extra pass where the river is a fraction of a pass
wider than a whole number of passes (the loss of passes along the channel, `routes.channel`).
What they pay instead is a turn at each bank. Passes stop ``end_inset_frac`` of a width short of
the shore; `tilt_ends` widens each turn so the corner left between two turns shrinks to almost
nothing, and `extend_into_gaps` flies pass ends on into the wedges left where a pass meets the
shore at a slant. Runs (`runs`) are the stretches between the splits and merges of the fronts
round islands.

The distance is computed on a grid (32-neighbour Dijkstra from scipy, about 1 % from the true
distance) and the fronts are drawn by contourpy; passes are then clipped to the area, so a coarse
grid makes passes less even, never unsafe.

>>> from shapely.geometry import box
>>> levels = wavefront_levels(box(0, 0, 2000, 300), 100)
>>> len(levels), sum(p.length for pieces in levels for p in pieces) > 0.9 * 600_000 / 100
(21, True)
>>> passes = [p for pieces in levels for p in pieces]
>>> all(box(0, 0, 2000, 300).contains(p) for p in passes)
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import contourpy
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.corners import smooth_path
from routes.flight_time import WpNav
from routes.geometry import polygons, substring
from routes.types import Swath

#: grid steps of the 32-neighbour stencil (the other half follow by symmetry): shortest paths
#: on it are at most about 1 % longer than straight lines
_STEPS = (
    *((0, 1), (1, 0), (1, 1), (1, -1)),
    *((1, 2), (2, 1), (1, -2), (2, -1)),
    *((1, 3), (3, 1), (2, 3), (3, 2), (1, -3), (3, -1), (2, -3), (3, -2)),
)


@dataclass(frozen=True, slots=True)
class _Grid:
    x: NDArray[np.float64]  # 2-D node coordinates
    y: NDArray[np.float64]
    node: NDArray[np.bool_]  # grid points that are nodes: inside the area or just outside it
    inside: NDArray[np.bool_]  # per node: inside the area
    graph: coo_matrix  # edges by length: both ways inside, one way from inside to outside


def _grid(area: Polygon, res: float) -> _Grid:
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(x0 - 3 * res, x1 + 4 * res, res)
    ys = np.arange(y0 - 3 * res, y1 + 4 * res, res)
    x, y = np.meshgrid(xs, ys)
    shapely.prepare(area)
    # nodes just outside the shore carry the distance on, so the fronts reach the shore
    node = np.asarray(shapely.contains_xy(area.buffer(2.5 * res, quad_segs=2), x, y), dtype=bool)
    idx = np.full(x.shape, -1, dtype=np.int64)
    idx[node] = np.arange(int(node.sum()))
    px, py = x[node], y[node]
    inside = np.asarray(shapely.contains_xy(area, px, py), dtype=bool)
    rows, cols, lengths = [], [], []
    h, w = x.shape
    for di, dj in _STEPS:
        i0, j0 = max(0, -di), max(0, -dj)
        a = idx[i0 : h - max(0, di), j0 : w - max(0, dj)]
        b = idx[i0 + di : i0 + di + a.shape[0], j0 + dj : j0 + dj + a.shape[1]]
        ok = (a >= 0) & (b >= 0)
        ia, ib = a[ok], b[ok]
        # no edge across a narrow spit of land or an island's tip: its midpoint must be inside
        mid = shapely.contains_xy(area, (px[ia] + px[ib]) / 2, (py[ia] + py[ib]) / 2)
        both = mid & inside[ia] & inside[ib]
        length = res * math.hypot(di, dj)
        for src, dst, keep in (
            (ia, ib, both | (inside[ia] & ~inside[ib])),
            (ib, ia, both | (inside[ib] & ~inside[ia])),
        ):
            rows.append(src[keep])
            cols.append(dst[keep])
            lengths.append(np.full(int(keep.sum()), length))
    n = int(node.sum())
    graph = coo_matrix(
        (np.concatenate(lengths), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return _Grid(x, y, node, inside, graph)


def distance_field(area: Polygon, res: float) -> tuple[_Grid, NDArray[np.float64]]:
    """Geodesic distance from one end of ``area`` at every grid node (NaN off the grid).

    Each piece of water the grid sees as connected gets its own far end: the node farthest from
    an arbitrary one (two sweeps give a good approximation of the longest way through).
    """
    grid = _grid(area, res)
    graph = grid.graph.tocsr()
    inner = np.flatnonzero(grid.inside)
    n, labels = connected_components(graph[inner][:, inner], directed=False)
    dist = np.full(graph.shape[0], np.nan)
    for label in range(n):
        nodes = inner[labels == label]
        d0 = dijkstra(graph, indices=int(nodes[0]))
        far = int(nodes[np.argmax(d0[nodes])])
        d = dijkstra(graph, indices=far)
        fresh = np.isfinite(d) & np.isnan(dist)
        dist[fresh] = d[fresh]
    field = np.full(grid.x.shape, np.nan)
    field[grid.node] = dist
    return grid, field


def wavefront_levels(
    area: Polygon, width_m: float, *, reach_frac: float = 0.05, max_nodes: int = 150_000
) -> list[list[LineString]]:
    """The fronts, ``width_m`` apart, clipped to the area less ``reach_frac`` of a width.

    Each level is a list of pieces (a front splits round an island). The grid step is a sixth
    of the width, coarser when the area would need more than ``max_nodes`` nodes.
    """
    res = max(width_m / 6, math.sqrt(area.area / max_nodes))
    grid, field = distance_field(area, res)
    if not np.isfinite(field).any():
        return []
    top = float(np.nanmax(field[grid.node][grid.inside]))
    count = max(1, math.ceil(top / width_m))
    step = top / count  # even spacing, at most a width, first and last half a step from the ends
    gen = contourpy.contour_generator(
        grid.x, grid.y, np.ma.masked_invalid(field), line_type=contourpy.LineType.Separate
    )
    inset = area.buffer(-reach_frac * width_m, quad_segs=4)
    shapely.prepare(inset)
    tol = width_m / 200
    levels: list[list[LineString]] = []
    for k in range(count):
        found = cast("list[NDArray[np.float64]]", gen.lines(step / 2 + k * step))
        lines = [LineString(xy) for xy in found if len(xy) > 1]
        pieces: list[LineString] = []
        for clipped in shapely.intersection(np.array(lines, dtype=object), inset):
            for part in getattr(clipped, "geoms", [clipped]):
                simple = part.simplify(tol) if part.length > tol else None
                if isinstance(part, LineString) and isinstance(simple, LineString):
                    pieces.append(simple)
        levels.append(pieces)
    return levels


def runs(levels: Sequence[Sequence[LineString]], width_m: float) -> list[list[LineString]]:
    """Chain the pieces into runs flown back and forth: each piece beside the one before.

    Two pieces are beside each other when the middle of one lies within 1.5 widths of the
    other (consecutive fronts are a width apart all along; the two arms of a front split by an
    island come that close only near its tips). A run goes on while one piece of a level lies
    beside exactly one of the next; a front that splits (round an island) or merges ends its
    runs and starts new ones. Pieces in a run are oriented alike (each starts beside the
    previous one's start).
    """
    done: list[list[LineString]] = []
    open_runs: list[list[LineString]] = []
    reach = 1.5 * width_m

    def beside(p: LineString, q: LineString) -> bool:
        mid_p, mid_q = p.interpolate(0.5, normalized=True), q.interpolate(0.5, normalized=True)
        return bool(q.distance(mid_p) <= reach or p.distance(mid_q) <= reach)

    for pieces in levels:
        if not pieces:
            done += open_runs
            open_runs = []
            continue
        lasts = [r[-1] for r in open_runs]
        near = [[i for i, q in enumerate(lasts) if beside(p, q)] for p in pieces]
        fans = [sum(i in n for n in near) for i in range(len(lasts))]
        nxt: list[list[LineString]] = []
        used: set[int] = set()
        for p, n in zip(pieces, near, strict=True):
            if len(n) == 1 and fans[n[0]] == 1:
                run = open_runs[n[0]]
                used.add(n[0])
                head = Point(run[-1].coords[0])
                if head.distance(Point(p.coords[-1])) < head.distance(Point(p.coords[0])):
                    p = p.reverse()
                run.append(p)
                nxt.append(run)
            else:
                nxt.append([p])
        done += [r for i, r in enumerate(open_runs) if i not in used]
        open_runs = nxt
    return done + open_runs


@dataclass(frozen=True, slots=True)
class Pass:
    """A front, as far as a pass may reach, and the part of it flown (metres along it)."""

    front: LineString
    start_m: float
    end_m: float

    def flown(self) -> LineString:
        return substring(self.front, self.start_m, self.end_m)


def trimmed(front: LineString, inset: BaseGeometry) -> Pass:
    """The pass flying the part of ``front`` inside ``inset`` (all of it if none is)."""
    part = front.intersection(inset)
    ends = [g for g in getattr(part, "geoms", [part]) if isinstance(g, LineString) and g.length]
    if not ends:
        return Pass(front, 0.0, float(front.length))
    a = float(front.project(Point(ends[0].coords[0])))
    b = float(front.project(Point(ends[-1].coords[-1])))
    return Pass(front, min(a, b), max(a, b))


def back_and_forth(run: Sequence[Pass], flip: bool = False) -> list[LineString]:
    """The passes of a run as flown: every other one reversed (the first too, with ``flip``)."""
    return [p.flown().reverse() if (i + flip) % 2 else p.flown() for i, p in enumerate(run)]


def extend_into_gaps(
    passes: Sequence[Pass], gaps: BaseGeometry, width_m: float, min_area_frac: float = 0.02
) -> list[Pass]:
    """Fly pass ends further along their fronts, so their half-swath reaches the gaps ahead.

    Where a pass meets the shore at a slant, its turn cuts the acute corner and leaves a wedge
    of water ahead of the pass end. Gaps over ``min_area_frac`` of a width squared are sampled
    along their outline; each point goes to the pass end that covers it with the least
    extension, and each end is extended as far as its points need (at most to its front's end).
    Points no end can reach (beside the pass rather than ahead of it) are left to
    `routes.gapfill`.
    """
    half = width_m / 2
    ends = [(i, at_end) for i in range(len(passes)) for at_end in (False, True)]
    tips = [
        Point(p.front.interpolate(p.end_m if at_end else p.start_m))
        for p in passes
        for at_end in (False, True)
    ]
    need = np.zeros(len(ends))
    tree = shapely.STRtree(tips)
    for piece in polygons(gaps):
        if piece.area < min_area_frac * width_m * width_m:
            continue
        pts = shapely.get_coordinates(shapely.segmentize(piece.exterior, width_m / 16))
        best = np.full(len(pts), np.inf)
        owner = np.full(len(pts), -1)
        for k in tree.query(piece, predicate="dwithin", distance=width_m).tolist():
            i, at_end = ends[k]
            p = passes[i]
            pos = p.end_m if at_end else p.start_m
            room = p.front.length - pos if at_end else pos
            if room <= 0:
                continue
            tip = np.asarray(tips[k].coords[0])
            ahead = p.front.interpolate(pos + min(room, half) if at_end else pos - min(room, half))
            d = np.asarray(ahead.coords[0]) - tip
            d /= float(np.hypot(*d)) or 1.0
            rel = pts - tip
            along = rel @ d
            perp = np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0])
            t = along - np.sqrt(np.clip(half * half - perp * perp, 0.0, None))
            t = np.where((perp < half) & (t <= room), np.maximum(t, 0.0), np.inf)
            better = t < best
            best[better] = t[better]
            owner[better] = k
        for k in np.unique(owner[np.isfinite(best)]):
            need[k] = max(need[k], float(best[owner == k].max()))
    return [
        Pass(
            p.front,
            max(p.start_m - need[2 * i], 0.0),
            min(p.end_m + need[2 * i + 1], p.front.length),
        )
        for i, p in enumerate(passes)
    ]


def tilt_ends(
    passes: Sequence[LineString], shift_m: float, over_m: float, within: BaseGeometry
) -> list[LineString]:
    """Passes in flight order with each turn widened by ``shift_m`` at both ends.

    Two turns side by side at a bank leave an uncovered corner between them (the turns cover
    the shore only between their own passes); moving each pass end ``shift_m`` away from the
    pass it turns into, over its last ``over_m``, brings the ends on either side of the corner
    toward it. A tenth of a width shrinks the corner about tenfold for a fifth of a width of
    extra turn. Ends that would leave ``within`` stay where they are.
    """
    shapely.prepare(within)
    out = [np.asarray(p.coords, dtype=float) for p in passes]
    for k in range(len(out) - 1):
        a, b = out[k], out[k + 1]
        gap = b[0] - a[-1]
        span = float(np.hypot(*gap))
        if span == 0 or span > 3 * over_m:
            continue
        u = gap / span
        if shapely.contains_xy(within, *(a[-1] - shift_m * u)):
            out[k] = _moved_end(a, -shift_m * u, over_m)
        if shapely.contains_xy(within, *(b[0] + shift_m * u)):
            out[k + 1] = _moved_end(b[::-1], shift_m * u, over_m)[::-1]
    return [LineString(xy) for xy in out]


def _moved_end(
    xy: NDArray[np.float64], by: NDArray[np.float64], over_m: float
) -> NDArray[np.float64]:
    """``xy`` with its last point moved by ``by``, the move spread over the last ``over_m``."""
    line = LineString(xy)
    if line.length <= 2 * over_m:
        return xy
    keep = np.asarray(substring(line, 0.0, line.length - over_m).coords)
    return np.vstack([keep, xy[-1] + by])


@dataclass(frozen=True, slots=True)
class WavefrontSwaths:
    """Passes along the wavefront from the far end (the swath generator for river crossings).

    ``angle_rad`` is ignored: the passes follow the water. Swaths of one run share a ``group``;
    ``index`` orders them along it. Passes stop ``end_inset_frac`` of a width from the shore;
    their fronts go on to ``reach_frac`` of a width from it, for `extend_into_gaps`.

    Fronts are traced every few metres, and ``nav`` flies a curve of waypoints that close
    slowly (issue 22: 73 of the islands lake's 176 minutes were lost at their corners): each
    is flown with few corners (`smooth_path`), moved ``smooth_frac`` of a width at most.
    """

    end_inset_frac: float = 0.35
    reach_frac: float = 0.05
    max_nodes: int = 150_000
    smooth_frac: float = 0.05
    nav: WpNav = field(default_factory=WpNav)

    def runs(self, area: BaseGeometry, width_m: float) -> list[list[Pass]]:
        """The passes of each run, in order, oriented alike."""
        if width_m <= 0:
            raise ValueError(f"swath width must be positive, got {width_m}")
        out: list[list[Pass]] = []
        for poly in polygons(area):
            inset = poly.buffer(-self.end_inset_frac * width_m, quad_segs=4)
            shapely.prepare(inset)
            levels = wavefront_levels(
                poly, width_m, reach_frac=self.reach_frac, max_nodes=self.max_nodes
            )
            levels = [[self.smoothed(f, poly, width_m) for f in fronts] for fronts in levels]
            out += [[trimmed(front, inset) for front in run] for run in runs(levels, width_m)]
        return out

    def smoothed(self, front: LineString, poly: Polygon, width_m: float) -> LineString:
        """``front`` with few corners (`smooth_path`), every new leg inside ``poly``."""
        if self.smooth_frac <= 0:
            return front
        shapely.prepare(poly)
        xy = smooth_path(
            front.coords, self.nav, tol_m=self.smooth_frac * width_m, legal=poly.covers
        )
        return LineString(xy)

    def generate(self, area: Polygon, width_m: float, angle_rad: float) -> list[Swath]:
        out: list[Swath] = []
        for group, run in enumerate(self.runs(area, width_m)):
            out += [Swath(p.flown(), closed=False, group=group, index=i) for i, p in enumerate(run)]
        return out
