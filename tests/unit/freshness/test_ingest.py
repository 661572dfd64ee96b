"""The freshness service reads stored track chunks incrementally and keeps its grid on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.models import Vehicle
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.db.track import TrackPoint, append_points
from groundstation.freshness.grid import FreshnessGrid
from groundstation.freshness.ingest import Camera, FreshnessService

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
OFF = (712_000.0, 3_216_000.0)
AREA = shapely.affinity.translate(box(0.0, 0.0, 2000.0, 1500.0), *OFF)
INV = Transformer.from_crs(32650, 4326, always_xy=True)


@pytest.fixture
async def session(tmp_path) -> AsyncIterator[AsyncSession]:
    db = DbSettings(url=f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_to_head(db)
    engine = make_async_engine(db)
    try:
        async with make_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


def _points(y_m: float, start: datetime, n: int = 400) -> list[TrackPoint]:
    x = OFF[0] + 50.0 + np.arange(n) * 4.0
    lon, lat = INV.transform(x, np.full(n, OFF[1] + y_m))
    return [
        TrackPoint(start + timedelta(milliseconds=500 * k), float(la), float(lo), 40.0, 8.0, 90.0)
        for k, (lo, la) in enumerate(zip(lon, lat, strict=True))
    ]


async def test_refresh_sweeps_only_new_chunks_and_survives_a_restart(session, tmp_path):
    """Each refresh reads only the chunks stored since the last; a reopened service resumes."""
    v = Vehicle(sysid=1, name="drone-1")
    session.add(v)
    await session.commit()
    camera = Camera(hfov_deg=90.0)
    service = FreshnessService.open(
        FreshnessGrid.for_area(AREA, 50.0), 32650, camera=camera, state_dir=tmp_path / "f"
    )
    await append_points(session, v.id, _points(200.0, T0))
    await session.commit()
    assert await service.refresh(session) == 2  # 400 points = two chunks of 300 and 100
    first = np.isfinite(service.grid.last_seen).sum()
    assert first > 0
    assert await service.refresh(session) == 0

    await append_points(session, v.id, _points(1200.0, T0 + timedelta(hours=1)))
    await session.commit()
    reopened = FreshnessService.open(
        FreshnessGrid.for_area(AREA, 50.0), 32650, camera=camera, state_dir=tmp_path / "f"
    )
    assert reopened.watermark == service.watermark
    np.testing.assert_array_equal(reopened.grid.last_seen, service.grid.last_seen)
    assert await reopened.refresh(session) == 2
    assert np.isfinite(reopened.grid.last_seen).sum() > first
    assert np.nanmax(reopened.grid.last_seen) > (T0 + timedelta(hours=1)).timestamp()


async def test_a_grid_of_another_layout_is_not_reused(tmp_path):
    """A saved grid with another cell size is ignored: the service starts afresh."""
    old = FreshnessGrid.for_area(AREA, 50.0)
    old.last_seen[:] = 1.0
    service = FreshnessService.open(old, 32650, camera=Camera(), state_dir=tmp_path)
    service._save()
    other = FreshnessService.open(
        FreshnessGrid.for_area(AREA, 100.0), 32650, camera=Camera(), state_dir=tmp_path
    )
    assert other.watermark == 0
    assert not np.isfinite(other.grid.last_seen).any()
