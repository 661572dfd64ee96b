"""Planning in worker processes: refusals cross as they were, per-user cap, time limit, cancel."""

from __future__ import annotations

import asyncio

import pytest

from groundstation.config import PlanningSettings
from groundstation.errors import InvalidRequest
from groundstation.patrol.planner_pool import (
    PlannerBusy,
    PlannerPool,
    PlanningCancelled,
    PlanningTimedOut,
)
from groundstation.patrol.request import PlanRequest
from routes.errors import SwathTooWideError

#: about 300 m x 300 m just south of the Longyou station: planned in a fraction of a second
NEAR_STATION = {
    "type": "Polygon",
    "coordinates": [
        [[119.18023, 29.04940], [119.18331, 29.04935], [119.18337, 29.05205],
         [119.18029, 29.05210], [119.18023, 29.04940]]
    ],
}  # fmt: skip
SMALL = PlanRequest(kind="coverage", polygon=NEAR_STATION, altitude_m=40, swath_width_m=60)
#: the whole patrol zone at a 25 m swath: tens of seconds of work, never finished here
HEAVY = PlanRequest(
    kind="coverage", area="patrol_zone", altitude_m=60, swath_width_m=25, speed_m_s=15,
    endurance_s=3300, max_items=650,
)  # fmt: skip


@pytest.fixture
async def pool():
    pool = PlannerPool(None, PlanningSettings(workers=1, per_user=1, time_limit_s=60))
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.close)


async def test_a_plan_is_made_in_a_worker_and_a_refusal_crosses_as_it_was(pool):
    """A small plan comes back whole; a refused request raises the planner's own error, a
    planning refusal with the figures that explain it."""
    result = await pool.plan(SMALL, user=1)
    assert result.sorties
    assert result.route["type"] == "FeatureCollection"
    with pytest.raises(InvalidRequest, match="no patrol area 'no_such_area'"):
        await pool.plan(PlanRequest(kind="coverage", area="no_such_area", altitude_m=60), user=1)
    too_wide = PlanRequest(kind="coverage", polygon=NEAR_STATION, altitude_m=40, swath_width_m=2000)
    with pytest.raises(SwathTooWideError, match="wider than the area") as err:
        await pool.plan(too_wide, user=1)
    assert err.value.details["width_m"] == 2000


async def test_one_user_gets_at_most_per_user_plans_at_once(pool):
    """A second plan from the same user while one is under way is refused; others may plan."""
    gone = asyncio.Event()

    async def client_gone() -> bool:
        return gone.is_set()

    first = asyncio.create_task(pool.plan(HEAVY, user=7, client_gone=client_gone))
    await asyncio.sleep(0.1)
    with pytest.raises(PlannerBusy, match="at most 1 at once"):
        await pool.plan(SMALL, user=7)
    gone.set()  # the first one's client leaves: it is cancelled and its slot freed
    with pytest.raises(PlanningCancelled):
        await first
    assert pool.cancelled == 1
    assert (await pool.plan(SMALL, user=7)).sorties  # the worker was replaced and serves again


async def test_a_plan_over_the_time_limit_is_stopped_and_the_pool_serves_on():
    """A plan running past the limit is stopped with a clear error; the next plan is made."""
    pool = PlannerPool(None, PlanningSettings(workers=1, per_user=2, time_limit_s=2.0))
    try:
        await pool.warm()  # the worker has loaded the site: the limit times the plan alone
        with pytest.raises(PlanningTimedOut, match="longer than 2 s"):
            await pool.plan(HEAVY, user=3)
        assert pool.timed_out == 1
        assert (await pool.plan(SMALL, user=3)).sorties
    finally:
        await asyncio.to_thread(pool.close)
