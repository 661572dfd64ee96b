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
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.geometry import max_inscribed_radius, polygons, swath_cover
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


def _skeleton(
    poly: Polygon, spacing_m: float
) -> tuple[NDArray[np.float64], dict[int, list[tuple[int, float]]]]:
    """Nodes and adjacency of the Voronoi skeleton of ``poly`` (edges wholly inside it)."""
    outline = poly.boundary.simplify(spacing_m / 8)
    boundary = shapely.segmentize(outline, max(spacing_m, 1e-3))
    pts = shapely.get_coordinates(boundary)
    adj: dict[int, list[tuple[int, float]]] = {}
    if len(pts) < 4:
        return np.zeros((0, 2)), adj
    edges = shapely.voronoi_polygons(MultiPoint(pts), only_edges=True)
    segs = [g for g in getattr(edges, "geoms", [edges]) if isinstance(g, LineString)]
    if not segs:
        return np.zeros((0, 2)), adj
    arr = np.array(segs, dtype=object)
    inside = shapely.covers(poly, arr)
    ids: dict[tuple[float, float], int] = {}
    xy: list[tuple[float, float]] = []

    def node(p: tuple[float, float]) -> int:
        key = (round(p[0], 3), round(p[1], 3))
        if key not in ids:
            ids[key] = len(xy)
            xy.append(key)
            adj[ids[key]] = []
        return ids[key]

    for seg in arr[inside]:
        for a, b in itertools.pairwise(seg.coords):
            u, v = node(a), node(b)
            if u != v:
                w = math.dist(a, b)
                adj[u].append((v, w))
                adj[v].append((u, w))
    return np.asarray(xy, dtype=float).reshape(-1, 2), adj


def _components(adj: dict[int, list[tuple[int, float]]]) -> list[tuple[float, set[int]]]:
    seen: set[int] = set()
    out: list[tuple[float, set[int]]] = []
    for start in adj:
        if start in seen:
            continue
        comp, stack, total = {start}, [start], 0.0
        while stack:
            u = stack.pop()
            for v, w in adj[u]:
                total += w / 2
                if v not in comp:
                    comp.add(v)
                    stack.append(v)
        seen |= comp
        out.append((total, comp))
    return sorted(out, key=lambda c: -c[0])


def _path_to(adj: dict[int, list[tuple[int, float]]], src: int, targets: set[int]) -> list[int]:
    """Shortest path from ``src`` to the nearest node of ``targets``."""
    dist = {src: 0.0}
    prev: dict[int, int] = {}
    heap = [(0.0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if u in targets:
            path = [u]
            while path[-1] != src:
                path.append(prev[path[-1]])
            return path
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            if d + w < dist.get(v, math.inf):
                dist[v] = d + w
                prev[v] = u
                heapq.heappush(heap, (d + w, v))
    return [src]


def skeleton_paths(
    poly: Polygon, spacing_m: float, reach_m: float, max_paths: int = 40
) -> list[LineString]:
    """Passes along the skeleton of a thin polygon: its longest path, then a branch for each
    part of the skeleton farther than ``reach_m`` from the passes so far."""
    c = poly.representative_point()
    xy, adj = _skeleton(poly, spacing_m)
    if len(xy) == 0:
        return [LineString([c, c])]
    out: list[list[int]] = []
    for total, comp in _components(adj):
        if out and total < reach_m:
            break
        a, _ = _farthest(adj, next(iter(comp)))
        b, prev = _farthest(adj, a)
        path = [b]
        while path[-1] != a:
            path.append(prev[path[-1]])
        out.append(path)
        on = set(path)
        idx = np.array(sorted(comp))
        pts = shapely.points(xy[idx])
        chosen = LineString(xy[path]) if len(path) > 1 else Point(xy[path[0]])
        dist = shapely.distance(pts, chosen)
        while len(out) < max_paths:
            far = int(np.argmax(dist))
            if dist[far] <= reach_m:
                break
            branch = _path_to(adj, int(idx[far]), on)
            if len(branch) < 2:
                break
            out.append(branch)
            on |= set(branch)
            dist = np.minimum(dist, shapely.distance(pts, LineString(xy[branch])))
        if len(out) >= max_paths:
            break
    return [LineString(xy[p]) if len(p) > 1 else LineString([xy[p[0]], xy[p[0]]]) for p in out]


def centerline(poly: Polygon, spacing_m: float) -> LineString:
    """Approximate centre line of a thin polygon: the longest path through its Voronoi skeleton."""
    return skeleton_paths(poly, spacing_m, reach_m=math.inf, max_paths=1)[0]


def _as_lines(g: BaseGeometry) -> list[LineString]:
    if isinstance(g, LineString):
        return [g]
    return [p for p in getattr(g, "geoms", []) if isinstance(p, LineString)]


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


def uncovered(area: BaseGeometry, paths: Sequence[BaseGeometry], width_m: float) -> BaseGeometry:
    """The parts of ``area`` farther than ``width_m / 2`` from every path."""
    lines = [ln for p in paths for ln in _as_lines(p) if ln.length > 0 or len(ln.coords)]
    if not lines:
        return area
    covered = swath_cover(lines, width_m)
    try:
        return area.difference(covered)
    except shapely.errors.GEOSException:  # robustness failure: repair, then a 1 cm grid
        covered = shapely.make_valid(covered)
        try:
            return area.difference(covered)
        except shapely.errors.GEOSException:
            return shapely.difference(shapely.make_valid(area), covered, grid_size=0.01)


def fill_gaps(
    area: BaseGeometry,
    paths: Sequence[BaseGeometry],
    width_m: float,
    gaps: BaseGeometry | None = None,
    skip_frac: float = 0.003,
) -> list[Swath]:
    """Passes over the parts of ``area`` farther than ``width_m / 2`` from every path.

    The smallest pieces (corner slivers under half a swath squared) are left while together they
    stay below ``skip_frac`` of the area: a detour to a corner costs more than it covers. The
    rest get passes. ``gaps``, if given, is `uncovered` already computed for these paths.
    """
    if not paths and gaps is None:
        return []
    if gaps is None:
        gaps = uncovered(area, paths, width_m)
    out: list[Swath] = []
    pieces = sorted(_simply_connected(polygons(gaps)), key=lambda p: p.area)
    budget = skip_frac * area.area
    for piece in pieces:
        if piece.area < 0.5 * width_m * width_m and piece.area <= budget:
            budget -= piece.area  # smallest first, until the budget is spent
            continue
        if piece.area < 1e-3 * width_m * width_m:
            continue  # numerical dust
        if 2 * max_inscribed_radius(piece) <= width_m * 1.1:
            for line in skeleton_paths(piece, width_m / 4, reach_m=width_m * 0.6):
                smooth = line.simplify(width_m / 10)  # Voronoi skeletons zigzag
                if isinstance(smooth, LineString) and area.covers(smooth):
                    line = smooth
                out.append(Swath(line, closed=False, group=-1, index=len(out)))
        else:
            gen = ParallelSwaths()
            angle = best_angle(gen, piece, width_m)
            for s in gen.generate(piece, width_m, angle):
                out.append(Swath(s.path, closed=False, group=-1, index=len(out)))
    return out


def spike(
    piece: Polygon,
    along: BaseGeometry,
    within: BaseGeometry,
    width_m: float,
    reach_m: float,
    margin_frac: float = 0.02,
    max_points: int = 120,
) -> LineString | None:
    """The shortest straight out-and-back from a point of ``along`` (a path already flown)
    that brings all of ``piece`` within half a swath (less ``margin_frac`` of a width), staying
    in ``within``; None if none reaching at most ``reach_m`` out does, or if the piece's
    outline takes over ``max_points`` points a twentieth of a width apart (not a small gap).

    A small gap where three loops pull apart (a cusp between a bank's loop, an island's and
    an inner loop's end) is covered by flying a little way into it and back, instead of a pass
    through it reached and left by two hops.

    >>> from shapely.geometry import box
    >>> line = LineString([(0, 0), (400, 0)])
    >>> out = spike(box(180, 60, 220, 100), line, box(-50, -50, 450, 200), 100, 150)
    >>> [round(c) for xy in out.coords for c in xy]
    [200, 0, 200, 56, 200, 0]
    """
    margin = margin_frac * width_m
    r = width_m / 2 - margin
    # the piece less a rim of a quarter of the margin: no slivers of zero width along the
    # shore (the rest of the margin: the rim's corners and covers measured as polygons)
    core = polygons(piece.buffer(-margin / 4, quad_segs=2))
    outline: list[BaseGeometry] = [shapely.segmentize(p.exterior, width_m / 20) for p in core]
    if not outline:
        outline = [piece.representative_point()]
    pts = shapely.get_coordinates(outline)
    near = along.intersection(piece.buffer(reach_m, quad_segs=4))
    starts = np.concatenate(
        [
            shapely.get_coordinates(shapely.segmentize(line, width_m / 10))
            for line in shapely.get_parts(near)
            if isinstance(line, LineString)
        ]
        or [np.zeros((0, 2))]
    )
    if len(starts) == 0 or len(pts) > max_points:
        return None
    # a few dozen starts and aims: the work grows with starts x aims x outline points
    starts = starts[:: -(-len(starts) // (max_points // 2))]
    aims_at = pts[:: -(-len(pts) // (max_points // 2))]
    # directions: from each start toward each outline point and the piece's inner point
    aims = np.vstack([aims_at, np.asarray(piece.representative_point().coords)])
    p = starts[:, None, :]  # (m, 1, 2)
    u = aims[None, :, :] - p  # (m, k, 2)
    norm = np.hypot(u[..., 0], u[..., 1])
    u = u / np.where(norm > 0, norm, 1.0)[..., None]
    rel = pts[None, None, :, :] - p[:, :, None, :]  # (m, 1, n, 2)
    proj = rel[..., 0] * u[..., None, 0] + rel[..., 1] * u[..., None, 1]  # (m, k, n)
    perp = np.abs(rel[..., 0] * u[..., None, 1] - rel[..., 1] * u[..., None, 0])
    behind_ok = (proj >= 0) | (np.hypot(rel[..., 0], rel[..., 1]) <= r)
    ok = np.all((perp <= r) & behind_ok, axis=2)
    need = np.max(proj - np.sqrt(np.clip(r * r - perp * perp, 0.0, None)), axis=2)
    need = np.where(ok, np.maximum(need, 0.0), np.inf)
    need[need > reach_m] = np.inf
    for flat in np.argsort(need, axis=None)[:8]:
        i, j = np.unravel_index(flat, need.shape)
        t = float(need[i, j])
        if not math.isfinite(t):
            return None
        a = starts[i]
        b = a + t * u[i, j]
        line = LineString([a, b, a])
        if within.covers(LineString([a, b])):
            return line
    return None
