"""Area coverage: compose the stages into a coverage path, and pick the best strategy.

Three strategies share the `CoverageStrategy` protocol:

- `ParallelCoverage`: boustrophedon cells, each swept back and forth at its own best angle;
- `ChannelCoverage`: loops that follow the shore (best on long water a whole number of passes wide);
- `WavefrontCoverage`: passes across the water that bend with it (best on winding rivers).

`plan_coverage_path` runs each (but one whose quick estimate is already dearer than the best
plan found), fills what they left uncovered (`routes.gapfill`), orders the pieces, joins them
inside the area (never across a hole) and keeps the cheapest result.

>>> from shapely.geometry import box
>>> result = plan_coverage_path(box(0, 0, 1000, 600), 100)
>>> result.covered_frac > 0.995, result.route.length_m < 1.1 * 600_000 / 100
(True, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.channel import ContourSwaths
from routes.connect import Connector, VisibilityConnector
from routes.constraints import check_sweep_size
from routes.decompose import BoustrophedonCells, Decomposer
from routes.errors import InvalidAreaError, SwathTooWideError
from routes.gapfill import fill_gaps, spike, uncovered
from routes.geometry import (
    as_area,
    covered_fraction,
    max_inscribed_radius,
    polygons,
    rotate_ring_to,
    substring,
)
from routes.objectives import FlightTime, PathObjective
from routes.ordering import (
    Boustrophedon,
    Chunk,
    ChunkOrder,
    NearestNeighbour,
    OrToolsOrder,
    SwathOrder,
    insert_detours,
    nest_loops,
)
from routes.swaths import ParallelSwaths, SwathGenerator, best_angle, swath_cost
from routes.types import Leg, Route
from routes.wavefront import (
    Pass,
    WavefrontSwaths,
    back_and_forth,
    extend_into_gaps,
    tilt_ends,
)


class CoverageStrategy(Protocol):
    """Produce the chunks (cells' back-and-forth paths, loops) that cover ``area``."""

    @property
    def name(self) -> str: ...

    def chunks(self, area: BaseGeometry, width_m: float, connector: Connector) -> list[Chunk]: ...

    def estimate(self, area: BaseGeometry, width_m: float, objective: PathObjective) -> float:
        """A quick guess of the cost of the strategy's plan, erring low, or 0 when there is
        none; `plan_coverage_path` skips a strategy guessed dearer than its best plan so far.
        """
        ...


@dataclass(frozen=True, slots=True)
class ParallelCoverage:
    """Boustrophedon decomposition, best angle per cell, back-and-forth passes in each cell."""

    decompose: Decomposer = field(default_factory=BoustrophedonCells)
    swaths: SwathGenerator = field(default_factory=ParallelSwaths)
    order: SwathOrder = field(default_factory=Boustrophedon)
    turn_cost_m: float = FlightTime().turn_cost_m  # to choose each cell's angle
    name: str = "parallel"

    def estimate(self, area: BaseGeometry, width_m: float, objective: PathObjective) -> float:
        return 0.0

    def chunks(self, area: BaseGeometry, width_m: float, connector: Connector) -> list[Chunk]:
        out: list[Chunk] = []
        for poly in polygons(area):
            angle = best_angle(self.swaths, poly, width_m, self.turn_cost_m)
            cells = self.decompose.cells(poly, angle, width_m)
            for cell, a in self.merged(cells, width_m):
                sw = self.swaths.generate(cell, width_m, a)
                if not sw:
                    continue
                # two joins and their reversals: the four corners to start from
                joined = [self.order.join(sw, connector, v) for v in (0, 1)]
                variants = (*joined, *(line.reverse() for line in joined))
                out.append(Chunk(variants, passes=MultiLineString([s.path for s in sw])))
        return out

    def merged(self, cells: Sequence[Polygon], width_m: float) -> list[tuple[Polygon, float]]:
        """The cells with their best angles, neighbours merged while one back-and-forth at the
        best angle of the two together (no pass split in two) costs no more than theirs apart
        (passes, turns and the hops between passes): a blobby lake's cells, cut across one
        direction, often choose the same other one, and flying them as one saves the joins and
        the short passes at their edges (issue 22, point 5)."""

        def priced(cell: Polygon) -> tuple[Polygon, float, float]:
            a = best_angle(self.swaths, cell, width_m, self.turn_cost_m)
            sw = sorted(self.swaths.generate(cell, width_m, a), key=lambda s: s.index)
            if not sw or len({s.index for s in sw}) < len(sw):
                return cell, a, math.inf
            flown = [s.path.coords if k % 2 == 0 else s.path.coords[::-1] for k, s in enumerate(sw)]
            hops = sum(math.dist(a[-1], b[0]) for a, b in itertools.pairwise(flown))
            return cell, a, swath_cost(sw, width_m, self.turn_cost_m) + hops

        out = {k: priced(c) for k, c in enumerate(cells)}
        pairs: dict[tuple[int, int], tuple[Polygon, float, float] | None] = {}
        fresh = len(cells)
        while len(out) > 1:
            best: tuple[float, int, int] | None = None
            for i, j in itertools.combinations(sorted(out), 2):
                if (i, j) not in pairs:
                    p, q = out[i][0], out[j][0]
                    union = p.union(q) if p.intersection(q).length >= width_m / 2 else None
                    pairs[(i, j)] = priced(union) if isinstance(union, Polygon) else None
                joined = pairs[(i, j)]
                if joined is None:
                    continue
                gain = out[i][2] + out[j][2] - joined[2]
                if gain >= 0 and (best is None or gain > best[0]):
                    best = (gain, i, j)
            if best is None:
                break
            _, i, j = best
            joined = pairs[(i, j)]
            assert joined is not None
            del out[i], out[j]
            out[fresh] = joined
            fresh += 1
        return [(c, a) for c, a, _ in out.values()]


@dataclass(frozen=True, slots=True)
class ChannelCoverage:
    """Loops following the shore and the islands, a width apart."""

    swaths: SwathGenerator = field(default_factory=ContourSwaths)
    name: str = "channel"
    nest: bool = False

    def estimate(self, area: BaseGeometry, width_m: float, objective: PathObjective) -> float:
        return 0.0

    def chunks(self, area: BaseGeometry, width_m: float, connector: Connector) -> list[Chunk]:
        out: list[Chunk] = []
        for poly in polygons(area):
            swaths = self.swaths.generate(poly, width_m, 0.0)
            loops = [s.path for s in swaths if s.closed]
            if self.nest and len(loops) > 1:  # inner loops hang off outer ones: no transits
                loops = nest_loops(loops, connector, max_hop_m=1.5 * width_m)
            out += [Chunk((line,), ring=True) for line in loops]
            out += [Chunk((s.path, s.path.reverse())) for s in swaths if not s.closed]
        return out


@dataclass(frozen=True, slots=True)
class WavefrontCoverage:
    """Back-and-forth passes across the water, along the wavefront from its far end.

    Each run (the passes between two islands' splits and merges) is a chunk offered both ways
    round and in either direction; each way round comes with its own turns widened by
    ``turn_shift_frac`` of a width, pass ends flown on into wedges over ``wedge_min_frac`` of a
    width squared, and gap passes flown as detours, so whichever the order picks covers.
    """

    swaths: WavefrontSwaths = field(default_factory=WavefrontSwaths)
    turn_shift_frac: float = 0.1
    wedge_min_frac: float = 0.02
    name: str = "wavefront"

    def estimate(self, area: BaseGeometry, width_m: float, objective: PathObjective) -> float:
        """The cost of the passes on a coarse grid over a simplified outline, joined straight
        (0.2 s on 70 km²)."""
        coarse = replace(self.swaths, max_nodes=20_000)
        outline = area.simplify(width_m / 10)
        lines = []
        for run in coarse.runs(outline, width_m):
            lines.append(LineString([c for p in back_and_forth(run) for c in p.coords]))
        return sum(objective.cost(line) for line in lines)

    def chunks(self, area: BaseGeometry, width_m: float, connector: Connector) -> list[Chunk]:
        runs = self.swaths.runs(area, width_m)
        if not runs:
            return []
        variants: list[list[LineString]] = [[] for _ in runs]
        # each run either way round (turning first at one bank or the other): the corners
        # left between turns differ, so each way round gets its own gap passes
        for flip in (False, True):
            lines = [self._path(run, area, width_m, connector, flip) for run in runs]
            # wedges left where passes meet the shore at a slant: fly those pass ends further
            flat = extend_into_gaps(
                [p for run in runs for p in run],
                uncovered(area, lines, width_m),
                width_m,
                self.wedge_min_frac,
            )
            for k, run in enumerate(runs):
                lines[k] = self._path(flat[: len(run)], area, width_m, connector, flip)
                flat = flat[len(run) :]
            extra = [
                s.path for s in fill_gaps(area, [], width_m, gaps=uncovered(area, lines, width_m))
            ]
            owner = shapely.STRtree(lines).nearest([Point(g.coords[0]) for g in extra])
            for k, line in enumerate(lines):
                mine = [g for g, o in zip(extra, np.atleast_1d(owner), strict=True) if o == k]
                if mine:
                    line = route_from_pieces(insert_detours([line], mine), connector).line()
                variants[k] += [line, line.reverse()]
        return [Chunk(tuple(v)) for v in variants]

    def _path(
        self,
        run: Sequence[Pass],
        area: BaseGeometry,
        width_m: float,
        connector: Connector,
        flip: bool = False,
    ) -> LineString:
        """Back and forth along the run, each turn widened (see `tilt_ends`)."""
        flown = tilt_ends(
            back_and_forth(run, flip), self.turn_shift_frac * width_m, width_m / 2, area
        )
        coords = list(flown[0].coords)
        for p in flown[1:]:
            coords += connector.link(Point(coords[-1]), Point(p.coords[0])).coords[1:]
            coords += p.coords[1:]
        return LineString(coords if len(coords) > 1 else coords * 2)


@dataclass(frozen=True, slots=True)
class CoverageResult:
    """The chosen coverage path, with what was compared."""

    route: Route
    strategy: str
    covered_frac: float
    costs: dict[str, float]


#: the share of the area a coverage path must cover (the rest: corners not worth a detour)
MIN_COVERED_FRAC = 0.995


#: how many times its widest part an area's swath may be (one pass along the middle)
MAX_SWATH_OVER_WIDTH = 2.0


def check_width(area: BaseGeometry, width_m: float) -> None:
    """Refuse a swath over `MAX_SWATH_OVER_WIDTH` times as wide as the area, a non-positive
    width, or one so narrow that the plan would be bigger than the planner takes
    (`check_sweep_size`)."""
    if not width_m > 0 or not math.isfinite(width_m):
        raise SwathTooWideError(f"swath width must be a positive number, got {width_m}")
    what = f"a {width_m:g} m swath over {area.area / 1e6:.3g} km²"
    check_sweep_size(area.area / width_m, width_m, what)
    widest = 2 * max_inscribed_radius(area)
    if widest <= 0.5:
        raise InvalidAreaError("the area has zero width", width_m=widest)
    # up to twice the area's width one pass along its middle is a fair plan (a canal narrower
    # than the camera's footprint); wider, the swath is more likely a mistake in its units
    if width_m > MAX_SWATH_OVER_WIDTH * widest:
        raise SwathTooWideError(
            f"swath {width_m:.0f} m is wider than the area (widest part {widest:.0f} m) by more "
            f"than {MAX_SWATH_OVER_WIDTH:g} times: lower the altitude or the swath width",
            width_m=width_m,
            area_width_m=widest,
        )


def join_region(area: BaseGeometry, outer: BaseGeometry | None = None) -> BaseGeometry:
    """Where passes may be joined: the area itself if it is in one piece, otherwise ``outer``
    (by default the area's convex hull) without the area's holes, so no join crosses an island.
    """
    parts = polygons(area)
    if len(parts) <= 1:
        return area
    holes = [Polygon(ring) for p in parts for ring in p.interiors]
    region = outer if outer is not None else area.convex_hull
    return region.difference(shapely.union_all(holes)) if holes else region


def route_from_pieces(pieces: Sequence[LineString], connector: Connector) -> Route:
    """Sweep legs in order, joined by transit legs from the connector."""
    legs: list[Leg] = []
    for piece in pieces:
        if legs:
            a, b = Point(legs[-1].line.coords[-1]), Point(piece.coords[0])
            if not a.equals(b):
                legs.append(Leg(connector.link(a, b), "transit"))
        legs.append(Leg(piece, "sweep"))
    return Route(tuple(legs))


def splice_into_loops(
    chunks: Sequence[Chunk],
    extra: Sequence[LineString],
    width_m: float,
    connector: Connector,
    before_too: bool = True,
) -> tuple[list[Chunk], list[LineString]]:
    """Fly the longest gap pass lying along a loop right after that loop, and the next longest
    right before it.

    The loop is entered where the pass before it ends (or at the point nearest the pass after
    it), flown round, then left along the pass after it: no way back is needed (an Euler path
    of the loop plus two chords). A canal narrower than the swath with a basin is one pass up
    to the basin, round it, and on: without the pass before, the other half of the canal was
    flown out and back. ``before_too=False`` flies passes after loops only. Returns the new
    chunks and the gap passes left over.
    """
    loops = [i for i, c in enumerate(chunks) if c.ring]
    if not loops or not extra:
        return list(chunks), list(extra)
    geoms = [chunks[i].variants[0] for i in loops]
    tree = shapely.STRtree(geoms)
    after: dict[int, LineString] = {}
    before: dict[int, LineString] = {}
    rest: list[LineString] = []
    for g in sorted(extra, key=lambda g: -g.length):
        for piece in (g, g.reverse()):
            a = Point(piece.coords[0])
            k = int(tree.nearest(a))
            if geoms[k].distance(a) > 1.5 * width_m or g.length <= width_m:
                continue
            # near in a straight line but not by water (across a strip of land or a zone):
            # the hop would be flown as part of the sweep
            on_ring = geoms[k].interpolate(geoms[k].project(a))
            if connector.link(on_ring, a).length > 2 * width_m:
                continue
            if k not in after:
                after[k] = piece
                break
            if before_too and k not in before and _near_on_ring(geoms[k], piece, after[k], width_m):
                before[k] = piece.reverse()  # flown toward the loop
                break
        else:
            rest.append(g)
    out = list(chunks)
    for k, g in after.items():
        ring = geoms[k]
        a = Point(g.coords[0])
        head: list[tuple[float, ...]] = []
        entry = a
        if k in before:
            head = list(before[k].coords)
            entry = Point(head[-1])
        loop = rotate_ring_to(ring, entry)
        coords = head[:]
        if head:
            coords += connector.link(entry, Point(loop.coords[0])).coords[1:]
            # round the loop back to where it was entered, then on along it (the shorter
            # way) to where the pass after it leaves
            d = loop.project(a)
            on = substring(loop, 0.0, d) if d <= loop.length / 2 else None
            on = on if on is not None else substring(loop, d, loop.length).reverse()
            coords += loop.coords[1:] + on.coords[1:]
        else:
            coords += loop.coords
        coords += connector.link(Point(coords[-1]), a).coords[1:]
        coords += g.coords[1:]
        line = LineString(coords)
        out[loops[k]] = Chunk((line, line.reverse()))
    return out, rest


def _near_on_ring(ring: LineString, a: LineString, b: LineString, width_m: float) -> bool:
    """Whether ``a`` and ``b`` start on different sides of ``ring`` but within two widths of
    each other along it (the two ends of a basin on a canal): after the loop the drone flies
    that far along it again to reach ``b``; farther, the pass is better flown otherwise (a
    river's one loop with gap passes at both ends would fly half of it twice)."""
    da, db = ring.project(Point(a.coords[0])), ring.project(Point(b.coords[0]))
    arc = min(abs(da - db), ring.length - abs(da - db))
    return width_m <= Point(a.coords[0]).distance(Point(b.coords[0])) and arc <= 2 * width_m


def default_strategies(objective: PathObjective) -> tuple[CoverageStrategy, ...]:
    """The three patterns, the parallel one choosing its angles at ``objective``'s turn price."""
    return (
        ChannelCoverage(),
        WavefrontCoverage(),
        ParallelCoverage(turn_cost_m=objective.turn_cost_m),
    )


def plan_coverage_path(
    area: BaseGeometry,
    width_m: float,
    *,
    strategies: Sequence[CoverageStrategy] | None = None,
    order: ChunkOrder | None = None,
    objective: PathObjective | None = None,
    start: Point | None = None,
    connector: Connector | None = None,
) -> CoverageResult:
    """Cover ``area`` (metres, holes allowed) with passes ``width_m`` wide; keep the plan
    ``objective`` (by default the default drone's flight time) finds cheapest."""
    area = as_area(area)
    check_width(area, width_m)
    objective = objective or FlightTime()
    strategies = strategies or default_strategies(objective)
    order = order or OrToolsOrder()
    connector = connector or VisibilityConnector(join_region(area))
    best: CoverageResult | None = None
    best_cost = math.inf
    costs: dict[str, float] = {}
    for strategy in strategies:
        if strategy.estimate(area, width_m, objective) > best_cost:
            costs[strategy.name] = math.inf  # cannot win, by a quick estimate
            continue
        chunks = strategy.chunks(area, width_m, connector)
        if sum(c.variants[0].length for c in chunks) >= best_cost:
            costs[strategy.name] = math.inf  # cannot win: its passes alone cost more
            continue
        gaps = uncovered(area, [c.sweeps for c in chunks], width_m)
        extra = [s.path for s in fill_gaps(area, [], width_m, gaps=gaps)] if chunks else []
        for _ in range(2):  # what the gap passes missed (branched or wide pieces), if it matters
            left = uncovered(gaps, extra, width_m) if extra else gaps
            if left.area <= 0.004 * area.area:
                break
            more = [s.path for s in fill_gaps(area, [], width_m, gaps=left, skip_frac=0.002)]
            if not more:
                break
            extra += more
        # small gaps flown as spikes, and as passes: a spike is shorter than the detour it
        # replaces but can be slower, at its U-turn (the L reservoir at 150 m: 74.2 min with
        # spikes alone, 74.1 without)
        spikes = spiked(area, [c.sweeps for c in chunks], extra, gaps, width_m)
        extras = [spikes] if spikes == extra else [spikes, extra]
        # gap passes: the longest beside each loop flown on from it, the others either as
        # detours from the nearest pass or ordered with everything else; loops either in
        # sequence or hung off one another (see `nest_loops`)
        layouts = [chunks]
        loops = [c.variants[0] for c in chunks if c.ring]
        if len(loops) > 1:
            nested = nest_loops(loops, connector, max_hop_m=1.5 * width_m)
            if len(nested) < len(loops):
                opened = [c for c in chunks if not c.ring]
                layouts.append([Chunk((line,), ring=True) for line in nested] + opened)
        candidates = []
        ordered: list[tuple[list[Chunk], list[LineString]]] = []  # the order of each chunk set
        for layout, passes in itertools.product(layouts, extras):
            # with and without passes flown before loops: what they save on a canal's basin
            # they can cost elsewhere (the L reservoir at 150 m: 1.070 without, 1.082 with)
            tried: list[list[Chunk]] = []
            for before in (True, False):
                spliced, rest = splice_into_loops(layout, passes, width_m, connector, before)
                if spliced in tried:
                    continue  # no pass was flown before a loop: the same plans again
                tried.append(spliced)
                done = next((lines for c, lines in ordered if c == spliced), None)
                if done is None:
                    done = order.sort(spliced, start)
                    ordered.append((spliced, done))
                candidates.append(insert_detours(done, rest))
                if rest:
                    loose = [Chunk((g, g.reverse())) for g in rest]
                    candidates.append(NearestNeighbour().sort(spliced + loose, start))
        for pieces in candidates:
            route = route_from_pieces(pieces, connector)
            cost = objective.cost(route.line())
            costs[strategy.name] = min(cost, costs.get(strategy.name, math.inf))
            if cost < best_cost:
                best_cost = cost
                best = CoverageResult(route, strategy.name, math.nan, costs)
    assert best is not None
    # measured on the path itself: what it covers, whichever way each chunk was flown
    route = best.route
    frac = covered_fraction(route.line(), area, width_m)
    if frac < MIN_COVERED_FRAC:
        # chunks flown in a combination their own gap passes were not made for (two wavefront
        # runs turned opposite ways where they meet): fill what the path itself left
        route = fill_path_gaps(route, area, width_m, connector)
        frac = covered_fraction(route.line(), area, width_m)
    return CoverageResult(route, best.strategy, frac, costs)


def spiked(
    area: BaseGeometry,
    flown: Sequence[BaseGeometry],
    extra: Sequence[LineString],
    gaps: BaseGeometry,
    width_m: float,
) -> list[LineString]:
    """``extra`` with the short passes over each small gap replaced by one spike from the
    paths ``flown`` (`gapfill.spike`), where that is shorter than the passes' detours.

    A pass under a width long (a cusp where loops pull apart, the branch of a long gap's
    centre line) is flown as a detour: a hop out, the pass, a hop back; on the winding river
    at 150 m, 14 such detours flew 3.9 km. A gap is small when what the long passes leave of
    it is under a width squared.
    """
    long_ = [g for g in extra if g.length >= width_m]
    short = [g for g in extra if g.length < width_m]
    if not short or not flown:
        return list(extra)
    pieces = polygons(uncovered(gaps, long_, width_m))
    tree = shapely.STRtree(pieces)
    along = shapely.union_all([g for f in flown for g in shapely.get_parts(f)])
    groups: dict[int, list[LineString]] = {}
    out = list(long_)
    for g in short:
        hits = [int(i) for i in tree.query(g, predicate="dwithin", distance=1.0)]
        k = max(hits, key=lambda i: pieces[i].area, default=-1)
        if k < 0 or pieces[k].area > width_m * width_m:
            out.append(g)  # not a small gap: the pass stays
        else:
            groups.setdefault(k, []).append(g)
    for k, passes in groups.items():
        detours = sum(
            along.distance(Point(g.coords[0])) + g.length + along.distance(Point(g.coords[-1]))
            for g in passes
        )
        line = spike(pieces[k], along, area, width_m, reach_m=detours / 2)
        out += [line] if line is not None else passes
    return out


def fill_path_gaps(route: Route, area: BaseGeometry, width_m: float, connector: Connector) -> Route:
    """``route`` with gap passes over what it leaves uncovered, each flown as a detour."""
    extra = [s.path for s in fill_gaps(area, [route.line()], width_m)]
    if not extra:
        return route
    sweeps = [leg.line for leg in route.legs if leg.kind == "sweep"]
    return route_from_pieces(insert_detours(sweeps, extra), connector)
