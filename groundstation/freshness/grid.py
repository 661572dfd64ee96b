"""The coverage-freshness grid: when each cell of the patrol area was last seen by a camera.

The grid lies over the patrol area in the site's metric CRS (UTM), with square cells of
``cell_m`` metres (50 m by default). A cell belongs to the area when its centre does, and holds
the POSIX time at which a drone camera last saw it (NaN: never).

What a camera sees is modelled as a disc under the drone of radius ``alt_m * tan(hfov / 2)``
(half the ground width of a nadir camera's image), swept along each segment of the flown track:
a cell is seen by a segment when its centre lies within that radius of the segment (a capsule),
at the time the segment ends. Points lower than ``min_alt_m`` (on the ground, taking off) and
segments longer in time than ``max_gap_s`` (a link gap) see nothing.

Sweeping is vectorised per batch of segments over the cells of the batch's bounding box, so a
track can be fed chunk by chunk as it is stored (see :mod:`groundstation.freshness.ingest`).

>>> from shapely.geometry import box
>>> grid = FreshnessGrid.for_area(box(0, 0, 500, 300), cell_m=50.0)
>>> grid.shape, grid.cells_in_area
((6, 10), 60)
>>> xy = np.array([[0.0, 125.0], [500.0, 125.0]])
>>> grid.sweep(xy, np.array([10.0, 20.0]), np.array([60.0, 60.0]), hfov_deg=90.0)
30
>>> int(np.isfinite(grid.last_seen).sum()), float(np.nanmax(grid.last_seen))
(30, 20.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_CELL_M = 50.0
DEFAULT_HFOV_DEG = 73.7  # a typical 24 mm-equivalent patrol camera
DEFAULT_MIN_ALT_M = 5.0
DEFAULT_MAX_GAP_S = 10.0
_BATCH = 64  # segments per vectorised batch


def footprint_radius_m(alt_m: float | FloatArray, hfov_deg: float) -> Any:
    """Half the ground width seen by a nadir camera at `alt_m` with horizontal FOV `hfov_deg`.

    >>> round(float(footprint_radius_m(60.0, 90.0)), 6)
    60.0
    """
    if not 0.0 < hfov_deg < 180.0:
        raise ValueError(f"camera hfov_deg must be between 0 and 180, got {hfov_deg}")
    return np.asarray(alt_m, dtype=np.float64) * math.tan(math.radians(hfov_deg) / 2.0)


@dataclass(eq=False)
class FreshnessGrid:
    """Last-seen times over a regular grid; row 0 is the southern edge (``y0``)."""

    x0: float
    y0: float
    cell_m: float
    in_area: BoolArray
    last_seen: FloatArray = field(repr=False)

    @classmethod
    def for_area(
        cls, area: Polygon | MultiPolygon, cell_m: float = DEFAULT_CELL_M
    ) -> FreshnessGrid:
        """An empty grid over `area` (metric CRS), cells aligned on multiples of `cell_m`."""
        if not cell_m > 0:
            raise ValueError(f"cell size must be positive, got {cell_m} m")
        if area.is_empty:
            raise ValueError("the patrol area is empty")
        minx, miny, maxx, maxy = area.bounds
        x0 = math.floor(minx / cell_m) * cell_m
        y0 = math.floor(miny / cell_m) * cell_m
        nx = max(1, math.ceil((maxx - x0) / cell_m))
        ny = max(1, math.ceil((maxy - y0) / cell_m))
        if nx * ny > 50_000_000:
            raise ValueError(f"{nx} x {ny} cells of {cell_m} m is too many; use larger cells")
        cx = x0 + (np.arange(nx) + 0.5) * cell_m
        cy = y0 + (np.arange(ny) + 0.5) * cell_m
        gx, gy = np.meshgrid(cx, cy)
        shapely.prepare(area)
        inside = np.asarray(shapely.contains_xy(area, gx, gy), dtype=bool)
        last = np.full((ny, nx), np.nan)
        return cls(x0=x0, y0=y0, cell_m=cell_m, in_area=inside, last_seen=last)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        ny, nx = self.in_area.shape
        return ny, nx

    @property
    def cells_in_area(self) -> int:
        return int(self.in_area.sum())

    def centres(self) -> tuple[FloatArray, FloatArray]:
        """The x and y of every cell centre, each of the grid's shape."""
        ny, nx = self.shape
        cx = self.x0 + (np.arange(nx) + 0.5) * self.cell_m
        cy = self.y0 + (np.arange(ny) + 0.5) * self.cell_m
        gx, gy = np.meshgrid(cx, cy)
        return gx, gy

    def sweep(
        self,
        xy_m: FloatArray,
        time_s: FloatArray,
        alt_m: FloatArray,
        *,
        hfov_deg: float = DEFAULT_HFOV_DEG,
        min_alt_m: float = DEFAULT_MIN_ALT_M,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
    ) -> int:
        """Mark the cells seen along one track segment-chain; return how many cells were updated.

        `xy_m` is (n, 2) in the grid's CRS, `time_s` and `alt_m` (n,). Times must not decrease.
        """
        xy = np.asarray(xy_m, dtype=np.float64)
        t = np.asarray(time_s, dtype=np.float64)
        alt = np.asarray(alt_m, dtype=np.float64)
        if xy.ndim != 2 or xy.shape[1] != 2 or len(t) != len(xy) or len(alt) != len(xy):
            raise ValueError("sweep needs xy of shape (n, 2) and time and altitude of length n")
        if len(xy) and np.any(np.diff(t) < 0):
            raise ValueError("track times must not decrease")
        if len(xy) == 1:  # a single point: a zero-length segment
            xy, t, alt = np.repeat(xy, 2, axis=0), np.repeat(t, 2), np.repeat(alt, 2)
        if len(xy) < 2:
            return 0
        a, b = xy[:-1], xy[1:]
        seg_alt = np.minimum(alt[:-1], alt[1:])
        keep = (seg_alt >= min_alt_m) & (t[1:] - t[:-1] <= max_gap_s)
        if not keep.any():
            return 0
        a, b, t_end = a[keep], b[keep], t[1:][keep]
        radius = footprint_radius_m(seg_alt[keep], hfov_deg)
        updated = np.zeros(self.shape, dtype=bool)
        for start in range(0, len(a), _BATCH):
            sl = slice(start, start + _BATCH)
            self._sweep_batch(a[sl], b[sl], t_end[sl], radius[sl], updated)
        return int(updated.sum())

    def _sweep_batch(
        self, a: FloatArray, b: FloatArray, t_end: FloatArray, r: FloatArray, updated: BoolArray
    ) -> None:
        ny, nx = self.shape
        rmax = float(r.max())
        lo = np.minimum(a.min(axis=0), b.min(axis=0)) - rmax
        hi = np.maximum(a.max(axis=0), b.max(axis=0)) + rmax
        i0 = max(0, math.floor((lo[0] - self.x0) / self.cell_m - 0.5))
        i1 = min(nx, math.ceil((hi[0] - self.x0) / self.cell_m + 0.5))
        j0 = max(0, math.floor((lo[1] - self.y0) / self.cell_m - 0.5))
        j1 = min(ny, math.ceil((hi[1] - self.y0) / self.cell_m + 0.5))
        if i0 >= i1 or j0 >= j1:
            return
        cx = self.x0 + (np.arange(i0, i1) + 0.5) * self.cell_m
        cy = self.y0 + (np.arange(j0, j1) + 0.5) * self.cell_m
        px, py = np.meshgrid(cx, cy)  # (h, w)
        p = np.stack([px.ravel(), py.ravel()], axis=1)[:, None, :]  # (m, 1, 2)
        d = b - a  # (k, 2)
        len2 = np.einsum("ij,ij->i", d, d)
        safe = np.where(len2 > 0, len2, 1.0)
        u = np.clip(np.einsum("mkj,kj->mk", p - a[None], d) / safe, 0.0, 1.0)
        nearest = a[None] + u[..., None] * d[None]
        dist2 = np.einsum("mkj,mkj->mk", p - nearest, p - nearest)
        seen = dist2 <= (r * r)[None, :]  # (m, k)
        when = np.where(seen, t_end[None, :], -np.inf).max(axis=1).reshape(px.shape)
        block = self.last_seen[j0:j1, i0:i1]
        inside = self.in_area[j0:j1, i0:i1]
        newer = inside & np.isfinite(when) & ~(block >= when)
        block[newer] = when[newer]
        updated[j0:j1, i0:i1] |= newer

    def age_s(self, now_s: float) -> FloatArray:
        """Seconds since each cell was seen (inf: never; NaN outside the area)."""
        age = np.where(np.isnan(self.last_seen), np.inf, now_s - self.last_seen)
        return np.where(self.in_area, age, np.nan)

    def stale_fraction(self, now_s: float, max_age_s: float) -> float:
        """The share of the area's cells not seen for more than `max_age_s` (or never)."""
        n = self.cells_in_area
        if n == 0:
            return 0.0
        age = self.age_s(now_s)
        return float(np.count_nonzero(self.in_area & ~(age <= max_age_s)) / n)

    def save(self, path: Any) -> None:
        """Write the grid to an ``.npz`` file."""
        np.savez_compressed(
            path,
            origin=np.array([self.x0, self.y0, self.cell_m]),
            in_area=self.in_area,
            last_seen=self.last_seen,
        )

    @classmethod
    def load(cls, path: Any) -> FreshnessGrid:
        """Read a grid written by :meth:`save`."""
        with np.load(path) as data:
            x0, y0, cell_m = (float(v) for v in data["origin"])
            return cls(
                x0=x0,
                y0=y0,
                cell_m=cell_m,
                in_area=data["in_area"].astype(bool),
                last_seen=data["last_seen"].astype(np.float64),
            )
