"""Mission, fence and rally transfers, as a user runs them with ``ecopatrol mission``, on our
simulator and on ArduCopter SITL: a shoreline patrol's whole .plan over the shipped site (its
150-point geofence fitted to the vehicle, mission and rally in one command) uploaded and verified
with and without loss, read back, and a mission larger than the vehicle holds.
(test_mission_upload.py sends mission and rally each on its own.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.backends import vehicles
from tests.conformance.cli import ecopatrol

pytestmark = pytest.mark.e2e

#: ArduCopter's mission storage: 650 items including home (slot 0); the 651st is NO_SPACE.
ARDUCOPTER_MISSION_ITEMS = 650


@pytest.fixture(scope="module")
def shoreline_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first sortie of a one-loop shoreline patrol over the shipped Longyou site."""
    import asyncio

    folder = tmp_path_factory.mktemp("shore")
    result = asyncio.run(
        ecopatrol("plan", "shore", "--altitude", "40", "-o", str(folder / "shore.plan"))
    )
    assert result.code == 0, result.err
    plans = sorted(folder.glob("shore*.plan"))
    assert plans, result.out
    return plans[0]


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _nav_positions(plan: dict[str, Any]) -> list[tuple[int, int, float]]:
    """(lat e7, lon e7, alt) of every mission item with a position, after home."""
    out = []
    for item in plan["mission"]["items"][1:]:
        params = item["params"]
        if item["command"] in (16, 21, 22) and params[4] is not None:
            out.append((round(params[4] * 1e7), round(params[5] * 1e7), round(params[6], 2)))
    return out


@pytest.mark.parametrize("loss", [False, True], ids=["clean", "lossy"])
async def test_shoreline_plan_uploads_verified_and_reads_back(
    autopilot, shoreline_plan: Path, tmp_path: Path, loss: bool
):
    kind, factory = autopilot
    sent = _read_json(shoreline_plan)
    async with vehicles(kind, factory, [1]) as fleet:
        url = fleet.urls[0]
        await fleet.set_loss(loss)
        up = await ecopatrol("mission", "upload", str(shoreline_plan), "--connect", url,
                             "--verify")  # fmt: skip
        assert up.code == 0, up.err
        assert "(verified)" in up.out
        await fleet.set_loss(False)
        back = tmp_path / "back.plan"
        down = await ecopatrol("mission", "download", str(back), "--connect", url)
        assert down.code == 0, down.err

    got = _read_json(back)
    assert len(got["mission"]["items"]) == len(sent["mission"]["items"])
    # sent as MISSION_ITEM_INT: every position comes back to the 1e-7 degree
    assert _nav_positions(got) == _nav_positions(sent)
    assert len(got["rallyPoints"]["points"]) == len(sent["rallyPoints"]["points"])
    fence = got["geoFence"]
    assert fence["polygons"] or fence["circles"], "the fence was stored"


def _waypoints(count: int) -> str:
    """A QGC WPL 110 file: home and count-1 waypoints south of the Longyou station."""
    lines = ["QGC WPL 110", "0\t1\t0\t16\t0\t0\t0\t0\t29.05253\t119.181841\t40\t1"]
    for seq in range(1, count):
        lat = 29.05253 - 0.00001 * seq
        lines.append(f"{seq}\t0\t3\t16\t0\t0\t0\t0\t{lat:.7f}\t119.181841\t30\t1")
    return "\n".join(lines) + "\n"


async def test_mission_larger_than_the_vehicle_holds_is_refused_by_name(autopilot, tmp_path):
    kind, factory = autopilot
    full = tmp_path / "full.waypoints"
    full.write_text(_waypoints(ARDUCOPTER_MISSION_ITEMS))
    over = tmp_path / "over.waypoints"
    over.write_text(_waypoints(ARDUCOPTER_MISSION_ITEMS + 1))
    async with vehicles(kind, factory, [1]) as fleet:
        url = fleet.urls[0]
        r = await ecopatrol("mission", "upload", str(over), "--connect", url)
        assert r.code == 1
        assert "NO_SPACE" in r.err
        assert r.err.count("\n") == 1, "one line naming the vehicle and the cause"
        r = await ecopatrol("mission", "upload", str(full), "--connect", url, "--verify")
        assert r.code == 0, r.err
        r = await ecopatrol("mission", "download", "--connect", url, "--type", "mission")
        assert r.code == 0, r.err
        assert f"{ARDUCOPTER_MISSION_ITEMS} mission item(s)" in r.out
