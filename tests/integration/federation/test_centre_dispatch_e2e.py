"""A dispatch from the centre: the nearest free drone across two station services, each flying
its own simulator, carried out (or refused) by its station and recorded at both ends."""

from __future__ import annotations

import httpx
import pytest

from groundstation.federation.centre_dispatch import answer, dispatch
from groundstation.federation.protocol import DispatchParams
from groundstation.federation.store import CentreStore
from simulator.base import LONGYOU_STATION
from tests.integration.federation.helpers import RIVER_B_HOME, TwoStations, admin_headers, wait_for

pytestmark = pytest.mark.e2e


async def _audit(url: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        headers = await admin_headers(client)
        entries: list[dict[str, object]] = (await client.get("/api/audit", headers=headers)).json()[
            "data"
        ]
        return entries


async def test_centre_dispatch_carried_out_by_the_nearest_station_or_refused(
    store: CentreStore, two_stations: TwoStations
) -> None:
    """An incident 400 m from river-a's dock gets river-a's nearest drone: river-a records the
    incident, arms the drone and sends it (audited as the centre's officer), and the centre's
    record holds ``done`` and river-a's incident id; one near river-b's dock goes to river-b,
    which has no pilot on duty and refuses, and the centre records the refusal and its code."""
    near_a = DispatchParams(
        lat_deg=LONGYOU_STATION[0] + 0.0036, lon_deg=LONGYOU_STATION[1], alt_rel_m=30
    )
    near_b = DispatchParams(lat_deg=RIVER_B_HOME[0] + 0.002, lon_deg=RIVER_B_HOME[1])
    centre, a = two_stations.centre, two_stations.a
    to_a = await dispatch(centre, near_a, "officer-c")
    to_b = await dispatch(centre, near_b, "officer-c")
    rec_a = await answer(centre, to_a.command.id, timeout_s=60)
    rec_b = await answer(centre, to_b.command.id, timeout_s=30)

    async def a_flying() -> bool:
        free = await store.nearest_free(*LONGYOU_STATION[:2], limit=10)
        return (to_a.station, to_a.command.sysid) not in {(d.station, d.sysid) for d in free}

    await wait_for(a_flying, timeout_s=60)  # its frames show it armed: no longer free
    audit_a = await _audit(a.url)
    assert to_a.station == "river-a"
    assert to_a.distance_m is not None
    assert to_a.distance_m < 1000
    assert to_b.station == "river-b"
    assert rec_a is not None
    assert rec_b is not None
    assert (rec_a.kind, rec_a.result, rec_a.code, rec_a.issued_by) == (
        "dispatch",
        "done",
        None,
        "officer-c",
    )
    incident_id = rec_a.refs["incident_id"]
    assert isinstance(incident_id, int)
    assert rec_a.params["lat_deg"] == near_a.lat_deg
    assert rec_a.acked_at is not None
    assert (rec_b.result, rec_b.code, rec_b.reason) == (
        "refused",
        "no_pilot",
        "no pilot on duty at the station",
    )
    listed = await store.commands(kind="dispatch")
    assert {r.id for r in listed} == {to_a.command.id, to_b.command.id}
    mine = [
        (e["command"], e["username"], e["result"], e["vehicle_sysid"])
        for e in audit_a
        if e["command"] in ("federation.dispatch", "dispatch")
    ]
    sysid = to_a.command.sysid
    assert sorted(mine, key=str) == sorted(
        [
            ("dispatch", "centre:officer-c", "accepted", sysid),
            ("federation.dispatch", "centre:officer-c", "done", sysid),
        ],
        key=str,
    )
