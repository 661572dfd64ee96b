"""Coverage planner benchmark: the issue's table (run: ``.venv/bin/python bench/coverage.py``).

For each shape and swath width: path length, ratio to the lower bound (area / swath width),
covered fraction (area within half a swath of the path), length outside the area or inside its
holes, number of turns (heading changes over 30 degrees), the estimated flight time at the default
drone's 15 m/s (`routes.flight_time`: ArduCopter's speed profile, what the planner minimises)
and planning time (wall clock, and
the process's CPU time, which other jobs on the machine do not inflate). The path is the
coverage path alone (no station, no battery split), as ``ecopatrol plan coverage --station none``.

Longyou shapes are the shipped site's areas minus the hard no-fly zones (the airport zone); the
others are `routes.testing`'s. ``floor`` is the shape's floor from `bench/coverage_floor.py`
(passes along its centre lines, a whole number per cross-section; a lake's straight passes at
their best angle; turns, joins and parity left out), where a model fits the shape.

``--strategy mixed`` plans with `routes.mixed` alone, its stretches swapped wherever that is
shorter (not in the planner's default set: it is slower by the speed model), to show what
passes across the water where it needs an odd count would save in length and cost in time.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import cast

import shapely
from coverage_floor import lanes_floor, parallel_floor
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from routes.coverage import (
    ChannelCoverage,
    CoverageStrategy,
    ParallelCoverage,
    WavefrontCoverage,
    plan_coverage_path,
)
from routes.gapfill import centerline
from routes.geometry import covered_fraction, outside_length, turns
from routes.mixed import MixedCoverage
from routes.objectives import FlightTime, PathLength
from routes.testing import (
    branched_reservoir,
    canal,
    canal_centre,
    convex_lake,
    islands_lake,
    l_reservoir,
    reservoir_arms,
    winding_river,
)


def _simplified(line: LineString) -> LineString:
    """``line`` simplified to 5 m (shapely types simplify() as any geometry)."""
    return cast(LineString, line.simplify(5))


def longyou(name: str) -> BaseGeometry:
    from geodata.site import load_site

    site = load_site(None)
    area = site.area(name, local=True)
    hard = shapely.union_all(site.no_fly(local=True))
    return area.difference(hard)


#: Fields2Cover on such shapes, from the issue (ratio, covered %), where it was measured
F2C = {
    ("convex lake", 80.0): (1.07, 99.4),
    ("L reservoir + no-fly hole", 80.0): (1.18, 99.4),
    ("L reservoir + no-fly hole", 150.0): (1.23, 99.5),
    ("winding river + 2 islands", 80.0): (1.33, 98.3),
    ("winding river + 2 islands", 150.0): (1.41, 96.9),
}


#: a shape's floor (ratio to area / width below which passes of its model cannot go, see
#: `bench/coverage_floor.py`): passes along its centre lines, or straight at the best angle
Floor = Callable[[float], float]


def cases() -> list[tuple[str, BaseGeometry, Floor | None]]:
    river, lake, reservoir = winding_river(), islands_lake(), branched_reservoir()
    arms = [line for line, _ in reservoir_arms()]
    return [
        ("Longyou water surface", longyou("water_surface"), None),
        ("Longyou patrol zone", longyou("patrol_zone"), None),
        ("convex lake", convex_lake(), partial(parallel_floor, convex_lake())),
        ("L reservoir + no-fly hole", l_reservoir(), None),
        (
            "winding river + 2 islands",
            river,
            partial(lanes_floor, river, [_simplified(centerline(Polygon(river.exterior), 40.0))]),
        ),
        ("canal 110 m + lock basin", canal(), partial(lanes_floor, canal(), [canal_centre()])),
        ("lake with 14 islands", lake, partial(parallel_floor, lake)),
        ("valley reservoir, 5 arms", reservoir, partial(lanes_floor, reservoir, arms)),
    ]


def _f2c(name: str, width_m: float) -> str:
    if (name, width_m) not in F2C:
        return ""
    ratio, covered = F2C[(name, width_m)]
    return f"{ratio:.2f} / {covered:.1f} %"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="80,150")
    ap.add_argument(
        "--strategy",
        choices=["best", "channel", "wavefront", "parallel", "mixed", "each"],
        default="best",
        help="best: the planner's choice (by estimated flight time); each: a row per strategy "
        "(mixed included)",
    )
    ap.add_argument("--cases", default="", help="only the cases whose name contains this")
    args = ap.parse_args()
    alone: dict[str, Sequence[CoverageStrategy] | None] = {
        "channel": [ChannelCoverage()],
        "wavefront": [WavefrontCoverage()],
        "parallel": [ParallelCoverage()],
        "mixed": [MixedCoverage(objective=PathLength())],
    }
    if args.strategy == "each":
        runs = list(alone.values())
    else:
        runs = [None if args.strategy == "best" else alone[args.strategy]]
    head = (
        f"{'case':28} {'swath':>5} {'km²':>6} {'length km':>10} {'ratio':>6} {'covered %':>9} "
        f"{'floor':>6} {'outside m':>9} {'turns':>6} {'fly min':>7} {'time s':>7} {'cpu s':>6}  "
        f"{'strategy':8}  "
        "F2C ratio / covered"
    )
    print(head)
    print("-" * len(head))
    objective = FlightTime()
    for name, area, floor in cases():
        if args.cases not in name:
            continue
        for w, strategies in itertools.product(map(float, args.widths.split(",")), runs):
            low = f"{floor(w):6.3f}" if floor is not None else f"{'-':>6}"
            t0, c0 = time.perf_counter(), time.process_time()
            result = plan_coverage_path(area, w, strategies=strategies)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            path = result.route.line()
            bound = area.area / w
            print(
                f"{name:28} {w:5.0f} {area.area / 1e6:6.2f} {path.length / 1000:10.1f} "
                f"{path.length / bound:6.3f} {covered_fraction(path, area, w) * 100:9.2f} "
                f"{low} {outside_length(path, area):9.1f} {turns(path):6d} "
                f"{objective.cost(path) / objective.nav.speed_m_s / 60:7.1f} {dt:7.2f} {cpu:6.2f}  "
                f"{result.strategy:8}  {_f2c(name, w)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
