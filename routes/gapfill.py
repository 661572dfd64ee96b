"""Gap filling: extra passes over whatever the main passes left uncovered.

An uncovered piece narrower than a swath is covered by one pass along its centre line (the
longest path through its Voronoi skeleton); a wider piece gets parallel passes of its own.

>>> from shapely.geometry import LineString, box
>>> line = centerline(box(0, 0, 1000, 40), spacing_m=10)
>>> round(line.length) > 900, box(0, 0, 1000, 40).covers(line)
(True, True)
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

from routes.geometry import max_inscribed_radius, polygons
from routes.swaths import ParallelSwaths, best_angle
from routes.types import Swath


def _farthest(adj: dict[int, list[tuple[int, float]]], src: int) -> tuple[int, dict[int, int]]:
    dist = {src: 0.0}
    prev: dict[int, int] = {}
    heap = [(0.0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            nd = d + w
            if nd < dist.get(v, math.inf):
                dist[v] = nd
                prev[v] = u
                heapq.heappush(heap, (nd, v))
    far = max(dist, key=lambda k: dist[k])
    return far, prev


def centerline(poly: Polygon, spacing_m: float) -> LineString:
    """Approximate centre line of a thin polygon: longest path through its Voronoi skeleton."""
    boundary = shapely.segmentize(poly.boundary, max(spacing_m, 1e-3))
    pts = shapely.get_coordinates(boundary)
    c = poly.representative_point()
    fallback = LineString([c, c])
    if len(pts) < 4:
        return fallback
    edges = shapely.voronoi_polygons(MultiPoint(pts), only_edges=True)
    segs = [g for g in getattr(edges, "geoms", [edges]) if isinstance(g, LineString)]
    if not segs:
        return fallback
    arr = np.array(segs, dtype=object)
    inside = shapely.covers(poly, arr)
    ids: dict[tuple[float, float], int] = {}
    xy: list[tuple[float, float]] = []
    adj: dict[int, list[tuple[int, float]]] = {}

    def node(p: tuple[float, float]) -> int:
        key = (round(p[0], 3), round(p[1], 3))
        if key not in ids:
            ids[key] = len(xy)
            xy.append(key)
            adj[ids[key]] = []
        return ids[key]

    for seg in arr[inside]:
        cs = list(seg.coords)
        for a, b in itertools.pairwise(cs):
            u, v = node(a), node(b)
            if u != v:
                w = math.dist(a, b)
                adj[u].append((v, w))
                adj[v].append((u, w))
    if not xy:
        return fallback
    # the skeleton may fall apart where it grazes the outline: use its longest component
    seen: set[int] = set()
    start, best = 0, -1.0
    for node in adj:
        if node in seen:
            continue
        comp, stack, total = {node}, [node], 0.0
        while stack:
            u = stack.pop()
            for v, w in adj[u]:
                total += w
                if v not in comp:
                    comp.add(v)
                    stack.append(v)
        seen |= comp
        if total > best:
            start, best = node, total
    a, _ = _farthest(adj, start)
    b, prev = _farthest(adj, a)
    path = [b]
    while path[-1] != a:
        path.append(prev[path[-1]])
    if len(path) < 2:
        return fallback
    return LineString([xy[i] for i in path])


def _simply_connected(pieces: list[Polygon]) -> list[Polygon]:
    """Cut ring-shaped pieces open (one cut per hole) so each has a single centre line."""
    out: list[Polygon] = []
    for piece in pieces:
        if not piece.interiors:
            out.append(piece)
            continue
        maxx = piece.bounds[2]
        cuts = []
        for ring in piece.interiors:
            c = Polygon(ring).representative_point()
            cuts.append(LineString([(c.x, c.y), (maxx + 1, c.y)]).buffer(0.05, quad_segs=1))
        out += [p for p in polygons(piece.difference(shapely.union_all(cuts))) if not p.interiors]
    return out


def fill_gaps(
    area: BaseGeometry,
    paths: Sequence[BaseGeometry],
    width_m: float,
    min_piece_frac: float = 0.05,
) -> list[Swath]:
    """Passes over the parts of ``area`` farther than ``width_m / 2`` from every path.

    Pieces smaller than ``min_piece_frac * width_m**2`` are ignored (corner slivers).
    """
    if not paths:
        return []
    covered = shapely.union_all([p.buffer(width_m / 2, quad_segs=4) for p in paths])
    try:
        gaps = area.difference(covered)
    except shapely.errors.GEOSException:  # robustness failure: retry on a 1 cm grid
        gaps = shapely.difference(area, covered, grid_size=0.01)
    out: list[Swath] = []
    for piece in _simply_connected(polygons(gaps)):
        if piece.area < min_piece_frac * width_m * width_m:
            continue
        if 2 * max_inscribed_radius(piece) <= width_m * 1.1:
            line = centerline(piece, spacing_m=width_m / 8)
            out.append(Swath(line, closed=False, group=-1, index=len(out)))
        else:
            gen = ParallelSwaths()
            angle = best_angle(gen, piece, width_m)
            for s in gen.generate(piece, width_m, angle):
                out.append(Swath(s.path, closed=False, group=-1, index=len(out)))
    return out
