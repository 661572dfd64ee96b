"""Freshness grid over the whole Longyou patrol zone (about 84 km²): build, sweep, export.

Builds the grid at the given cell size, sweeps synthetic flight at 5 Hz (a loop along the
zone's shore, 150 m inside it, at 60 m and 10 m/s) chunk by chunk as the station does (300 points
a chunk), then exports the GeoJSON classes twice: at the end of the flight (fresh and never), and
with the first half of the flight older than the age limit (fresh, stale and never), printing the
polygons and vertices per class. Prints a table; timings are indicative only.

    .venv/bin/python bench/freshness.py [--cell-m 50] [--hours 1]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from pyproj import Transformer

from geodata.site import load_site
from groundstation.db.track import CHUNK_POINTS, TRACK_DTYPE
from groundstation.freshness.geojson import freshness_geojson
from groundstation.freshness.grid import FreshnessGrid
from groundstation.freshness.ingest import Camera, FreshnessTracker


def shore_loop(area: Any, n_points: int, step_m: float, inset_m: float = 150.0) -> np.ndarray:
    """Points every `step_m` along the zone's boundary, `inset_m` inside it, looping as needed."""
    inner = area.buffer(-inset_m)
    parts = list(getattr(inner, "geoms", [inner]))
    ring = max(parts, key=lambda p: p.area).exterior
    d = (np.arange(n_points) * step_m) % ring.length
    pts = shapely.line_interpolate_point(ring, d)
    return shapely.get_coordinates(pts)


def _geometries(fc: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each class of a FeatureCollection with its geometry."""
    shape = shapely.geometry.shape
    return [(f["properties"]["class"], shape(f["geometry"])) for f in fc["features"]]


def shape_size(geom: Any) -> str:
    """Polygons and vertices of one class's geometry."""
    parts = shapely.get_num_geometries(geom)
    return f"{parts} polygon(s), {shapely.get_num_coordinates(geom)} vertices"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-m", type=float, default=50.0)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()

    site = load_site()
    area = site.area("patrol_zone")
    t = time.perf_counter()
    grid = FreshnessGrid.for_area(area, args.cell_m)
    build_s = time.perf_counter() - t

    hz, speed = 5.0, 10.0
    n = int(args.hours * 3600 * hz)
    xy = shore_loop(area, n, speed / hz)
    inv = Transformer.from_crs(site.frame.epsg, 4326, always_xy=True)
    lon, lat = inv.transform(xy[:, 0], xy[:, 1])
    pts = np.empty(n, dtype=TRACK_DTYPE)
    pts["time_s"] = 1.78e9 + np.arange(n) / hz
    pts["lon_deg"], pts["lat_deg"] = lon, lat
    pts["alt_m"], pts["speed_m_s"], pts["heading_deg"] = 60.0, speed, 90.0

    tracker = FreshnessTracker(grid, site.frame.epsg, Camera())
    chunk_times = []
    t = time.perf_counter()
    for start in range(0, n, CHUNK_POINTS):
        c = time.perf_counter()
        tracker.add_chunk(1, pts[start : start + CHUNK_POINTS])
        chunk_times.append(time.perf_counter() - c)
    sweep_s = time.perf_counter() - t

    t = time.perf_counter()
    now_s = float(pts["time_s"][-1]) + 60.0
    fc = freshness_geojson(grid, site.frame, now_s=now_s)
    export_s = time.perf_counter() - t
    half_age_s = now_s - float(pts["time_s"][n // 2])
    t = time.perf_counter()
    fc_half = freshness_geojson(grid, site.frame, now_s=now_s, max_age_s=half_age_s)
    export_half_s = time.perf_counter() - t
    seen = int(np.isfinite(grid.last_seen).sum())

    ny, nx = grid.shape
    rows = [
        ("patrol zone", f"{area.area / 1e6:.1f} km²"),
        ("cell", f"{args.cell_m:g} m"),
        ("grid", f"{nx} x {ny} ({grid.cells_in_area} cells in the zone)"),
        ("grid memory", f"{(grid.last_seen.nbytes + grid.in_area.nbytes) / 1e6:.1f} MB"),
        ("build", f"{build_s * 1000:.0f} ms"),
        ("track", f"{args.hours:g} h at {hz:g} Hz = {n} points, {len(chunk_times)} chunks"),
        ("sweep total", f"{sweep_s:.2f} s ({sweep_s / args.hours:.2f} s per drone-hour)"),
        (
            "per chunk p50 / max",
            f"{np.median(chunk_times) * 1000:.1f} / {max(chunk_times) * 1000:.1f} ms",
        ),
        ("cells seen", f"{seen} ({seen / grid.cells_in_area:.1%} of the zone)"),
        ("GeoJSON export", f"{export_s * 1000:.0f} ms, {len(fc['features'])} features"),
        ("  half stale", f"{export_half_s * 1000:.0f} ms, {len(fc_half['features'])} features"),
        *((f"  {cls}", shape_size(g)) for cls, g in _geometries(fc_half)),
        ("  GeoJSON size", f"{len(json.dumps(fc_half)) / 1e3:.0f} kB"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
