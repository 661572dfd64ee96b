"""Track storage cost: one hour at 5 Hz for N drones, written and read back through the store.

    .venv/bin/python bench/track_store.py [--drones 3] [--db sqlite:///tmp/track-bench.db]

Prints rows, bytes per point, write time and read time per drone-hour. Timings are indicative
(shared 2-core machine); the test suite asserts the sizes, never the times.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.models import TrackChunk, Vehicle
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.db.track import TrackPoint, append_points, load_track

HZ = 5
SECONDS = 3600


def hour_of_points(seed: int) -> list[TrackPoint]:
    rng = np.random.default_rng(seed)
    n = HZ * SECONDS
    t0 = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    lat = 29.03 + np.cumsum(rng.normal(0, 2e-6, n))
    lon = 119.17 + np.cumsum(rng.normal(0, 2e-6, n))
    alt = 60 + np.cumsum(rng.normal(0, 0.05, n))
    return [
        TrackPoint(t0 + timedelta(seconds=i / HZ), float(lat[i]), float(lon[i]), float(alt[i]),
                   8.0, 90.0)
        for i in range(n)
    ]  # fmt: skip


async def run(db: DbSettings, drones: int) -> None:
    upgrade_to_head(db)
    engine = make_async_engine(db)
    sessions = make_sessionmaker(engine)
    try:
        write_s = read_s = 0.0
        for d in range(drones):
            points = hour_of_points(d)
            async with sessions() as session:
                vehicle = Vehicle(sysid=d + 1, name=f"bench-{d + 1}")
                session.add(vehicle)
                await session.flush()
                start = time.perf_counter()
                await append_points(session, vehicle.id, points)
                await session.commit()
                write_s += time.perf_counter() - start
                start = time.perf_counter()
                track = await load_track(session, vehicle_id=vehicle.id)
                read_s += time.perf_counter() - start
                assert len(track.points) == len(points)
        async with sessions() as session:
            rows = await session.scalar(select(func.count()).select_from(TrackChunk))
            size = await session.scalar(select(func.sum(func.length(TrackChunk.data))))
        n = drones * HZ * SECONDS
        print(f"backend            {db.sync_url.split(':')[0]}")
        print(f"drone-hours        {drones} ({HZ} Hz, {n} points)")
        print(f"rows               {rows} ({(rows or 0) // drones} per drone-hour)")
        print(f"blob bytes         {size} ({(size or 0) / n:.1f} B/point, "
              f"{(size or 0) / drones / 1024:.0f} KiB per drone-hour)")  # fmt: skip
        print(f"write              {write_s / drones * 1000:.0f} ms per drone-hour")
        print(f"read               {read_s / drones * 1000:.0f} ms per drone-hour")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drones", type=int, default=3)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(DbSettings(url=url), args.drones))


if __name__ == "__main__":
    main()
