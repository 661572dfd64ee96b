"""GET /api/freshness: the patrol zone's cells by time since a camera last saw them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session

from groundstation.app import services_of
from groundstation.db.models import TrackChunk, Vehicle
from groundstation.db.session import make_sync_engine
from groundstation.db.track import TrackPoint, encode_points


def _store_track(settings, minutes_ago: float) -> None:
    """A short straight flight at 60 m near the Longyou station, stored as one chunk."""
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    pts = [
        TrackPoint(start + timedelta(seconds=i), 29.0525, 119.1700 + i * 1e-4, 60.0, 9.0, 90.0)
        for i in range(120)
    ]
    t0, t1, blob = encode_points(pts)
    engine = make_sync_engine(settings.db)
    with Session(engine) as s:
        v = Vehicle(sysid=42, name="drone-42")
        s.add(v)
        s.flush()
        s.add(TrackChunk(vehicle_id=v.id, t0=t0, t1=t1, n_points=len(pts), data=blob))
        s.commit()
    engine.dispose()


def test_freshness_needs_a_token(station):
    """Anonymous requests are refused."""
    assert station.client.get("/api/freshness").status_code == 401


def test_fresh_cells_appear_after_a_track_is_stored(station, officer):
    """Before any flight the whole zone is 'never'; a stored track adds 'fresh' cells."""
    r = station.client.get("/api/freshness", headers=officer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    before = r.json()
    assert [f["properties"]["class"] for f in before["features"]] == ["never"]
    total = before["properties"]["cells"]
    assert before["features"][0]["properties"]["cells"] == total > 30_000

    _store_track(station.settings, minutes_ago=30)
    after = station.client.get("/api/freshness", headers=officer).json()
    by_class = {f["properties"]["class"]: f["properties"]["cells"] for f in after["features"]}
    assert by_class["fresh"] > 0
    assert by_class["fresh"] + by_class["never"] == total
    older = station.client.get("/api/freshness?max_age_h=0.1", headers=officer).json()
    assert {f["properties"]["class"] for f in older["features"]} == {"stale", "never"}


def test_bad_max_age_is_a_422(station, officer):
    """A negative age limit is refused with a validation error."""
    assert station.client.get("/api/freshness?max_age_h=-1", headers=officer).status_code == 422


@pytest.fixture
def fast_refresh(monkeypatch):
    monkeypatch.setenv("ECOPATROL_FRESHNESS__REFRESH_S", "0.1")


def test_grid_follows_new_tracks_without_a_request(fast_refresh, station, officer):
    """Once built, the grid sweeps newly stored chunks by itself, before anyone asks again."""
    assert station.client.get("/api/freshness", headers=officer).status_code == 200
    service = services_of(station.client.app).freshness.service
    assert service is not None  # built by the request above
    mark = service.watermark
    _store_track(station.settings, minutes_ago=5)
    deadline = time.monotonic() + 20
    while service.watermark == mark and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.watermark > mark
    assert np.isfinite(service.grid.last_seen).any()
