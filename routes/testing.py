"""Shapes for tests and benchmarks, shipped with the library (as ``structlog.testing`` is).

All in metres, in an arbitrary local frame around the origin.

>>> round(convex_lake().area / 1e6, 2), len(winding_river().interiors)
(9.42, 2)
>>> round(canal().area / 1e6, 2), len(islands_lake().interiors), len(reservoir_arms())
(0.8, 14, 5)
>>> reservoir = branched_reservoir()
>>> reservoir.is_valid, round(reservoir.area / 1e6, 1), len(reservoir.interiors)
(True, 4.3, 1)
>>> lake = random_lake(np.random.default_rng(9))
>>> lake.is_valid, 0.01 < lake.area / 1e6 < 20
(True, True)
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box


def square(side_m: float = 1000.0) -> Polygon:
    return box(0, 0, side_m, side_m)


def l_shape() -> Polygon:
    """An L: a 1200 x 400 arm and a 400 x 1200 arm."""
    return Polygon([(0, 0), (1200, 0), (1200, 400), (400, 400), (400, 1200), (0, 1200)])


def with_hole() -> Polygon:
    """A 1000 m square with a 300 m square island in the middle."""
    return Polygon(box(0, 0, 1000, 1000).exterior, [box(350, 350, 650, 650).exterior.coords[::-1]])


def sliver() -> Polygon:
    """A 1500 m long, 60 m wide strip, slightly slanted."""
    return Polygon([(0, 0), (1500, 100), (1500, 160), (0, 60)])


def multipolygon() -> MultiPolygon:
    """Two separate ponds 300 m apart."""
    return MultiPolygon([box(0, 0, 500, 400), box(800, 0, 1300, 500)])


def convex_lake() -> Polygon:
    """An elliptical lake, 4 km by 3 km (9.4 km²)."""
    return affinity.scale(Point(0, 0).buffer(1000, quad_segs=32), 2.0, 1.5)


def l_reservoir() -> Polygon:
    """An L-shaped reservoir (arms 4 km x 1.2 km) with a circular no-fly hole of 250 m radius."""
    ell = Polygon([(0, 0), (4000, 0), (4000, 1200), (1200, 1200), (1200, 4000), (0, 4000)])
    hole = Point(600, 600).buffer(250, quad_segs=16)
    return Polygon(ell.exterior, [hole.exterior.coords[::-1]])


def winding_river(length_m: float = 20_000.0, seed: int = 7) -> Polygon:
    """A 20 km river meandering across the x axis, 300-600 m wide, with two islands."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 801)
    x = t * length_m * 0.8
    y = 1200 * np.sin(2 * math.pi * 2.5 * t) + 300 * np.sin(2 * math.pi * 6 * t + rng.uniform(0, 1))
    centre = np.column_stack([x, y])
    d = np.gradient(centre, axis=0)
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    half = 225 + 75 * np.sin(2 * math.pi * 4 * t + rng.uniform(0, 1))
    island_at = [200, 560]
    for i in island_at:
        half[i - 40 : i + 41] = np.maximum(half[i - 40 : i + 41], 300 * np.hanning(81) ** 0.3)
    left = centre + normal * half[:, None]
    right = centre - normal * half[:, None]
    river = Polygon(np.vstack([left, right[::-1]])).buffer(0)
    assert isinstance(river, Polygon)
    holes = [LineString(centre[i - 12 : i + 13]).buffer(70, quad_segs=8) for i in island_at]
    return Polygon(river.exterior, [h.exterior.coords[::-1] for h in holes])


def random_lake(rng: np.random.Generator) -> Polygon:
    """A lake of 3 to 11 overlapping discs (200 m to 1.5 km across the lot) with up to three
    round islands: bays, necks and islands in shapes nobody drew by hand (for fuzzing)."""
    n, r = int(rng.integers(3, 12)), float(rng.uniform(200, 1500))
    pts = rng.uniform(-r, r, (n, 2))
    lake = shapely.union_all([Point(p).buffer(rng.uniform(0.25, 0.6) * r) for p in pts])
    lake = lake.buffer(-r * 0.1).buffer(r * 0.1)
    if isinstance(lake, MultiPolygon):
        lake = max(lake.geoms, key=lambda p: p.area)
    for _ in range(rng.integers(0, 4)):
        hole = Point(rng.uniform(-r, r, 2)).buffer(rng.uniform(20, 0.2 * r))
        if lake.buffer(-30).contains(hole):
            lake = lake.difference(hole)
    assert isinstance(lake, Polygon)
    return lake


def canal_centre(length_m: float = 7000.0) -> LineString:
    """The centre line of `canal`: two gentle bends, 7 km end to end."""
    t = np.linspace(0, 1, 141)
    return LineString(np.column_stack([t * length_m, 400 * np.sin(math.pi * 2 * t) * t]))


def canal(length_m: float = 7000.0, width_m: float = 110.0) -> Polygon:
    """A 7 km canal 110 m wide with two gentle bends and a lock basin (300 x 220 m) half way."""
    line = canal_centre(length_m)
    basin = Point(line.interpolate(0.5, normalized=True)).buffer(110, quad_segs=8)
    basin = affinity.scale(basin, 150 / 110, 1.0)
    water = line.buffer(width_m / 2, cap_style="flat").union(basin)
    assert isinstance(water, Polygon)
    return water


def islands_lake(islands: int = 14, seed: int = 3) -> Polygon:
    """A 3.6 x 2.4 km lake with a wavy shore and ``islands`` round islands (40-150 m across the
    small ones, up to 300 m), none nearer than 80 m to the shore or another island."""
    rng = np.random.default_rng(seed)
    a = np.linspace(0, 2 * math.pi, 240, endpoint=False)
    r = 1 + 0.06 * np.sin(3 * a + 0.4) + 0.04 * np.sin(7 * a + 1.3)
    lake = Polygon(np.column_stack([1800 * r * np.cos(a), 1200 * r * np.sin(a)]))
    holes: list[Polygon] = []
    while len(holes) < islands:
        radius = float(rng.choice([rng.uniform(20, 75), rng.uniform(75, 150)], p=[0.6, 0.4]))
        isle = Point(rng.uniform(-1700, 1700), rng.uniform(-1100, 1100)).buffer(radius, 8)
        if lake.buffer(-80).contains(isle) and all(h.distance(isle) > 80 for h in holes):
            holes.append(isle)
    return Polygon(lake.exterior, [h.exterior.coords[::-1] for h in holes])


def reservoir_arms() -> list[tuple[LineString, float]]:
    """The centre lines and half widths of `branched_reservoir`: a 6 km trunk up a valley and
    four side arms (1.5-3 km) branching off it, 160-500 m wide."""
    t = np.linspace(0, 1, 121)
    trunk = LineString(np.column_stack([t * 6000, 500 * np.sin(math.pi * 1.5 * t)]))
    arms = [(trunk, 250.0)]
    for at, angle, length, half in ((0.2, 70, 2500, 130), (0.45, -60, 3000, 180),
                                    (0.65, 110, 1800, 90), (0.85, -100, 1500, 80)):  # fmt: skip
        p = trunk.interpolate(at, normalized=True)
        s = np.linspace(0, 1, 41)
        heading = math.radians(angle) + 0.4 * s * math.sin(at * 10)  # arms curve a little
        xy = np.column_stack(
            [
                p.x + np.cumsum(np.cos(heading)) * length / 40,
                p.y + np.cumsum(np.sin(heading)) * length / 40,
            ]
        )
        arms.append((LineString(np.vstack([[p.x, p.y], xy])), half))
    return arms


def branched_reservoir() -> Polygon:
    """A valley reservoir: a trunk and four side arms (`reservoir_arms`), narrowing to their
    ends, with one island in the trunk."""
    parts = []
    for line, half in reservoir_arms():
        # each arm narrows to 60 % of its width at its far end
        pieces = [
            LineString(line.coords[i : i + 2]).buffer(
                half * (1 - 0.4 * i / (len(line.coords) - 1)), quad_segs=8
            )
            for i in range(len(line.coords) - 1)
        ]
        parts.append(shapely.union_all(pieces))
    water = shapely.union_all(parts).buffer(20).buffer(-20)
    assert isinstance(water, Polygon)
    trunk = reservoir_arms()[0][0]
    island = Point(trunk.interpolate(0.3, normalized=True)).buffer(90, quad_segs=8)
    return Polygon(water.exterior, [island.exterior.coords[::-1]])
