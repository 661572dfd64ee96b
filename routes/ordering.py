"""Order stage: the sequence (and direction) in which passes and cells are flown.

A *chunk* is something flown in one go: a cell's back-and-forth passes (which can be entered
from either end) or a closed loop (which can be entered anywhere and ends where it started).

>>> from shapely.geometry import LineString, Point
>>> a = Chunk((LineString([(0, 0), (10, 0)]),))
>>> b = Chunk((LineString([(100, 0), (20, 0)]), LineString([(20, 0), (100, 0)])))
>>> [list(c.coords)[0] for c in NearestNeighbour().sort([b, a], Point(0, 0))]
[(0.0, 0.0), (20.0, 0.0)]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from routes.connect import Connector
from routes.geometry import rotate_ring_to, substring
from routes.types import Swath


@dataclass(frozen=True, slots=True)
class Chunk:
    """Alternative ways of flying one piece (each a line); a ring is one closed line."""

    variants: tuple[LineString, ...]
    ring: bool = False
    #: what every variant surely covers (its passes without the joins); None: the first variant
    passes: BaseGeometry | None = None

    @property
    def sweeps(self) -> BaseGeometry:
        return self.passes if self.passes is not None else self.variants[0]

    def starts(self) -> list[tuple[float, ...]]:
        return [v.coords[0] for v in self.variants]


class SwathOrder(Protocol):
    """Order swaths inside a cell into a single path using a connector."""

    def join(self, swaths: Sequence[Swath], connector: Connector, variant: int) -> LineString: ...


@dataclass(frozen=True, slots=True)
class Boustrophedon:
    """Back and forth: pass 1 left to right, pass 2 right to left, and so on.

    ``variant`` bit 0 starts from the last pass, bit 1 flips the first direction (F2C style).
    """

    def join(self, swaths: Sequence[Swath], connector: Connector, variant: int) -> LineString:
        ordered = sorted(swaths, key=lambda s: (s.index, s.path.coords[0][0]))
        if variant & 1:
            ordered.reverse()
        coords: list[tuple[float, ...]] = []
        flip = bool(variant & 2)
        for s in ordered:
            line = s.path.reverse() if flip else s.path
            if coords:
                link = connector.link(Point(coords[-1]), Point(line.coords[0]))
                coords.extend(link.coords[1:])
            for c in line.coords:
                if not coords or c != coords[-1]:
                    coords.append(c)
            flip = not flip
        if len(coords) == 1:
            coords.append(coords[0])
        return LineString(coords)


class ChunkOrder(Protocol):
    """Order chunks (choosing one variant each) starting near ``start``."""

    def sort(self, chunks: Sequence[Chunk], start: Point | None) -> list[LineString]: ...


@dataclass(frozen=True, slots=True)
class NearestNeighbour:
    """Greedy: always fly next the chunk whose entry is nearest (straight-line distance)."""

    def sort(self, chunks: Sequence[Chunk], start: Point | None) -> list[LineString]:
        if not chunks:
            return []
        remaining = list(range(len(chunks)))
        out: list[LineString] = []
        here = start if start is not None else Point(chunks[0].variants[0].coords[0])
        ring_geoms = np.array([c.variants[0] if c.ring else None for c in chunks], dtype=object)
        starts = [np.asarray(c.starts()) for c in chunks]
        while remaining:
            best_i, best_v, best_d = -1, 0, np.inf
            idx = np.array(remaining)
            rings = [i for i in remaining if chunks[i].ring]
            if rings:
                d = shapely.distance(ring_geoms[rings], here)
                k = int(np.argmin(d))
                best_i, best_v, best_d = rings[k], 0, float(d[k])
            opens = [i for i in idx if not chunks[i].ring]
            for i in opens:
                d = np.hypot(starts[i][:, 0] - here.x, starts[i][:, 1] - here.y)
                k = int(np.argmin(d))
                if d[k] < best_d:
                    best_i, best_v, best_d = int(i), k, float(d[k])
            chunk = chunks[best_i]
            line = rotate_ring_to(chunk.variants[0], here) if chunk.ring else chunk.variants[best_v]
            out.append(line)
            here = Point(line.coords[-1])
            remaining.remove(best_i)
        return out


def insert_detours(lines: Sequence[LineString], extras: Sequence[LineString]) -> list[LineString]:
    """Fly each extra piece as a detour from the nearest point of the ordered ``lines``.

    Every extra piece is attached where leaving a main line, flying the piece and coming back
    costs least; the main line is split there. The result alternates main-line pieces and extra
    pieces; joining consecutive pieces is left to the connector.

    >>> main = [LineString([(0, 0), (100, 0)])]
    >>> out = insert_detours(main, [LineString([(50, 10), (60, 10)])])
    >>> [list(p.coords) for p in out]
    [[(0.0, 0.0), (50.0, 0.0)], [(50.0, 10.0), (60.0, 10.0)], [(50.0, 0.0), (100.0, 0.0)]]
    """
    if not extras:
        return list(lines)
    if not lines:
        return list(extras)
    arr = np.array(lines, dtype=object)
    tree = shapely.STRtree(arr)
    cuts: dict[int, list[tuple[float, LineString]]] = {}
    for g in extras:
        best: tuple[float, int, float, LineString] | None = None
        for piece in (g, g.reverse()):
            a, b = Point(piece.coords[0]), Point(piece.coords[-1])
            i = int(tree.nearest(a))
            t = float(lines[i].project(a))
            p = lines[i].interpolate(t)
            cost = p.distance(a) + b.distance(p)
            if best is None or cost < best[0]:
                best = (cost, i, t, piece)
        assert best is not None
        _, i, t, piece = best
        cuts.setdefault(i, []).append((t, piece))
    out: list[LineString] = []
    for i, line in enumerate(lines):
        if i not in cuts:
            out.append(line)
            continue
        prev = 0.0
        for t, piece in sorted(cuts[i], key=lambda c: c[0]):
            if t > prev:
                out.append(_sub(line, prev, t))
            out.append(piece)
            prev = t
        tail = _sub(line, prev, line.length)
        if tail.length > 0 or prev == 0.0:
            out.append(tail)
        else:
            p = line.interpolate(prev)
            out.append(LineString([p, p]))
    return out


def _sub(line: LineString, a: float, b: float) -> LineString:
    return substring(line, a, b)


@dataclass(frozen=True, slots=True)
class OrToolsOrder:
    """Generalised TSP over chunk variants with OR-Tools routing (one variant per chunk).

    Loops get ``ring_entries`` candidate entry points spread along them. Costs are straight-line
    distances from one chunk's exit to the next one's entry. Local search stops at a local
    optimum or after ``time_limit_ms``. Falls back to `NearestNeighbour` when the solver finds
    nothing.

    >>> a = Chunk((LineString([(0, 0), (10, 0)]), LineString([(10, 0), (0, 0)])))
    >>> b = Chunk((LineString([(30, 0), (20, 0)]), LineString([(20, 0), (30, 0)])))
    >>> [list(c.coords) for c in OrToolsOrder().sort([b, a], Point(0, 0))]
    [[(0.0, 0.0), (10.0, 0.0)], [(20.0, 0.0), (30.0, 0.0)]]
    """

    ring_entries: int = 8
    max_chunks: int = 400
    time_limit_ms: int = 1500

    def sort(self, chunks: Sequence[Chunk], start: Point | None) -> list[LineString]:
        if len(chunks) <= 1 or len(chunks) > self.max_chunks:
            return NearestNeighbour().sort(chunks, start)
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2

        # one node per (chunk, variant): its entry point, exit point and the line to fly
        entry: list[tuple[float, ...]] = []
        exit_: list[tuple[float, ...]] = []
        lines: list[LineString] = []
        groups: list[list[int]] = []
        for c in chunks:
            ids = []
            if c.ring:
                ring = c.variants[0]
                for k in range(self.ring_entries):
                    p = ring.interpolate(ring.length * k / self.ring_entries)
                    line = rotate_ring_to(ring, p)
                    ids.append(len(lines))
                    lines.append(line)
                    entry.append(line.coords[0])
                    exit_.append(line.coords[-1])
            else:
                for v in c.variants:
                    ids.append(len(lines))
                    lines.append(v)
                    entry.append(v.coords[0])
                    exit_.append(v.coords[-1])
            groups.append(ids)
        n = len(lines) + 1  # node 0: the start (free return)
        ent = np.asarray(entry)
        ext = np.asarray(exit_)
        here = np.array([start.x, start.y]) if start is not None else None
        cost = np.zeros((n, n), dtype=np.int64)
        d = np.hypot(ext[:, None, 0] - ent[None, :, 0], ext[:, None, 1] - ent[None, :, 1])
        cost[1:, 1:] = np.round(d).astype(np.int64)
        if here is not None:
            cost[0, 1:] = np.round(np.hypot(*(ent - here).T)).astype(np.int64)
        manager = pywrapcp.RoutingIndexManager(n, 1, 0)
        routing = pywrapcp.RoutingModel(manager)
        cb = routing.RegisterTransitMatrix(cost.tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(cb)
        big = int(cost.max()) * n + 1
        for ids in groups:
            routing.AddDisjunction([manager.NodeToIndex(i + 1) for i in ids], big, 1)
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        params.time_limit.FromMilliseconds(self.time_limit_ms)
        solution = routing.SolveWithParameters(params)
        if solution is None:
            return NearestNeighbour().sort(chunks, start)
        out: list[LineString] = []
        idx = solution.Value(routing.NextVar(routing.Start(0)))
        while not routing.IsEnd(idx):
            out.append(lines[manager.IndexToNode(idx) - 1])
            idx = solution.Value(routing.NextVar(idx))
        if len(out) != len(chunks):
            return NearestNeighbour().sort(chunks, start)
        return out


def nest_loops(
    loops: Sequence[LineString], connector: Connector, max_hop_m: float
) -> list[LineString]:
    """Join closed loops into as few closed walks as possible.

    Each loop, from the longest down, hangs off the nearest longer loop: at the closest point
    the walk steps across, flies the inner loop round, and steps back. An inner loop then costs
    two short hops instead of a transit along the whole water body.

    >>> outer = LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])
    >>> inner = LineString([(30, 30), (70, 30), (70, 70), (30, 70), (30, 30)])
    >>> from routes.connect import StraightConnector
    >>> [w.length for w in nest_loops([inner, outer], StraightConnector(), 50)]
    [620.0]
    """
    order = sorted(range(len(loops)), key=lambda i: -loops[i].length)
    rank = {i: n for n, i in enumerate(order)}
    tree = shapely.STRtree(np.array(loops, dtype=object))
    children: dict[int, list[tuple[float, Point, Point, int]]] = {}
    roots: list[int] = []
    for i in order:
        ring = loops[i]
        best: tuple[float, int, Point, Point] | None = None
        near = tree.query(ring, predicate="dwithin", distance=max_hop_m)
        for j in (int(k) for k in near if rank[int(k)] < rank[i]):
            p, q = nearest_points(loops[j], ring)
            d = float(p.distance(q))
            if d <= max_hop_m and (best is None or d < best[0]):
                best = (d, j, p, q)
        if best is None:
            roots.append(i)
            continue
        _, j, p, q = best
        children.setdefault(j, []).append((float(loops[j].project(p)), p, q, i))

    def steps(i: int, start: Point | None) -> Iterator[list[tuple[float, ...]] | tuple[int, Point]]:
        """Loop ``i`` from ``start``: runs of coordinates, and (k, q) where loop k hangs off
        at q (flown there, between the hop out and the hop back)."""
        ring = loops[i] if start is None else rotate_ring_to(loops[i], start)
        kids = children.get(i, [])
        if not kids:
            yield list(ring.coords)
            return
        prev = 0.0
        # positions along the (possibly re-started) ring
        for t, p, q, k in sorted((float(ring.project(p)), p, q, k) for _, p, q, k in kids):
            yield list(_sub(ring, prev, t).coords)
            yield list(connector.link(p, q).coords)
            yield k, q
            yield list(connector.link(q, p).coords)
            prev = t
        yield list(_sub(ring, prev, ring.length).coords)

    def walk(root: int) -> list[tuple[float, ...]]:
        # depth-first with a stack of its own: loops nest a thousand deep on a wide lake at a
        # narrow swath, past Python's recursion limit
        coords: list[tuple[float, ...]] = []
        stack = [steps(root, None)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, tuple):
                stack.append(steps(*item))
            else:
                coords += item[1:] if coords else item
        return coords

    return [LineString(walk(r)) for r in roots]
