"""The freshness grid: footprint sweep, incremental chunks, classes, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box, shape

from groundstation.db.track import TRACK_DTYPE
from groundstation.freshness.geojson import class_masks, freshness_geojson
from groundstation.freshness.grid import FreshnessGrid, footprint_radius_m
from groundstation.freshness.ingest import Camera, FreshnessTracker
from tests.geometries import L_SHAPE

AREA = box(0.0, 0.0, 2000.0, 1500.0)
TRACK_XY = np.array([[100.0, 1010.0], [1700.0, 1010.0], [1700.0, 330.0], [420.0, 330.0]])
ALT_M = 37.0
HFOV = 90.0


def _expected(grid: FreshnessGrid, line: LineString, radius: float) -> np.ndarray:
    gx, gy = grid.centres()
    d = shapely.distance(line, shapely.points(gx, gy))
    return grid.in_area & (d <= radius)


def _densify(xy: np.ndarray, step_m: float) -> np.ndarray:
    pts = [xy[0]]
    for a, b in itertools.pairwise(xy):
        n = max(1, math.ceil(np.hypot(*(b - a)) / step_m))
        pts.extend(a + (b - a) * k / n for k in range(1, n + 1))
    return np.array(pts)


def test_marks_exactly_the_cells_under_the_flown_track():
    """The cells seen are exactly those whose centres lie within the footprint of the track."""
    grid = FreshnessGrid.for_area(AREA, cell_m=50.0)
    xy = _densify(TRACK_XY, 7.0)
    t = np.arange(len(xy), dtype=float)
    grid.sweep(xy, t, np.full(len(xy), ALT_M), hfov_deg=HFOV)
    radius = float(footprint_radius_m(ALT_M, HFOV))
    expected = _expected(grid, LineString(TRACK_XY), radius)
    seen = np.isfinite(grid.last_seen)
    assert expected.sum() > 100
    assert np.array_equal(seen, expected)


def test_cells_outside_the_area_are_never_marked():
    """Only cells whose centre is inside the area (here an L shape with a notch) take a time."""
    grid = FreshnessGrid.for_area(L_SHAPE, cell_m=5.0)
    minx, miny, maxx, maxy = L_SHAPE.bounds
    xy = np.array([[minx, miny], [maxx, maxy]])
    grid.sweep(xy, np.array([0.0, 5.0]), np.array([200.0, 200.0]), hfov_deg=HFOV, max_gap_s=10)
    seen = np.isfinite(grid.last_seen)
    assert seen.any()
    assert not (seen & ~grid.in_area).any()


def test_later_pass_wins_and_earlier_pass_does_not_overwrite():
    """A cell keeps the latest time it was seen, whatever order passes are fed in."""
    grid = FreshnessGrid.for_area(AREA, cell_m=50.0)
    xy = _densify(TRACK_XY[:2], 7.0)
    alt = np.full(len(xy), ALT_M)
    grid.sweep(xy, np.arange(len(xy), dtype=np.float64) + 1000.0, alt, hfov_deg=HFOV)
    later = grid.last_seen.copy()
    updated = grid.sweep(xy, np.arange(len(xy), dtype=float), alt, hfov_deg=HFOV)
    assert updated == 0
    assert np.array_equal(np.isnan(later), np.isnan(grid.last_seen))
    assert np.nanmin(grid.last_seen) >= 1000.0


def test_ground_points_and_link_gaps_see_nothing():
    """Segments below the minimum altitude or spanning a long time gap mark no cell."""
    grid = FreshnessGrid.for_area(AREA, cell_m=50.0)
    xy = TRACK_XY[:2]
    assert grid.sweep(xy, np.array([0.0, 1.0]), np.array([2.0, 2.0]), hfov_deg=HFOV) == 0
    assert grid.sweep(xy, np.array([0.0, 60.0]), np.array([50.0, 50.0]), max_gap_s=10) == 0
    assert not np.isfinite(grid.last_seen).any()


def _track(xy_local: np.ndarray, tracker: FreshnessTracker, t0: float) -> np.ndarray:
    from pyproj import Transformer

    inv = Transformer.from_crs(tracker.epsg, 4326, always_xy=True)
    lon, lat = inv.transform(xy_local[:, 0], xy_local[:, 1])
    pts = np.empty(len(xy_local), dtype=TRACK_DTYPE)
    pts["time_s"] = t0 + np.arange(len(xy_local)) * 0.5
    pts["lon_deg"], pts["lat_deg"] = lon, lat
    pts["alt_m"], pts["speed_m_s"], pts["heading_deg"] = ALT_M, 8.0, 0.0
    return pts


def _utm_area() -> Polygon:
    # A 2 km x 1.5 km box in UTM 50N near the Longyou station.
    return shapely.affinity.translate(AREA, 712_000.0, 3_216_000.0)


def test_chunks_fed_one_by_one_equal_the_whole_track():
    """Sweeping a track chunk by chunk gives the same grid as sweeping it at once."""
    area = _utm_area()
    xy = _densify(TRACK_XY, 4.0) + np.array([712_000.0, 3_216_000.0])
    camera = Camera(hfov_deg=HFOV)
    whole = FreshnessTracker(FreshnessGrid.for_area(area, 50.0), 32650, camera)
    parts = FreshnessTracker(FreshnessGrid.for_area(area, 50.0), 32650, camera)
    pts = _track(xy, whole, 1.7e9)
    whole.add_chunk(1, pts)
    for start in range(0, len(pts), 37):
        parts.add_chunk(1, pts[start : start + 37])
    assert np.isfinite(whole.grid.last_seen).sum() > 100
    np.testing.assert_array_equal(whole.grid.last_seen, parts.grid.last_seen)


def test_a_chunk_after_a_gap_is_not_joined_to_the_previous_one():
    """A chunk marked gap_before does not sweep the straight line from the previous point."""
    area = _utm_area()
    off = np.array([712_000.0, 3_216_000.0])
    tracker = FreshnessTracker(FreshnessGrid.for_area(area, 50.0), 32650, Camera(hfov_deg=HFOV))
    a = _track(np.array([[100.0, 100.0], [110.0, 100.0]]) + off, tracker, 1.7e9)
    b = _track(np.array([[1900.0, 1400.0], [1910.0, 1400.0]]) + off, tracker, 1.7e9 + 2)
    tracker.add_chunk(7, a)
    tracker.add_chunk(7, b, gap_before=True)
    j, i = 1000 // 50, 1000 // 50  # a cell halfway along the jump
    assert np.isnan(tracker.grid.last_seen[j, i])


def test_geojson_classes_partition_the_area():
    """Fresh, stale and never cells add up to the area's cells, each class one feature."""
    area = _utm_area()
    grid = FreshnessGrid.for_area(area, 50.0)
    xy = _densify(TRACK_XY, 7.0) + np.array([712_000.0, 3_216_000.0])
    grid.sweep(xy[: len(xy) // 2], np.full(len(xy) // 2, 0.0), np.full(len(xy) // 2, ALT_M))
    grid.sweep(
        xy[len(xy) // 2 :],
        np.full(len(xy) - len(xy) // 2, 90_000.0),
        np.full(len(xy) - len(xy) // 2, ALT_M),
    )
    masks = class_masks(grid, now_s=100_000.0, max_age_s=86_400.0)
    assert all(m.sum() > 0 for m in masks.values())
    assert sum(int(m.sum()) for m in masks.values()) == grid.cells_in_area
    from geodata.crs import LocalFrame

    fc = freshness_geojson(grid, LocalFrame.from_epsg(32650), now_s=100_000.0)
    assert [f["properties"]["class"] for f in fc["features"]] == ["fresh", "stale", "never"]
    assert sum(f["properties"]["cells"] for f in fc["features"]) == grid.cells_in_area
    p = shape(fc["features"][0]["geometry"]).representative_point()
    lon, lat = p.x, p.y
    assert 118 < lon < 121
    assert 28 < lat < 30


def test_geojson_stale_staircase_is_one_seamless_polygon():
    """A staircase of stale cells (rows of unequal length) comes out as one polygon, no strips."""
    from geodata.crs import LocalFrame

    n, cell = 10, 50.0
    x0, y0 = 712_000.0, 3_216_000.0
    grid = FreshnessGrid.for_area(box(x0, y0, x0 + n * cell, y0 + n * cell), cell)
    assert grid.shape == (n, n)
    rows, cols = np.indices(grid.shape)
    stale = cols <= rows  # row j has j + 1 stale cells from the left edge
    grid.last_seen[:] = np.where(stale, 0.0, 100_000.0)

    fc = freshness_geojson(grid, LocalFrame.from_epsg(32650), now_s=100_000.0, max_age_s=3600.0)
    by_class = {f["properties"]["class"]: f for f in fc["features"]}
    assert set(by_class) == {"fresh", "stale"}
    assert by_class["stale"]["properties"]["cells"] == int(stale.sum())
    geometry = by_class["stale"]["geometry"]
    assert geometry["type"] == "Polygon"
    assert len(geometry["coordinates"]) == 1  # no holes, no seams
    # a staircase of n steps has 2n + 2 corners and no other vertices (ring closed: one more)
    assert len(geometry["coordinates"][0]) == 2 * n + 3
    assert shape(geometry).is_valid


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: FreshnessGrid.for_area(AREA, cell_m=0), "cell size"),
        (lambda: FreshnessGrid.for_area(Polygon(), cell_m=50), "empty"),
        (lambda: footprint_radius_m(50.0, 180.0), "hfov"),
        (
            lambda: FreshnessGrid.for_area(AREA).sweep(
                TRACK_XY[:2], np.array([5.0, 1.0]), np.array([50.0, 50.0])
            ),
            "must not decrease",
        ),
        (
            lambda: FreshnessGrid.for_area(AREA).sweep(
                TRACK_XY[:, :1], np.array([0.0] * 4), np.array([50.0] * 4)
            ),
            "shape",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    """Nonsense cell sizes, areas, cameras and tracks raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        call()


def test_save_and_load_round_trip(tmp_path):
    """A saved grid loads back with the same layout and times."""
    grid = FreshnessGrid.for_area(AREA, 50.0)
    grid.sweep(
        _densify(TRACK_XY, 7.0),
        np.arange(len(_densify(TRACK_XY, 7.0)), dtype=float),
        np.full(len(_densify(TRACK_XY, 7.0)), ALT_M),
    )
    grid.save(tmp_path / "g.npz")
    back = FreshnessGrid.load(tmp_path / "g.npz")
    assert (back.x0, back.y0, back.cell_m) == (grid.x0, grid.y0, grid.cell_m)
    np.testing.assert_array_equal(back.in_area, grid.in_area)
    np.testing.assert_array_equal(back.last_seen, grid.last_seen)
