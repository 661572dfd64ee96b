"""``ecopatrol mission upload --verify`` of a shoreline sortie, then download: on our simulator
and on ArduCopter SITL, without loss and with it. Verification compares what each autopilot keeps
of an item (``groundstation.link.stored_form``); the download gives back every position exact
(MISSION_ITEM_INT both ways)."""

from __future__ import annotations

import pytest

from routes.formats import qgc_plan
from tests.conformance.backends import vehicles
from tests.conformance.cli import ecopatrol

pytestmark = pytest.mark.e2e


async def test_shoreline_mission_and_rally_upload_verify_and_download(autopilot, tmp_path):
    kind, factory = autopilot
    r = await ecopatrol("plan", "shore", "--altitude", "60", "-o", str(tmp_path / "shore.plan"))
    assert r.code == 0, r.err
    plan_file = tmp_path / "shore_s01_d1.plan"
    sent = qgc_plan.loads(plan_file.read_text(encoding="utf-8"))
    async with vehicles(kind, factory, [1]) as fleet:
        url = fleet.urls[0]
        for lossy in (False, True):
            await fleet.set_loss(lossy)
            for part in ("mission", "rally"):
                r = await ecopatrol("mission", "upload", str(plan_file), "--connect", url,
                                    "--verify", "--type", part, "--wait", "30",
                                    timeout_s=300)  # fmt: skip
                assert r.code == 0, f"{kind} {part} lossy={lossy}: {r.err}"
                assert "(verified)" in r.out
        await fleet.set_loss(False)
        back_file = tmp_path / "back.plan"
        r = await ecopatrol("mission", "download", str(back_file), "--connect", url,
                            "--type", "all", "--wait", "30", timeout_s=300)  # fmt: skip
        assert r.code == 0, r.err
    back = qgc_plan.loads(back_file.read_text(encoding="utf-8"))
    assert len(back.items) == len(sent.items)
    # slot 0 is the vehicle's own home on ArduPilot; the rest come back where they were sent
    positions = [(i.x, i.y) for i in sent.items[1:] if i.x or i.y]
    assert positions
    assert [(i.x, i.y) for i in back.items[1:] if i.x or i.y] == positions
    assert [(p.x, p.y) for p in back.rally] == [(p.x, p.y) for p in sent.rally]
