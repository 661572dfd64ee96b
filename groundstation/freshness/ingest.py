"""Feeding the freshness grid from the stored track, one chunk at a time, as the chunks arrive.

:class:`FreshnessTracker` is the pure part: it takes decoded track chunks (db.track's
:data:`TRACK_DTYPE`) of any vehicle, projects them to the grid's metric CRS and sweeps them,
joining each chunk to the vehicle's previous one unless the chunk starts after a gap.

:class:`FreshnessService` is the station's part: it remembers the id of the last
``track_chunks`` row it swept (its watermark) and, on :meth:`FreshnessService.refresh`, sweeps the
rows stored since, in insertion order. The grid and the watermark are kept in the data directory,
so a restart carries on where it stopped instead of sweeping the whole history again.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import TrackChunk
from groundstation.db.track import TRACK_DTYPE, TrackArray, decode_points
from groundstation.freshness.grid import (
    DEFAULT_HFOV_DEG,
    DEFAULT_MAX_GAP_S,
    DEFAULT_MIN_ALT_M,
    FreshnessGrid,
)

_ROWS_PER_QUERY = 200


@dataclass(frozen=True, slots=True)
class Camera:
    """What the sweep assumes about every drone's camera and flight."""

    hfov_deg: float = DEFAULT_HFOV_DEG
    min_alt_m: float = DEFAULT_MIN_ALT_M
    max_gap_s: float = DEFAULT_MAX_GAP_S


@dataclass(eq=False)
class FreshnessTracker:
    """A grid plus the last point of each vehicle, so consecutive chunks join up."""

    grid: FreshnessGrid
    epsg: int
    camera: Camera = Camera()
    _tails: dict[int, TrackArray] = field(default_factory=dict, repr=False)
    _to_local: Transformer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._to_local = Transformer.from_crs(4326, self.epsg, always_xy=True)

    def add_chunk(self, vehicle_id: int, points: TrackArray, *, gap_before: bool = False) -> int:
        """Sweep one chunk of a vehicle's track; return the number of cells updated."""
        if points.dtype != TRACK_DTYPE:
            raise ValueError("add_chunk expects points decoded by groundstation.db.track")
        if len(points) == 0:
            return 0
        tail = self._tails.get(vehicle_id)
        if tail is not None and not gap_before and tail["time_s"][0] <= points["time_s"][0]:
            points = np.concatenate([tail, points])
        self._tails[vehicle_id] = points[-1:].copy()
        x, y = self._to_local.transform(points["lon_deg"], points["lat_deg"])
        return self.grid.sweep(
            np.column_stack([x, y]),
            points["time_s"],
            points["alt_m"].astype(np.float64),
            hfov_deg=self.camera.hfov_deg,
            min_alt_m=self.camera.min_alt_m,
            max_gap_s=self.camera.max_gap_s,
        )


@dataclass(eq=False)
class FreshnessService:
    """The station's grid, brought up to date from ``track_chunks`` on demand."""

    tracker: FreshnessTracker
    state_dir: Path | None = None
    watermark: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def grid(self) -> FreshnessGrid:
        return self.tracker.grid

    @classmethod
    def open(
        cls, grid: FreshnessGrid, epsg: int, *, camera: Camera, state_dir: Path | None
    ) -> FreshnessService:
        """A service on `grid`, or on the grid saved in `state_dir` if it has the same layout."""
        watermark = 0
        if state_dir is not None:
            saved, meta = state_dir / "freshness.npz", state_dir / "freshness.json"
            if saved.exists() and meta.exists():
                stored = FreshnessGrid.load(saved)
                info: dict[str, Any] = json.loads(meta.read_text())
                if _same_layout(stored, grid) and info.get("epsg") == epsg:
                    grid, watermark = stored, int(info.get("watermark", 0))
        return cls(FreshnessTracker(grid, epsg, camera), state_dir, watermark)

    async def refresh(self, session: AsyncSession) -> int:
        """Sweep the chunks stored since the last refresh; return how many chunks were read.

        Call it with a session that holds no pooled connection (commit first): waiting for the
        lock while holding one can starve the holder of the connection it needs.
        """
        async with self._lock:
            done = 0
            while True:
                query = (
                    select(
                        TrackChunk.id,
                        TrackChunk.vehicle_id,
                        TrackChunk.t0,
                        TrackChunk.gap_before,
                        TrackChunk.data,
                    )
                    .where(TrackChunk.id > self.watermark)
                    .order_by(TrackChunk.id)
                    .limit(_ROWS_PER_QUERY)
                )
                rows = (await session.execute(query)).all()
                if not rows:
                    break
                await asyncio.to_thread(self._sweep_rows, rows)
                self.watermark = int(rows[-1][0])
                done += len(rows)
            if done and self.state_dir is not None:
                await asyncio.to_thread(self._save)
            return done

    def _sweep_rows(self, rows: Any) -> None:
        for _id, vehicle_id, t0, gap, blob in rows:
            self.tracker.add_chunk(vehicle_id, decode_points(t0, blob), gap_before=gap)

    def _save(self) -> None:
        assert self.state_dir is not None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_dir / "freshness.tmp.npz"
        self.grid.save(tmp)
        tmp.replace(self.state_dir / "freshness.npz")
        meta = {"epsg": self.tracker.epsg, "watermark": self.watermark}
        (self.state_dir / "freshness.json").write_text(json.dumps(meta))


def _same_layout(a: FreshnessGrid, b: FreshnessGrid) -> bool:
    return (
        a.shape == b.shape
        and (a.x0, a.y0, a.cell_m) == (b.x0, b.y0, b.cell_m)
        and bool(np.array_equal(a.in_area, b.in_area))
    )
