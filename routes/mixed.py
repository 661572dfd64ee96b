"""Mixed coverage: loops along the shore, and passes across where the water needs an odd count.

A strip of water a whole number of passes wide is covered by loops that follow its banks
(`routes.channel`): each loop is two passes along it. Where the water needs an odd number of
passes across its width (a river 300-450 m wide at a 150 m swath needs three), the loops
leave a strip down the middle that a single pass covers; but a path crosses every
cross-section an even number of times (once more between its start and its end), so that
pass is flown out and back: four passes where three would do. Passes *across* the water
cross each cross-section once whatever its width; so here one side of the loop, along that
stretch, is flown instead as passes across the strip it and the middle strip cover, back and
forth from one end of the stretch to the other, and the loop goes on from there. The loop is
still one loop and the count stays even (the passes across replace one pass along).

Each stretch is swapped only where the passes across cost less, at ``objective``, than the
side of the loop and the middle pass flown out and back. By flight time (the default) they
seldom do: passes across a strip 150-300 m wide are short, and the drone slows for two square
corners at the end of each (on the winding river at 150 m: 3 to 10 s more per stretch, so
none is swapped). By length (`routes.objectives.PathLength`) the river is 1.244 x area/swath
where the loops are 1.268, flown in 121.2 min instead of 120.3. So `plan_coverage_path`'s
default set leaves this pattern out; ``bench/coverage.py --strategy mixed`` shows it.

>>> from shapely import union_all
>>> from shapely.geometry import box
>>> from routes.connect import StraightConnector
>>> from routes.objectives import PathLength
>>> water = union_all([box(0, -140, 7000, 140),      # 280 m wide: two passes of 150 m
...                    box(1000, -200, 2800, 200), box(4200, -200, 6000, 200)])   # 400 m: three
>>> [ring] = MixedCoverage(objective=PathLength()).chunks(water, 150, StraightConnector())
>>> loop = ContourSwaths().generate(water, 150, 0.0)[0].path
>>> ring.ring, round(loop.length), round(ring.variants[0].length)  # one side of one stretch across
(True, 14198, 16616)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.channel import ContourSwaths
from routes.connect import Connector
from routes.gapfill import centerline, uncovered
from routes.geometry import polygons, rotate_ring_to, substring
from routes.objectives import FlightTime, PathObjective
from routes.ordering import Chunk
from routes.wavefront import (
    Pass,
    WavefrontSwaths,
    back_and_forth,
    extend_into_gaps,
    tilt_ends,
)


@dataclass(frozen=True, slots=True)
class MixedCoverage:
    """Loops following the shore, one side of a loop flown across the water where a middle
    strip is left between its sides.

    A strip the loops leave uncovered, with a centre line at least ``min_strip_frac`` widths
    long, is a candidate; of the loop sides along it (the pieces of loops within half a width
    of it), the one whose swap saves most at ``objective`` is flown as passes across the strip
    and the water it covered: fronts of `routes.wavefront` reaching ``reach_frac`` of a width
    past them, straightened to ``simplify_frac`` of a width (a vertex costs time), their ends
    flown on into wedges over ``wedge_min_frac`` of a width squared and their turns widened by
    ``turn_shift_frac`` of a width (`tilt_ends`).
    """

    loops: ContourSwaths = field(default_factory=ContourSwaths)
    crossings: WavefrontSwaths = field(default_factory=WavefrontSwaths)
    objective: PathObjective = field(default_factory=FlightTime)
    min_strip_frac: float = 2.0
    turn_shift_frac: float = 0.1
    simplify_frac: float = 0.5
    reach_frac: float = 0.0
    wedge_min_frac: float = 0.02
    name: str = "mixed"

    def estimate(self, area: BaseGeometry, width_m: float, objective: PathObjective) -> float:
        return 0.0

    def chunks(self, area: BaseGeometry, width_m: float, connector: Connector) -> list[Chunk]:
        out: list[Chunk] = []
        for poly in polygons(area):
            swaths = self.loops.generate(poly, width_m, 0.0)
            loops = [s.path for s in swaths if s.closed]
            strips = [
                g for g in polygons(uncovered(poly, loops, width_m)) if g.area >= width_m * width_m
            ]
            # the largest strip is left to the loops: a route may cross one stretch an odd
            # number of times, and `plan_coverage_path` ends it on that strip's middle pass
            for strip in sorted(strips, key=lambda g: -g.area)[1:]:
                loops = self._across(poly, strip, loops, width_m, connector)
            out += [Chunk((line,), ring=True) for line in loops]
            out += [Chunk((s.path, s.path.reverse())) for s in swaths if not s.closed]
        return out

    def _across(
        self,
        poly: Polygon,
        strip: Polygon,
        loops: list[LineString],
        width_m: float,
        connector: Connector,
    ) -> list[LineString]:
        """``loops`` with the side beside ``strip`` flown across, if that is cheaper."""
        middle = centerline(strip, width_m / 4)
        smooth = middle.simplify(width_m / 10)  # as `routes.gapfill` flies it
        middle = smooth if isinstance(smooth, LineString) else middle
        if middle.length < self.min_strip_frac * width_m:
            return loops
        near = strip.buffer(width_m / 2 + 0.05 * width_m, quad_segs=4)
        best: tuple[float, int, LineString] | None = None
        for k, loop in enumerate(loops):
            if loop.distance(strip) > width_m / 2 + 0.05 * width_m:
                continue
            # re-start the loop as far from the strip as it goes, so the side is one piece
            far = max(
                (Point(c) for c in loop.coords[:: max(1, len(loop.coords) // 64)]),
                key=lambda p: p.distance(strip),
            )
            ring = rotate_ring_to(loop, far)
            for side in shapely.get_parts(ring.intersection(near)):
                if not isinstance(side, LineString) or side.length < 0.5 * middle.length:
                    continue
                a = float(ring.project(Point(side.coords[0])))
                b = float(ring.project(Point(side.coords[-1])))
                a, b = min(a, b), max(a, b)
                if b - a > ring.length / 2:
                    continue  # the side is most of the loop: a small loop round the strip
                path = self._crossing(poly, strip, ring, a, b, loops, k, width_m, connector)
                if path is None:
                    continue
                saved = self.objective.cost(_with_detour(ring, a, b, middle)) - self.objective.cost(
                    path
                )
                if saved > 0 and (best is None or saved > best[0]):
                    head, tail = substring(ring, 0.0, a), substring(ring, b, ring.length)
                    coords = [*head.coords, *path.coords[1:], *tail.coords[1:]]
                    best = (saved, k, LineString(coords))
        if best is None:
            return loops
        _, k, line = best
        return [line if i == k else other for i, other in enumerate(loops)]

    def _crossing(
        self,
        poly: Polygon,
        strip: Polygon,
        ring: LineString,
        a: float,
        b: float,
        loops: list[LineString],
        k: int,
        width_m: float,
        connector: Connector,
    ) -> LineString | None:
        """From ``ring`` at ``a`` to ``ring`` at ``b`` by passes across what the side between
        them and ``strip`` cover, or None if they do not make one run."""
        side = substring(ring, a, b)
        rest = [ln for i, ln in enumerate(loops) if i != k]
        rest += [substring(ring, 0.0, a), substring(ring, b, ring.length)]
        window = poly.intersection(side.buffer(width_m).union(strip.buffer(width_m / 2)))
        # only what passes near the window counts (a lake's dozens of loops are slow to cover)
        reach = window.buffer(width_m, quad_segs=2)
        near = [ln.intersection(reach) for ln in rest if ln.distance(window) < width_m / 2]
        left = [
            g
            for g in polygons(uncovered(window, near, width_m))
            if g.intersects(strip) or g.distance(side) < 1.0
        ]
        if not left:
            return None
        strip_left = shapely.union_all(left)
        # passes stop short of the cover of the passes beside as they do of the shore (and
        # their turns are widened the same way); fronts may reach ``reach_frac`` into it
        zone = strip_left.buffer(self.reach_frac * width_m, quad_segs=4).intersection(poly)
        pieces = polygons(zone)
        if len(pieces) != 1:
            return None
        runs = self.crossings.runs(pieces[0], width_m)
        if len(runs) != 1 or len(runs[0]) < 2:
            return None
        run = runs[0]
        x, y = Point(ring.interpolate(a)), Point(ring.interpolate(b))
        first, last = run[0].flown(), run[-1].flown()
        if first.distance(y) + last.distance(x) < first.distance(x) + last.distance(y):
            run = run[::-1]
        p0 = run[0].flown()
        flip = Point(p0.coords[-1]).distance(x) < Point(p0.coords[0]).distance(x)
        # pass ends flown on into the wedges a slanted bank leaves (`extend_into_gaps`)
        flown = self._flown(run, flip, poly, width_m)
        run = extend_into_gaps(
            run, uncovered(strip_left, [*rest, *flown], width_m), width_m, self.wedge_min_frac
        )
        flown = self._flown(run, flip, poly, width_m)
        coords: list[tuple[float, ...]] = [x.coords[0]]
        for p in flown:
            coords += connector.link(Point(coords[-1]), Point(p.coords[0])).coords[1:]
            coords += p.coords[1:]
        coords += connector.link(Point(coords[-1]), y).coords[1:]
        xy = np.asarray(coords, dtype=float)
        keep = np.concatenate([[True], np.any(np.diff(xy, axis=0) != 0, axis=1)])
        return LineString(xy[keep])

    def _flown(
        self, run: Sequence[Pass], flip: bool, poly: Polygon, width_m: float
    ) -> list[LineString]:
        """The passes back and forth, straightened (a front is drawn on a grid, and every
        vertex costs time) and their turns widened (`tilt_ends`)."""
        passes = back_and_forth(run, flip)
        straight = [p.simplify(self.simplify_frac * width_m) for p in passes]
        return tilt_ends(
            [s if isinstance(s, LineString) else p for s, p in zip(straight, passes, strict=True)],
            self.turn_shift_frac * width_m,
            width_m / 2,
            poly,
        )


def _with_detour(ring: LineString, a: float, b: float, middle: LineString) -> LineString:
    """What the loops fly from ``a`` to ``b`` along ``ring`` without passes across: the side,
    with the pass down ``middle`` flown from its nearest point and straight back to it."""
    side = substring(ring, a, b)
    end = Point(middle.coords[0])
    if side.distance(Point(middle.coords[-1])) < side.distance(end):
        middle = middle.reverse()
        end = Point(middle.coords[0])
    d = float(side.project(end))
    at = side.interpolate(d)
    coords = [
        *substring(side, 0.0, d).coords,
        *middle.coords,
        at.coords[0],
        *substring(side, d, side.length).coords[1:],
    ]
    return LineString(coords)
