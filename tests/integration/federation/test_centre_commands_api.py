"""The centre's command API: a dispatch sent through the broker and its answer recorded, within
the user's scope."""

from __future__ import annotations

from pathlib import Path

import httpx

from groundstation.federation.protocol import Command
from groundstation.federation.station import Outcome
from tests.integration.db.conftest import PgCluster
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.centre_web import broker_login, running_centre_web
from tests.integration.federation.helpers import running, station, wait_for


async def _dispatch_here(command: Command) -> Outcome:
    if command.kind != "dispatch":
        return Outcome("refused", "only dispatches here", "bad_params")
    return Outcome("done", refs={"incident_id": 7, "vehicle": "drone-1"})


async def _post_when_connected(
    client: httpx.AsyncClient, body: dict[str, object]
) -> httpx.Response:
    """POST the dispatch, again while the centre's subscriber is still connecting (409)."""
    response: httpx.Response | None = None

    async def sent() -> bool:
        nonlocal response
        response = await client.post("/api/centre/dispatch", json=body)
        return response.status_code != 409 or "broker" not in response.text

    await wait_for(sent, timeout_s=20)
    assert response is not None
    return response


async def test_dispatch_through_the_api_and_its_answer(
    broker: Mosquitto, pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """The chief dispatches river-a's drone 1: 202, then the record holds river-a's answer
    (done, its incident 7); river-b's officer may neither dispatch river-a's drones nor see
    river-a's commands; with no free drone anywhere the nearest-free dispatch is a 409."""
    db_url = pg_cluster.create_database()
    a, audit_a = station(broker, "river-a", tmp_path, execute=_dispatch_here)
    b, _ = station(broker, "river-b", tmp_path)
    async with (
        running(a, b),
        running_centre_web(db_url, tmp_path, broker_login(broker)) as web,
        web.client("chief") as chief,
        web.client("officer-b") as officer_b,
    ):
        body = {"lat_deg": 29.06, "lon_deg": 119.18, "station": "river-a", "sysid": 1}
        r = await _post_when_connected(chief, body)
        assert r.status_code == 202, r.text
        sent = r.json()
        assert (sent["station"], sent["sysid"], sent["distance_m"]) == ("river-a", 1, None)

        async def answered() -> bool:
            got = await chief.get(f"/api/centre/commands/{sent['command_id']}")
            return got.json()["result"] is not None

        await wait_for(answered)
        record = (await chief.get(f"/api/centre/commands/{sent['command_id']}")).json()
        denied = await officer_b.post("/api/centre/dispatch", json=body)
        hidden = await officer_b.get(f"/api/centre/commands/{sent['command_id']}")
        mine_b = (await officer_b.get("/api/centre/commands")).json()
        all_chief = (await chief.get("/api/centre/commands?kind=dispatch")).json()
        nobody = await chief.post("/api/centre/dispatch", json={"lat_deg": 29.0, "lon_deg": 119.0})
        handovers = (await chief.get("/api/centre/handovers")).json()
    assert (record["result"], record["code"], record["refs"]) == (
        "done",
        None,
        {"incident_id": 7, "vehicle": "drone-1"},
    )
    assert record["issued_by"] == "chief"
    assert record["params"]["lat_deg"] == 29.06
    assert [c.id for c, _ in audit_a.entries] == [sent["command_id"]]
    assert denied.status_code == 403
    assert hidden.status_code == 403
    assert mine_b == {"data": [], "count": 0}
    assert [c["id"] for c in all_chief["data"]] == [sent["command_id"]]
    assert nobody.status_code == 409
    assert "no free drone" in nobody.text
    assert handovers == {"data": [], "count": 0}
