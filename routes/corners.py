"""Fewer, longer legs: merge a path's short legs into single corners where the path stays legal.

ArduCopter flies every leg between two waypoints as a rest-to-rest S-curve (`routes.flight_time`):
a leg shorter than the distance it needs to reach cruise speed is flown slowly, and a corner
between two such legs is cut less. A path traced from a buffered outline turns many small corners
a few metres apart (a no-fly zone's rounded corner is three waypoints 4 m apart; a shore traced
every 20 m, a 64-sided circle every 100 m), and each costs seconds. `fewer_corners` removes them
one short leg at a time: it drops one end of the leg, moves both ends to where the legs before
and after it meet (one sharper corner in their place), or to the leg's middle, whichever the
speed profile flies fastest, and keeps a change only when it saves time, every new leg is
``legal`` (the caller's check: outside no-fly zones with their clearance, inside the fence) and
the path stays within ``tol_m`` of the original (both ways: no new point further than that
from it, no original vertex further than that from the new path). The two ends never move.

>>> import numpy as np
>>> from shapely.geometry import LineString, Point
>>> from routes.flight_time import WpNav, path_time_s
>>> nav = WpNav()
>>> rounded = np.array([(0, 0), (500, 0), (503, 1), (505, 3), (506, 6), (506, 506)])
>>> square = fewer_corners(rounded, nav, tol_m=5.0)
>>> len(square), max(LineString(rounded).distance(Point(q)) for q in square) <= 5.0
(3, True)
>>> round(path_time_s(rounded, nav) - path_time_s(square, nav), 1)      # seconds saved
9.1
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import LineString

from routes.flight_time import WpNav, path_time_s, stop_s

#: a change must save at least this much (s): rounding noise never moves a waypoint
MIN_GAIN_S = 0.01
#: passes over the path at most (each tries every leg still short; two or three settle it)
MAX_PASSES = 8

Point2 = tuple[float, float]


def cruise_leg_m(nav: WpNav) -> float:
    """The shortest leg flown at cruise speed for a moment (from rest to rest)."""
    return stop_s(nav) * nav.speed_m_s


def _meet(p0: Point2, p1: Point2, q0: Point2, q1: Point2) -> Point2 | None:
    """Where the line p0 -> p1 carried on past p1 meets the line q0 -> q1 taken back before q0
    (None if they are parallel or meet behind either)."""
    d = (p1[0] - p0[0], p1[1] - p0[1])
    e = (q1[0] - q0[0], q1[1] - q0[1])
    den = d[0] * e[1] - d[1] * e[0]
    if abs(den) < 1e-12 * math.hypot(*d) * math.hypot(*e):
        return None
    w = (q0[0] - p1[0], q0[1] - p1[1])
    s = (w[0] * e[1] - w[1] * e[0]) / den  # along d, from p1
    t = (w[0] * d[1] - w[1] * d[0]) / den  # along e, from q0 (negative: before it)
    if s < 0 or t > 0:
        return None
    return (p1[0] + s * d[0], p1[1] + s * d[1])


class _Path:
    """The path being thinned, with where each vertex came from in the original."""

    def __init__(self, xy: NDArray[np.float64], tol_m: float, legal: Legal | None) -> None:
        self.pts: list[Point2] = [(float(x), float(y)) for x, y in xy]
        #: position of each vertex in the original (its index; a moved vertex, the first it took)
        self.pos: list[float] = [float(i) for i in range(len(xy))]
        self.orig = xy
        self.orig_line = LineString(xy)
        shapely.prepare(self.orig_line)
        self.tol_m = tol_m
        self.legal = legal

    def leg_m(self, k: int) -> float:
        (x0, y0), (x1, y1) = self.pts[k], self.pts[k + 1]
        return math.hypot(x1 - x0, y1 - y0)

    def candidates(self, k: int) -> list[tuple[int, int, list[Point2]]]:
        """Ways of removing the short leg k -> k+1: (lo, hi, what replaces pts[lo:hi])."""
        p, n = self.pts, len(self.pts)
        out: list[tuple[int, int, list[Point2]]] = []
        if k > 0:
            out.append((k, k + 1, []))  # drop its start
        if k + 1 < n - 1:
            out.append((k + 1, k + 2, []))  # drop its end
        if k > 0 and k + 1 < n - 1:
            apex = _meet(p[k - 1], p[k], p[k + 1], p[k + 2])
            if apex is not None:
                out.append((k, k + 2, [apex]))  # one corner where the legs around it meet
            mid = ((p[k][0] + p[k + 1][0]) / 2, (p[k][1] + p[k + 1][1]) / 2)
            out.append((k, k + 2, [mid]))  # a kink straightened
        return out

    def close_enough(self, lo: int, hi: int, local: LineString) -> bool:
        """The new piece stays within the tolerance of the original, and the original vertices
        it replaces stay within the tolerance of it."""
        if not math.isfinite(self.tol_m):
            return True
        probe = shapely.points(shapely.get_coordinates(shapely.segmentize(local, self.tol_m / 4)))
        if float(np.max(shapely.distance(probe, self.orig_line))) > self.tol_m:
            return False
        first, last = self.pos[lo - 1], self.pos[hi]
        inside = self.orig[math.floor(first) + 1 : math.ceil(last)]
        if len(inside) == 0:
            return True
        return float(np.max(shapely.distance(shapely.points(inside), local))) <= self.tol_m

    def gain_s(self, lo: int, hi: int, new: list[Point2], nav: WpNav) -> float:
        """Seconds saved by putting ``new`` in place of pts[lo:hi] (timed over the legs near)."""
        w0, w1 = max(0, lo - 2), min(len(self.pts), hi + 2)
        old = self.pts[w0:w1]
        changed = [*self.pts[w0:lo], *new, *self.pts[hi:w1]]
        return path_time_s(np.asarray(old), nav) - path_time_s(np.asarray(changed), nav)

    def try_leg(self, k: int, nav: WpNav) -> int | None:
        """Apply the best way of removing leg k, if one saves time; the index to look at next."""
        best: tuple[float, int, int, list[Point2]] | None = None
        for lo, hi, new in self.candidates(k):
            gain = self.gain_s(lo, hi, new, nav)
            if gain < MIN_GAIN_S or (best is not None and gain <= best[0]):
                continue
            local = LineString([self.pts[lo - 1], *new, self.pts[hi]])
            if not self.close_enough(lo, hi, local):
                continue
            if self.legal is not None and not self.legal(local):
                continue
            best = (gain, lo, hi, new)
        if best is None:
            return None
        _, lo, hi, new = best
        self.pts[lo:hi] = new
        self.pos[lo:hi] = [self.pos[lo]] * len(new)
        return max(lo - 1, 0)


#: whether a piece of path may be flown (every leg of it)
Legal = Callable[[LineString], bool]


def fewer_corners(
    xy: ArrayLike, nav: WpNav, *, tol_m: float = math.inf, legal: Legal | None = None
) -> NDArray[np.float64]:
    """``xy`` (n x 2) with its short legs merged into single corners, flown faster by ``nav``.

    Only legs shorter than `cruise_leg_m` are tried; a change is kept if it saves time, every
    changed piece of path passes ``legal`` and stays within ``tol_m`` of ``xy``. The first and
    last points never move; repeated points are dropped.
    """
    arr = np.asarray(xy, dtype=float)[:, :2].reshape(-1, 2)
    if len(arr) > 1:
        step = np.hypot(*np.diff(arr, axis=0).T)
        arr = arr[np.concatenate([[True], step > 1e-9])]
    if len(arr) < 3:
        return arr
    path = _Path(arr, tol_m, legal)
    short = cruise_leg_m(nav)
    for _ in range(MAX_PASSES):
        changed, k = False, 0
        while k < len(path.pts) - 1:
            nxt = path.try_leg(k, nav) if path.leg_m(k) < short else None
            if nxt is None:
                k += 1
            else:
                changed, k = True, nxt
        if not changed:
            break
    return np.asarray(path.pts, dtype=float)


def fewer_corners_ring(
    ring: ArrayLike, nav: WpNav, *, tol_m: float = math.inf, legal: Legal | None = None
) -> NDArray[np.float64]:
    """A closed ring (first point repeated last) thinned as `fewer_corners` does, started at the
    middle of its longest leg (a waypoint on a straight leg costs no time) so that no corner of
    it is held fixed as a start."""
    arr = np.asarray(ring, dtype=float)[:, :2].reshape(-1, 2)
    if len(arr) < 4:
        return arr
    return fewer_corners(_opened_mid_longest(arr), nav, tol_m=tol_m, legal=legal)


def _opened_mid_longest(ring: NDArray[np.float64]) -> NDArray[np.float64]:
    """A closed ring (4 points or more) as a path from the middle of its longest leg round to
    it again."""
    k = int(np.argmax(np.hypot(*np.diff(ring, axis=0).T)))
    mid = (ring[k] + ring[k + 1]) / 2
    return np.vstack([[mid], ring[k + 1 : -1], ring[: k + 1], [mid]])


#: tolerances tried by `smooth_path`, as fractions of its ``tol_m``: a coarse simplification
#: turns few sharper corners, a finer one more gentle ones (under about 10 degrees a corner
#: between legs long enough to reach cruise costs nothing); which flies faster depends on the
#: curve's radius, so each is timed
SMOOTH_FRACS = (1.0, 0.5, 0.25)


def _signed_dev(xy: NDArray[np.float64], a: int, b: int) -> float:
    """The signed distance (left of a -> b positive) of the point of ``xy[a:b]`` furthest from
    the chord a -> b."""
    d = xy[b] - xy[a]
    n = float(np.hypot(*d))
    if b - a < 2 or n == 0:
        return 0.0
    rel = xy[a + 1 : b] - xy[a]
    side = (d[0] * rel[:, 1] - d[1] * rel[:, 0]) / n
    return float(side[np.argmax(np.abs(side))])


def _balanced(xy: NDArray[np.float64], keep: NDArray[np.intp]) -> NDArray[np.float64]:
    """The vertices ``xy[keep]`` moved so that each chord between them lies across the curve
    it replaces, not all on the inside of its bend: the curve's furthest point from each chord
    is half as far, on one side, as the chord's ends on the other."""
    pts = xy[keep].copy()
    dev = [_signed_dev(xy, int(a), int(b)) for a, b in itertools.pairwise(keep)]
    normals = []
    for a, b in itertools.pairwise(pts):
        d = b - a
        normals.append(np.array([-d[1], d[0]]) / (float(np.hypot(*d)) or 1.0))
    out = pts.copy()
    for k in range(1, len(pts) - 1):
        n1, n2 = normals[k - 1], normals[k]
        want = np.array([dev[k - 1] / 2, dev[k] / 2])
        m = np.vstack([n1, n2])
        if abs(float(np.linalg.det(m))) < 0.05:  # nearly straight on: shift along the normal
            out[k] = pts[k] + (n1 + n2) / 2 * float(want.mean())
        else:
            out[k] = pts[k] + np.linalg.solve(m, want)
    return out


def smooth_path(
    xy: ArrayLike, nav: WpNav, *, tol_m: float, legal: Legal | None = None
) -> NDArray[np.float64]:
    """A curved path (a contour traced every few metres) flown with few, well-placed corners.

    Tries Douglas-Peucker simplifications of ``xy`` at twice fractions of ``tol_m``
    (`SMOOTH_FRACS`), their vertices moved so the chords lie across the curve (`_balanced`),
    or at those fractions as they are where that strays further than ``tol_m``, and keeps the
    one ``nav`` flies fastest (``xy`` itself if none is faster or legal). The result stays
    within ``tol_m`` of ``xy`` both ways; the ends never move.

    >>> import math
    >>> arc = [(400 * math.sin(a), 400 * (1 - math.cos(a))) for a in np.linspace(0, 1.6, 81)]
    >>> nav = WpNav()
    >>> smooth = smooth_path(arc, nav, tol_m=8.0)
    >>> len(arc), len(smooth), path_time_s(smooth, nav) < 0.8 * path_time_s(np.array(arc), nav)
    (81, 5, True)
    >>> bool(shapely.hausdorff_distance(LineString(arc), LineString(smooth)) <= 8.0)
    True
    """
    arr = np.asarray(xy, dtype=float)[:, :2].reshape(-1, 2)
    if len(arr) > 1:
        step = np.hypot(*np.diff(arr, axis=0).T)
        arr = arr[np.concatenate([[True], step > 1e-9])]
    if len(arr) < 3 or not tol_m > 0:
        return arr
    line = LineString(arr)
    best, best_s = arr, path_time_s(arr, nav)
    for frac in SMOOTH_FRACS:
        for cand in _simplified(arr, line, frac * tol_m, tol_m):
            if len(cand) >= len(arr) or (legal is not None and not legal(LineString(cand))):
                continue
            t = path_time_s(cand, nav)
            if t < best_s - MIN_GAIN_S:
                best, best_s = cand, t
            break  # the first legal one of each fraction
    return best


def _simplified(
    arr: NDArray[np.float64], line: LineString, tol_m: float, limit_m: float
) -> list[NDArray[np.float64]]:
    """``arr`` simplified, balanced, at twice ``tol_m`` if it stays within ``limit_m`` of it,
    then simplified at ``tol_m`` as it is (in the order to try them)."""
    out = []
    for t, balance in ((2 * tol_m, True), (tol_m, False)):
        simple = np.asarray(line.simplify(t).coords, dtype=float)
        if balance:
            # the simplified vertices are some of the original ones, in order
            keep = _indices(arr, simple)
            if keep is None:
                continue
            simple = _balanced(arr, keep)
            if shapely.hausdorff_distance(LineString(simple), line, densify=0.25) > limit_m:
                continue
        out.append(simple)
    return out


def _indices(arr: NDArray[np.float64], sub: NDArray[np.float64]) -> NDArray[np.intp] | None:
    """Where the points of ``sub`` are in ``arr`` (in order), or None if one is not."""
    out, j = [], 0
    for p in sub:
        while j < len(arr) and not (arr[j] == p).all():
            j += 1
        if j == len(arr):
            return None
        out.append(j)
    return np.asarray(out, dtype=np.intp)


def smooth_ring(
    ring: ArrayLike, nav: WpNav, *, tol_m: float, legal: Legal | None = None
) -> NDArray[np.float64]:
    """A closed ring (first point repeated last) smoothed as `smooth_path` does, started at the
    middle of its longest leg, so that no corner of it is held fixed as a start."""
    arr = np.asarray(ring, dtype=float)[:, :2].reshape(-1, 2)
    if len(arr) < 4:
        return arr
    return smooth_path(_opened_mid_longest(arr), nav, tol_m=tol_m, legal=legal)
