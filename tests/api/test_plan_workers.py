"""Plans over HTTP are made in worker processes: per-user cap (429) and time limit (503)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from groundstation.app import services_of
from groundstation.config import PlanningSettings
from tests.api.test_plans import coverage

#: the whole patrol zone at a 25 m swath: far more than the test's 8 s limit
HEAVY = {"name": "zone", "kind": "coverage", "area": "patrol_zone", "altitude_m": 60,
         "swath_width_m": 25, "speed_m_s": 15, "endurance_s": 3300, "max_items": 650}  # fmt: skip


@pytest.fixture
def settings(settings):
    settings.planning = PlanningSettings(workers=1, per_user=1, time_limit_s=8.0)
    return settings


def test_one_pilot_one_plan_at_a_time_and_a_plan_past_the_limit_is_stopped(station, pilot):
    """While a pilot's heavy preview runs, their next one is 429; the heavy one is stopped at
    the time limit with a 503 that says why, and the pilot plans again afterwards."""
    assert (
        station.client.post("/api/plans/preview", json=coverage(), headers=pilot).status_code == 200
    )
    with ThreadPoolExecutor(1) as pool:
        heavy = pool.submit(station.client.post, "/api/plans/preview", json=HEAVY, headers=pilot)
        planner = services_of(station.client.app).planner
        deadline = time.monotonic() + 30
        while not planner._under_way and time.monotonic() < deadline:
            time.sleep(0.05)
        second = station.client.post("/api/plans/preview", json=coverage(), headers=pilot)
        assert second.status_code == 429, second.text
        assert "at most 1 at once" in second.json()["detail"]
        r = heavy.result(timeout=120)
    assert r.status_code == 503, r.text
    assert "longer than 8 s" in r.json()["detail"]
    after = station.client.post("/api/plans/preview", json=coverage(), headers=pilot)
    assert after.status_code == 200, after.text
