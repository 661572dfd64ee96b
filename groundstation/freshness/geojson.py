"""The freshness grid as GeoJSON: one feature per class of cells, merged, in WGS84.

Three classes, by time since last seen: ``fresh`` (at most `max_age_s`), ``stale`` (seen, but
longer ago) and ``never``. The map paints ``stale`` and ``never`` red ("not seen for > 24 h").
Cells of a class are merged row by row into rectangles, the rectangles are dissolved into as few
polygons as the cells allow (``shapely.union_all``: a full overlay, because rectangles of
neighbouring rows share edges but not vertices, which ``coverage_union_all`` would leave as
separate touching strips, drawn with hairline seams), and collinear vertices are dropped
(``simplify(0)``), so the whole Longyou zone is three features of a few polygons each, not
33 000 squares.

>>> from shapely.geometry import box
>>> from geodata.crs import LocalFrame
>>> from groundstation.freshness.grid import FreshnessGrid
>>> frame = LocalFrame.from_epsg(32650)
>>> x, y = (round(v, -2) for v in frame.xy_to_local(119.18, 29.05))
>>> grid = FreshnessGrid.for_area(box(x, y, x + 200, y + 100), cell_m=50.0)
>>> grid.last_seen[0, :2] = 1000.0
>>> fc = freshness_geojson(grid, frame, now_s=2000.0, max_age_s=3600.0)
>>> [(f["properties"]["class"], f["properties"]["cells"]) for f in fc["features"]]
[('fresh', 2), ('never', 6)]
>>> fc["features"][1]["geometry"]["type"]  # an L of 6 cells is one polygon of 6 corners
'Polygon'
>>> len(fc["features"][1]["geometry"]["coordinates"][0])
7
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

from geodata.crs import LocalFrame
from groundstation.freshness.grid import BoolArray, FreshnessGrid

CLASSES = ("fresh", "stale", "never")
COLOURS = {"fresh": "#2e9e44", "stale": "#d62728", "never": "#d62728"}


def class_masks(grid: FreshnessGrid, now_s: float, max_age_s: float) -> dict[str, BoolArray]:
    """Boolean masks of the area's cells per class."""
    age = grid.age_s(now_s)
    never = grid.in_area & np.isinf(age)
    fresh = grid.in_area & (age <= max_age_s)
    stale = grid.in_area & ~fresh & ~never
    return {"fresh": fresh, "stale": stale, "never": never}


def _runs_to_boxes(grid: FreshnessGrid, mask: BoolArray) -> Any:
    """Rectangles covering `mask`, one per horizontal run of cells (an array of Polygons)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)  # row-major: the runs of each row in order
    _, ends = np.nonzero(edges == -1)
    y = grid.y0 + rows * grid.cell_m
    x0, x1 = grid.x0 + starts * grid.cell_m, grid.x0 + ends * grid.cell_m
    return shapely.box(x0, y, x1, y + grid.cell_m)


def dissolve(grid: FreshnessGrid, mask: BoolArray) -> Any:
    """The cells of `mask` as one (Multi)Polygon: as few parts and vertices as their shape allows.

    >>> from shapely.geometry import box
    >>> grid = FreshnessGrid.for_area(box(0, 0, 150, 150), cell_m=50.0)
    >>> ring = grid.in_area.copy()
    >>> ring[1, 1] = False                  # a square ring of 8 cells around a hole
    >>> shape = dissolve(grid, ring)
    >>> shape.geom_type, len(shape.interiors), shape.area
    ('Polygon', 1, 20000.0)
    """
    return shapely.simplify(shapely.union_all(_runs_to_boxes(grid, mask)), 0.0)


def freshness_geojson(
    grid: FreshnessGrid, frame: LocalFrame, *, now_s: float, max_age_s: float = 24 * 3600.0
) -> dict[str, Any]:
    """A FeatureCollection with one (Multi)Polygon per non-empty class, WGS84 lon/lat."""
    features = []
    for name, mask in class_masks(grid, now_s, max_age_s).items():
        n = int(mask.sum())
        if n == 0:
            continue
        merged = dissolve(grid, mask)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(frame.to_wgs84(merged)),
                "properties": {
                    "class": name,
                    "cells": n,
                    "area_km2": round(n * grid.cell_m**2 / 1e6, 4),
                    "colour": COLOURS[name],
                },
            }
        )
    total = grid.cells_in_area
    fresh = int(class_masks(grid, now_s, max_age_s)["fresh"].sum())
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {
            "cell_m": grid.cell_m,
            "cells": total,
            "max_age_s": max_age_s,
            "fresh_fraction": round(fresh / total, 4) if total else 0.0,
            "at": datetime.fromtimestamp(now_s, UTC).isoformat(),
        },
    }
