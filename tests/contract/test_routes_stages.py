"""Stage checkers (F2C style): every strategy of a stage is held to that stage's contract."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, box

from routes.channel import ContourSwaths
from routes.connect import StraightConnector, VisibilityConnector
from routes.decompose import BoustrophedonCells, WholeArea
from routes.geometry import polygons
from routes.ordering import Chunk, NearestNeighbour, OrToolsOrder, insert_detours, nest_loops
from routes.swaths import ParallelSwaths, best_angle, swath_cost
from routes.testing import winding_river
from routes.wavefront import WavefrontSwaths
from tests.geometries import CANONICAL, WIDTH_M, WITH_HOLE

DECOMPOSERS = [BoustrophedonCells(), WholeArea()]
SHAPES = list(CANONICAL.items())
POLYS = [(f"{name}-{i}", p) for name, g in SHAPES for i, p in enumerate(polygons(g))]


@pytest.mark.parametrize("decomposer", DECOMPOSERS, ids=lambda d: type(d).__name__)
@pytest.mark.parametrize(("name", "poly"), POLYS, ids=[n for n, _ in POLYS])
@pytest.mark.parametrize("angle", [0.0, 0.7, math.pi / 2])
def test_cells_partition_the_area(decomposer, name, poly, angle) -> None:
    """Cells cover the area exactly once: same total area, union equal, no overlaps."""
    cells = decomposer.cells(poly, angle, WIDTH_M)
    assert cells
    assert sum(c.area for c in cells) == pytest.approx(poly.area, rel=1e-6)
    assert shapely.union_all(cells).symmetric_difference(poly).area < 1e-3 * poly.area


@pytest.mark.parametrize("angle", [0.0, 0.3, 1.2])
def test_boustrophedon_cells_have_no_holes(angle) -> None:
    """Boustrophedon cells around an island are hole-free."""
    cells = BoustrophedonCells().cells(WITH_HOLE, angle, WIDTH_M)
    assert len(cells) >= 2
    assert all(len(c.interiors) == 0 for c in cells)


@pytest.mark.parametrize(("name", "poly"), POLYS, ids=[n for n, _ in POLYS])
@pytest.mark.parametrize("angle", [0.0, 0.5, 2.0])
def test_parallel_swaths_inside_and_parallel(name, poly, angle) -> None:
    """Parallel swaths lie inside the area, all along the asked angle, a width apart at most."""
    swaths = ParallelSwaths().generate(poly, WIDTH_M, angle)
    assert swaths
    region = poly.buffer(1e-6)
    for s in swaths:
        assert region.covers(s.path)
        (x0, y0), (x1, y1) = s.path.coords[0], s.path.coords[-1]
        heading = math.atan2(y1 - y0, x1 - x0) % math.pi
        assert min(abs(heading - angle % math.pi), math.pi - abs(heading - angle % math.pi)) < 1e-6
    offsets = sorted({s.index for s in swaths})
    assert offsets == list(range(len(offsets)))


@pytest.mark.parametrize(("name", "poly"), POLYS, ids=[n for n, _ in POLYS])
def test_contour_swaths_are_closed_loops_inside(name, poly) -> None:
    """Channel loops are closed, inside the area and at least half a width from its edge."""
    loops = ContourSwaths().generate(poly, WIDTH_M, 0.0)
    assert loops
    for s in loops:
        assert s.closed
        assert s.path.coords[0] == s.path.coords[-1]
        assert poly.covers(s.path)
        assert s.path.distance(poly.boundary) >= WIDTH_M / 2 - WIDTH_M * 0.05 - 1e-6


@pytest.mark.parametrize(("name", "poly"), POLYS, ids=[n for n, _ in POLYS])
def test_wavefront_swaths_inside_and_a_width_apart(name, poly) -> None:
    """Wavefront passes lie inside the area, short of the shore, on fronts at most a width
    apart along their runs (what keeps the water between two passes covered).

    Behind an island, where fronts that went round either side meet at an angle, the kink is
    farther than a width from the next front: those slivers are `gapfill`'s, so the spacing is
    checked on areas without holes.
    """
    gen = WavefrontSwaths()
    swaths = gen.generate(poly, WIDTH_M, 0.0)
    assert swaths
    for s in swaths:
        assert poly.covers(s.path)
        assert s.path.distance(poly.boundary) >= gen.reach_frac * WIDTH_M - 1e-6
    for run in gen.runs(poly, WIDTH_M) if not poly.interiors else []:
        for a, b in itertools.pairwise(run):
            points = [Point(c) for c in shapely.segmentize(a.front, WIDTH_M / 4).coords]
            # away from the shore (where turns take over), every point of a front is within a
            # width of the next one (1 % grid error), and the smoothing's move of either
            inner = [p for p in points if p.distance(poly.boundary) > WIDTH_M]
            reach = (1.02 + 2 * gen.smooth_frac) * WIDTH_M
            assert all(p.distance(b.front) <= reach for p in inner)


@pytest.mark.parametrize(("name", "poly"), POLYS, ids=[n for n, _ in POLYS])
def test_best_angle_beats_random_angles(name, poly) -> None:
    """The best angle costs no more than any of 20 seeded random angles."""
    gen = ParallelSwaths()
    best = swath_cost(gen.generate(poly, WIDTH_M, best_angle(gen, poly, WIDTH_M)), WIDTH_M, 20.0)
    rng = np.random.default_rng(3)
    for a in rng.uniform(0, math.pi, 20):
        assert best <= swath_cost(gen.generate(poly, WIDTH_M, float(a)), WIDTH_M, 20.0) + 1e-6


def test_connector_paths_stay_inside_and_join_the_points() -> None:
    """Paths between seeded random points start and end there and never cross the hole."""
    conn = VisibilityConnector(WITH_HOLE)
    rng = np.random.default_rng(11)
    pts: list[Point] = []
    while len(pts) < 16:
        p = Point(rng.uniform(0, 1000, 2))
        if WITH_HOLE.covers(p):
            pts.append(p)
    for a, b in zip(pts[::2], pts[1::2], strict=True):
        path = conn.link(a, b)
        assert Point(path.coords[0]).equals(a)
        assert Point(path.coords[-1]).equals(b)
        assert WITH_HOLE.buffer(0.01).covers(path)
        assert path.length >= a.distance(b) - 1e-9
        assert conn.distance(a, b) == pytest.approx(path.length)


def test_connector_joins_points_on_the_very_edge_of_a_winding_shore() -> None:
    """Points 5 cm inside a meandering shore (where pass ends lie) are joined inside the water,
    even those from which every line to a corner of the graph grazes the shore beside them."""
    river = affinity.scale(winding_river(4000.0), 0.5, 0.5)
    conn = VisibilityConnector(river)
    edge = river.buffer(-0.05).exterior
    pts = [edge.interpolate(f, normalized=True) for f in np.linspace(0, 1, 41)[:-1]]
    pts.append(Point(937.6607825739546, 71.47370327824768))  # once found to see no corner
    for a, b in itertools.pairwise(pts):
        path = conn.link(a, b)
        assert Point(path.coords[0]).equals(a)
        assert Point(path.coords[-1]).equals(b)
        assert river.buffer(0.01).covers(path)


def test_connector_detour_is_shortest_around_the_island() -> None:
    """Across a square island the detour goes round one corner pair: the exact shortest length."""
    conn = VisibilityConnector(WITH_HOLE, clearance_m=0.5)
    a, b = Point(500, 200), Point(500, 800)
    # around the 300 m island (350..650) via two corners, with 0.5 m clearance
    expected = 2 * math.hypot(150.5, 150.5) + 300 + 1.0
    assert conn.link(a, b).length == pytest.approx(expected, abs=2.0)


@pytest.mark.parametrize(
    "order", [NearestNeighbour(), OrToolsOrder()], ids=lambda o: type(o).__name__
)
def test_orders_fly_every_chunk_once(order) -> None:
    """Each chunk comes out exactly once; loops stay closed, open pieces keep their ends."""
    ring = LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])
    line = LineString([(300, 0), (400, 0)])
    chunks = [Chunk((ring,), ring=True), Chunk((line, line.reverse()))]
    out = order.sort(chunks, Point(450, 0))
    assert len(out) == 2
    assert out[0].equals(line)
    assert out[0].coords[0] == (400.0, 0.0)
    assert out[1].coords[0] == out[1].coords[-1]
    assert out[1].length == pytest.approx(ring.length)


@pytest.mark.parametrize(
    "order", [NearestNeighbour(), OrToolsOrder()], ids=lambda o: type(o).__name__
)
def test_orders_keep_every_piece_on_random_chunks(order) -> None:
    """On 30 seeded random pieces every piece is flown once, in one of its own directions."""
    rng = np.random.default_rng(5)
    lines = [LineString(rng.uniform(0, 1000, (2, 2))) for _ in range(30)]
    chunks = [Chunk((g, g.reverse())) for g in lines]
    out = order.sort(chunks, Point(0, 0))
    assert len(out) == 30
    assert sorted(round(g.length, 6) for g in out) == sorted(round(g.length, 6) for g in lines)
    for g in out:
        assert any(g.equals(h) for h in lines)


def test_nested_loops_keep_every_loop() -> None:
    """Hanging loops off one another keeps every loop's length and adds only short hops."""
    from routes.connect import StraightConnector

    rings = [Point(0, 0).buffer(r, quad_segs=8).exterior for r in (400, 300, 200)]
    loops = [LineString(ring.coords) for ring in rings]
    walks = nest_loops(loops, StraightConnector(), max_hop_m=150)
    assert len(walks) == 1
    hops = walks[0].length - sum(g.length for g in loops)
    assert 0 < hops <= 4 * 100 + 1e-6
    assert walks[0].coords[0] == walks[0].coords[-1]


def test_detours_keep_the_main_line_and_fly_each_extra() -> None:
    """Extras inserted as detours leave the main line whole and appear once each."""
    main = [LineString([(0, 0), (1000, 0)])]
    extras = [LineString([(200, 30), (300, 30)]), LineString([(800, -30), (700, -30)])]
    pieces = insert_detours(main, extras)
    flown_main = sum(p.length for p in pieces if p.coords[0][1] == 0 and p.coords[-1][1] == 0)
    assert flown_main == pytest.approx(1000)
    assert sum(1 for p in pieces if abs(p.coords[0][1]) == 30) == 2


def test_loops_nested_two_thousand_deep_are_joined() -> None:
    """Two thousand concentric loops (a wide lake at a narrow swath) hang off one another into
    one walk that flies every loop, past Python's recursion limit."""
    rings = [box(-r, -r, r, r).exterior for r in np.arange(1.0, 2001.0)]
    walks = nest_loops([LineString(r.coords) for r in rings], StraightConnector(), max_hop_m=1.5)
    assert len(walks) == 1
    assert walks[0].length == pytest.approx(sum(r.length for r in rings) + 2 * 1999, rel=1e-6)
