"""Small geometry helpers used by several stages (metres, local frame).

>>> from shapely.geometry import box
>>> [round(p.area) for p in polygons(box(0, 0, 10, 10).union(box(20, 0, 30, 5)))]
[100, 50]
>>> round(max_inscribed_radius(box(0, 0, 100, 40)), 1)
20.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.errors import InvalidAreaError


def polygons(geom: BaseGeometry | None) -> list[Polygon]:
    """The non-empty polygons in a geometry (Polygon, MultiPolygon or collection)."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return [p for p in geom.geoms if not p.is_empty]
    out: list[Polygon] = []
    for g in getattr(geom, "geoms", []):
        out.extend(polygons(g))
    return out


def as_area(geom: BaseGeometry | None, *, what: str = "area") -> BaseGeometry:
    """Check that ``geom`` is a valid polygonal area with a real surface, and repair it lightly."""
    if geom is None or geom.is_empty:
        raise InvalidAreaError(f"the {what} is empty")
    if not isinstance(geom, Polygon | MultiPolygon):
        polys = polygons(geom)
        if not polys:
            raise InvalidAreaError(
                f"the {what} must be a polygon, got {geom.geom_type}", geom_type=geom.geom_type
            )
        geom = MultiPolygon(polys)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        geom = shapely.unary_union(polygons(geom))
    if geom.area < 1.0:
        raise InvalidAreaError(f"the {what} has no surface ({geom.area:.3g} m²)", area_m2=geom.area)
    return geom


def max_inscribed_radius(geom: BaseGeometry) -> float:
    """Radius of the largest circle inside the area (half its greatest width), 1 m precision."""
    best = 0.0
    for poly in polygons(geom):
        bounds = poly.bounds
        tol = max(0.5, min(bounds[2] - bounds[0], bounds[3] - bounds[1]) / 1000)
        line = shapely.maximum_inscribed_circle(poly, tolerance=tol)
        best = max(best, float(line.length))
    return best


def rotate_xy(xy: NDArray[np.float64], angle_rad: float) -> NDArray[np.float64]:
    """Rotate points counter-clockwise by ``angle_rad`` about the origin."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.column_stack([xy[:, 0] * c - xy[:, 1] * s, xy[:, 0] * s + xy[:, 1] * c])


def rotate(geom: BaseGeometry, angle_rad: float) -> BaseGeometry:
    """Rotate a geometry counter-clockwise about the origin."""
    return shapely.transform(geom, lambda xy: rotate_xy(xy, angle_rad))


#: a turn sharp enough for a multicopter to slow down for it (costed by objectives and sorties)
SHARP_TURN_DEG = 60.0


def turn_mask(xy: NDArray[np.float64], min_deg: float = 30.0) -> NDArray[np.bool_]:
    """True at each vertex where the heading changes by more than ``min_deg`` (never at the
    ends; a repeated point is stepped over, the turn counted where the line moves on).

    >>> turn_mask(np.array([(0, 0), (10, 0), (10, 10), (10, 10), (0, 10)])).tolist()
    [False, True, False, True, False]
    """
    out = np.zeros(len(xy), dtype=bool)
    if len(xy) < 3:
        return out
    d = np.diff(xy, axis=0)
    moving = np.flatnonzero(np.hypot(d[:, 0], d[:, 1]) > 1e-9)
    if len(moving) < 2:
        return out
    h = np.arctan2(d[moving, 1], d[moving, 0])
    dh = np.abs((np.diff(h) + math.pi) % (2 * math.pi) - math.pi)
    out[moving[1:]] = dh > math.radians(min_deg)
    return out


def turns(line: LineString, min_deg: float = 30.0) -> int:
    """Number of heading changes larger than ``min_deg`` along a line.

    >>> turns(LineString([(0, 0), (10, 0), (10, 10), (0, 10)]))
    2
    """
    return int(np.count_nonzero(turn_mask(np.asarray(line.coords), min_deg)))


def _dedup(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(np.diff(xy, axis=0) != 0, axis=1)
    out = xy[keep]
    return out if len(out) > 1 else np.vstack([out, out])


def substring(line: LineString, start_m: float, end_m: float) -> LineString:
    """The part of ``line`` between two distances along it (numpy; same as shapely's ``ops``).

    >>> list(substring(LineString([(0, 0), (10, 0), (10, 10)]), 5, 15).coords)
    [(5.0, 0.0), (10.0, 0.0), (10.0, 5.0)]
    """
    xy = np.asarray(line.coords, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    a = min(max(start_m, 0.0), cum[-1])
    b = min(max(end_m, a), cum[-1])

    def at(d: float) -> NDArray[np.float64]:
        i = min(int(np.searchsorted(cum, d, side="right")) - 1, len(xy) - 2)
        i = max(i, 0)
        seg = cum[i + 1] - cum[i]
        t = (d - cum[i]) / seg if seg > 0 else 0.0
        return np.asarray(xy[i] + t * (xy[i + 1] - xy[i]))

    inner = xy[(cum > a) & (cum < b)]
    return LineString(_dedup(np.vstack([at(a), inner, at(b)])))


def rotate_ring_to(ring: LineString, p: Point) -> LineString:
    """A closed ring re-started at its point nearest ``p`` (same loop, same direction)."""
    d = float(ring.project(p))
    if d <= 0 or d >= ring.length:
        return ring
    head = substring(ring, d, ring.length)
    tail = substring(ring, 0.0, d)
    xy = np.vstack([np.asarray(head.coords), np.asarray(tail.coords)[1:]])
    return LineString(_dedup(xy))


def outside_length(path: BaseGeometry, region: BaseGeometry, tol_m: float = 0.01) -> float:
    """Length of ``path`` farther than ``tol_m`` outside ``region`` (holes count as outside)."""
    return float(path.difference(region.buffer(tol_m, quad_segs=2)).length)


#: segments per piece when a path is buffered piece by piece (see `swath_cover`)
_COVER_PIECE_SEGMENTS = 32


def swath_cover(paths: BaseGeometry | Sequence[BaseGeometry], width_m: float) -> BaseGeometry:
    """The ground within ``width_m / 2`` of the paths (their lines; points and polygons are
    ignored).

    Buffered in pieces of a few segments, then unioned: GEOS 3.14 dropped holes when it
    buffered the loops of a fuzzed lake as one multi-line, so the gaps between them (1.6 % of
    the water) were unseen by gap filling; a long path crossing itself is cut the same way, to
    be safe (not seen failing).
    """
    geoms = [paths] if isinstance(paths, BaseGeometry) else list(paths)
    pieces: list[LineString] = []
    for g in geoms:
        for line in shapely.get_parts(g):
            if not isinstance(line, LineString):
                continue
            xy = np.asarray(line.coords)
            if len(xy) == 1:
                xy = np.vstack([xy, xy])
            step = _COVER_PIECE_SEGMENTS
            pieces += [
                LineString(xy[i : i + step + 1]) for i in range(0, max(len(xy) - 1, 1), step)
            ]
    if not pieces:
        return Polygon()
    buffers = shapely.buffer(np.array(pieces, dtype=object), width_m / 2, quad_segs=4)
    # a piece whose lines lie exactly a swath apart can get a buffer whose edges touch:
    # invalid, and the union then fails ("Ring edge missing") or, repaired, fills what the
    # piece encloses; such pieces are buffered one segment at a time (always valid)
    broken = ~shapely.is_valid(buffers)
    if broken.any():
        segments = [
            LineString(pair)
            for k in np.flatnonzero(broken)
            for pair in itertools.pairwise(pieces[k].coords)
        ]
        fixed = shapely.buffer(np.array(segments, dtype=object), width_m / 2, quad_segs=4)
        buffers = np.concatenate([buffers[~broken], fixed])
    try:
        return shapely.union_all(buffers)
    except shapely.errors.GEOSException:  # robustness failure: snap to a 1 cm grid
        return shapely.union_all(buffers, grid_size=0.01)


def covered_fraction(path: BaseGeometry, area: BaseGeometry, width_m: float) -> float:
    """Share of ``area`` within ``width_m / 2`` of ``path``."""
    if area.area <= 0:
        return 0.0
    cover = swath_cover(path, width_m)
    try:
        inside = cover.intersection(area)
    except shapely.errors.GEOSException:  # robustness failure: retry on a 1 cm grid
        inside = shapely.intersection(cover, area, grid_size=0.01)
    return float(inside.area / area.area)
