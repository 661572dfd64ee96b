"""A vehicle that holds less fence than thought: refused for room, the station learns, refits
once and sends again; the next upload to that vehicle fits at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from geodata.site import load_site
from groundstation.errors import MissionUploadError
from groundstation.patrol.fence_upload import FenceBudgets, upload_fence
from groundstation.patrol.planning import make_plan, row_to_item
from groundstation.patrol.request import PlanRequest
from routes.mission import fence_cost


class SmallFenceVehicle:
    """Answers a fence over ``capacity`` items with NO_SPACE, as ArduPilot's MISSION_COUNT
    check does (or another result), and keeps what it accepts."""

    is_ardupilot = True
    sysid = 7

    def __init__(self, capacity: int, result: str = "NO_SPACE") -> None:
        self.capacity = capacity
        self.result = result
        self.sent: list[int] = []
        self.held: list[Any] = []

    async def upload_mission(self, items: list[Any], mission_type: str, **_: Any) -> None:
        assert mission_type == "fence"
        self.sent.append(len(items))
        if len(items) > self.capacity:
            reason = f"vehicle refused the upload: {self.result}"
            raise MissionUploadError(self.sysid, "fence", reason, self.result)
        self.held = items


@pytest.fixture(scope="module")
def sortie() -> tuple[list[Any], list[Any]]:
    """The shipped site's shoreline patrol, first sortie, fitted to ArduCopter's default."""
    result = make_plan(
        load_site(None), PlanRequest(kind="shore", altitude_m=60, speed_m_s=15, endurance_s=3300)
    )
    s = result.sorties[0]
    return [row_to_item(r) for r in s.items], [row_to_item(r) for r in s.fence]


@pytest.mark.parametrize("result", ["NO_SPACE", "ERROR"])
def test_refusal_teaches_a_smaller_budget(sortie, result: str) -> None:
    mission, fence = sortie
    n = len(fence)
    vehicle = SmallFenceVehicle(capacity=n - 6, result=result)
    budgets = FenceBudgets()
    sent = asyncio.run(upload_fence(vehicle, mission, fence, budgets, vehicle_id := 3))
    # refused once at full size, then sent refitted to the learned budget, which it holds
    assert vehicle.sent[0] == n
    assert len(vehicle.sent) == 2
    assert vehicle.sent[1] <= vehicle.capacity
    learned = budgets.learned[vehicle_id]
    assert learned.learned
    assert learned.max_items < n
    assert sent.learned == learned
    assert fence_cost(vehicle.held)[0] <= learned.max_items
    assert f"refused a {n}-item" in sent.message
    assert "kept for this vehicle" in sent.message
    assert sent.refit is not None
    assert any("learned from a refusal" in note for note in sent.refit.notes())
    # the next upload to the same vehicle fits the learned budget at once: one send
    vehicle.sent.clear()
    again = asyncio.run(upload_fence(vehicle, mission, fence, budgets, vehicle_id))
    assert vehicle.sent == [len(again.items)]
    assert len(again.items) <= learned.max_items


def test_other_refusals_are_not_retried(sortie) -> None:
    """A refusal that is not about room (DENIED: another GCS uploading) fails as it was."""
    mission, fence = sortie
    vehicle = SmallFenceVehicle(capacity=0, result="DENIED")
    with pytest.raises(MissionUploadError, match="DENIED"):
        asyncio.run(upload_fence(vehicle, mission, fence, FenceBudgets(), 1))
    assert vehicle.sent == [len(fence)]


def test_too_big_for_the_default_is_refitted_before_sending() -> None:
    """A fence over ArduCopter's 560 bytes (a plan fitted to PX4's 127 items) is refitted
    before it is sent, keeping its sortie's route inside."""
    big = make_plan(
        load_site(None),
        PlanRequest(kind="shore", altitude_m=60, speed_m_s=15, endurance_s=3300, vehicle="px4"),
    )
    s = max(big.sorties, key=lambda s: len(s.fence))
    mission, fence = [row_to_item(r) for r in s.items], [row_to_item(r) for r in s.fence]
    assert fence_cost(fence)[1] > 560
    vehicle = SmallFenceVehicle(capacity=70)
    sent = asyncio.run(upload_fence(vehicle, mission, fence, FenceBudgets(), 1))
    assert sent.refit is not None
    assert fence_cost(sent.items)[1] <= 560
    assert vehicle.sent == [len(sent.items)]
    assert "fence refitted" in sent.message
