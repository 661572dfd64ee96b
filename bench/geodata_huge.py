"""How long a site with one huge patrol area (10^6 vertices by default) takes to load.

Run: .venv/bin/python bench/geodata_huge.py [VERTICES] [--gpkg]
Prints the file size, the time to write it, the time load_site takes and the warning it gives
(or the refusal). --gpkg stores the polygon in a GeoPackage, which has no per-feature size cap
(GDAL's GeoJSON reader refuses single features of about 2 million vertices and more).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_huge_polygon(path: Path, vertices: int) -> None:
    """A wiggly circle near Longyou with `vertices` vertices, as a patrol_areas GeoJSON file."""
    t = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    r = 0.05 * (1.0 + 0.02 * np.sin(t * 997.0))
    lon = 119.18 + r * np.cos(t)
    lat = 29.05 + r * np.sin(t)
    ring = np.column_stack([np.append(lon, lon[0]), np.append(lat, lat[0])])
    coords = ",".join(f"[{x:.7f},{y:.7f}]" for x, y in ring)
    path.write_text(
        '{"type":"FeatureCollection","name":"patrol_areas","features":[{"type":"Feature",'
        '"properties":{"name":"huge","zone":"water_surface"},'
        f'"geometry":{{"type":"Polygon","coordinates":[[{coords}]]}}}}]}}'
    )


def main() -> None:
    from geodata.errors import GeodataError
    from geodata.site import load_site

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    vertices = int(args[0]) if args else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "patrol_areas.geojson"
        t0 = time.perf_counter()
        write_huge_polygon(path, vertices)
        if "--gpkg" in sys.argv:
            import pyogrio

            gpkg = path.with_suffix(".gpkg")
            os.environ["OGR_GEOJSON_MAX_OBJ_SIZE"] = "0"  # only to convert the test file
            pyogrio.read_dataframe(path).to_file(gpkg, layer="patrol_areas", driver="GPKG")
            path = gpkg
        t1 = time.perf_counter()
        try:
            site = load_site(path)
        except GeodataError as exc:
            site, refusal = None, exc
        t2 = time.perf_counter()
        print(f"vertices: {vertices:,}  file: {path.stat().st_size / 1e6:.1f} MB")
        print(f"write: {t1 - t0:.2f} s  load_site: {t2 - t1:.2f} s")
        if site is None:
            print(f"refused: {type(refusal).__name__}: {refusal}")
        else:
            for issue in site.warnings:
                print(issue)


if __name__ == "__main__":
    main()
