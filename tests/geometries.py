"""Canonical test geometries (metres, local frame), shared by the routes tests.

Parametrize over `CANONICAL` x strategies, the way shapely's ``common.py`` does.
"""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Polygon

from routes import testing

SQUARE: Polygon = testing.square(600.0)
L_SHAPE: Polygon = testing.l_shape()
WITH_HOLE: Polygon = testing.with_hole()
SLIVER: Polygon = testing.sliver()
MULTIPOLYGON: MultiPolygon = testing.multipolygon()

CANONICAL: dict[str, Polygon | MultiPolygon] = {
    "square": SQUARE,
    "l_shape": L_SHAPE,
    "with_hole": WITH_HOLE,
    "sliver": SLIVER,
    "multipolygon": MULTIPOLYGON,
}

#: swath width used with the canonical shapes (the sliver is 60 m wide)
WIDTH_M = 50.0
