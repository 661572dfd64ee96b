"""Fuzz the coverage planner: seeded random lakes, every pattern, the contract checked.

Run: ``.venv/bin/python bench/fuzz_planner.py [--seeds 0:40]``. For each seed: a random lake
(`routes.testing.random_lake`: overlapping discs, necks, bays, up to three islands) and a
random swath width of 25-160 m; each pattern alone and the planner's choice. It prints a line for
every plan that crashes (an exception other than a clear `PlanningError` refusal), covers under
99.5 %, reports a covered fraction that grid sampling (a twelfth of a swath) does not confirm,
leaves the water, or takes over 20 s; then the count of plans made and of failures, and the
slowest plan. Five of this session's fixes were found this way (see CHANGELOG).
"""

from __future__ import annotations

import argparse
import time
import traceback

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from routes.coverage import (
    ChannelCoverage,
    CoverageStrategy,
    ParallelCoverage,
    WavefrontCoverage,
    plan_coverage_path,
)
from routes.errors import PlanningError
from routes.geometry import outside_length
from routes.mixed import MixedCoverage
from routes.objectives import PathLength
from routes.testing import random_lake


def sampled_coverage(path: BaseGeometry, area: BaseGeometry, width_m: float) -> float:
    """Share of grid points (a twelfth of a swath apart) within half a swath of ``path``."""
    step = width_m / 12
    x0, y0, x1, y1 = area.bounds
    xs, ys = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    inside = shapely.contains_xy(area, xs, ys)
    # a point a hair beyond half a swath (on a grid row along a straight shore) is not a gap
    far = shapely.distance(path, shapely.points(xs[inside], ys[inside])) > width_m / 2 + 0.05
    return float(1 - far.mean())


def check(
    area: BaseGeometry, width_m: float, strategy: CoverageStrategy | None
) -> tuple[list[str], float]:
    """What is wrong with the plan of ``area`` (empty when nothing is), and its planning time."""
    start = time.perf_counter()
    try:
        result = plan_coverage_path(area, width_m, strategies=[strategy] if strategy else None)
    except PlanningError:
        return [], time.perf_counter() - start  # a refusal with its reason is an answer
    except Exception as exc:  # the point is to catch what should not happen
        crash = [f"crash {type(exc).__name__}: {exc}", traceback.format_exc(limit=-3)]
        return crash, time.perf_counter() - start
    took = time.perf_counter() - start
    path = result.route.line()
    wrong = []
    if result.covered_frac < 0.995:
        wrong.append(f"covered {result.covered_frac:.4f}")
    sampled = sampled_coverage(path, area, width_m)
    if abs(sampled - result.covered_frac) > 0.003:
        wrong.append(f"reports {result.covered_frac:.4f}, sampling finds {sampled:.4f}")
    if outside_length(path, area) > 0:
        wrong.append(f"{outside_length(path, area):.1f} m outside the water")
    if took > 20:
        wrong.append(f"slow: {took:.0f} s")
    return wrong, took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0:20", help="first:last (last excluded)")
    args = ap.parse_args()
    first, last = (int(v) for v in args.seeds.split(":"))
    patterns: list[CoverageStrategy | None] = [
        ChannelCoverage(),
        WavefrontCoverage(),
        ParallelCoverage(),
        MixedCoverage(objective=PathLength()),  # swapped wherever shorter: its passes across
        None,
    ]
    plans = failures = 0
    slowest = (0.0, "")
    for seed in range(first, last):
        rng = np.random.default_rng(seed)
        lake = random_lake(rng)
        width = float(rng.uniform(25, 160))
        for pattern in patterns:
            name = pattern.name if pattern else "auto"
            wrong, took = check(lake, width, pattern)
            plans += 1
            slowest = max(slowest, (took, f"seed {seed} {name}"))
            if wrong:
                failures += 1
                print(f"seed {seed} ({lake.area / 1e6:.2f} km², {width:.0f} m) {name}: "
                      + "; ".join(wrong))  # fmt: skip
    print(f"{plans} plans, {failures} with a problem; slowest to plan {slowest[0]:.1f} s "
          f"({slowest[1]})")  # fmt: skip


if __name__ == "__main__":
    main()
