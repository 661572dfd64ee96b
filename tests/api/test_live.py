"""The /ws/live websocket: authentication, snapshot, and events published by the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from groundstation.api.live_protocol import SERVER_MESSAGES
from groundstation.app import services_of
from groundstation.telemetry.hub import PROTOCOL_VERSION, make_message


def receive(ws) -> dict[str, Any]:
    got: dict[str, Any] = json.loads(ws.receive_text())
    return got


def test_anonymous_websocket_is_closed_with_1008(station):
    """A client that sends no token, only chatter, is closed with policy-violation 1008."""
    with station.client.websocket_connect("/ws/live") as ws:
        ws.send_text(json.dumps({"type": "hello"}))
        with pytest.raises(WebSocketDisconnect) as err:
            ws.receive_text()
    assert err.value.code == 1008


def test_bad_query_token_is_closed_with_1008(station):
    """A forged token in the query string is refused with 1008."""
    with (
        station.client.websocket_connect("/ws/live?token=not-a-token") as ws,
        pytest.raises(WebSocketDisconnect) as err,
    ):
        ws.receive_text()
    assert err.value.code == 1008


def test_silent_client_is_closed_after_auth_timeout(station):
    """A client that says nothing is closed with 1008 once the auth timeout passes."""
    with (
        station.client.websocket_connect("/ws/live") as ws,
        pytest.raises(WebSocketDisconnect) as err,
    ):
        ws.receive_text()
    assert err.value.code == 1008


def test_snapshot_on_connect_with_query_token(station, officer, pilot):
    """A client authenticated by query token first receives a versioned snapshot."""
    station.client.post(
        "/api/incidents",
        json={"type": "theft", "lat_deg": 29.0, "lon_deg": 119.2},
        headers=officer,
    )
    station.client.post("/api/vehicles", json={"sysid": 2, "name": "egret-2"}, headers=pilot)
    with station.client.websocket_connect(f"/ws/live?token={station.token(officer)}") as ws:
        msg = receive(ws)
    assert msg["v"] == PROTOCOL_VERSION
    assert msg["type"] == "snapshot"
    assert msg["data"]["user"]["username"] == "officer1"
    assert [i["type"] for i in msg["data"]["incidents"]] == ["theft"]
    assert [v["name"] for v in msg["data"]["vehicles"]] == ["egret-2"]
    assert msg["data"]["patrols"] == []
    SERVER_MESSAGES.validate_python(msg)  # as the protocol's models describe it


def test_a_registered_drone_is_an_offline_vehicle_frame_before_the_link_runs(station, pilot):
    """Without a link the snapshot lists the registry in the live frames' own shape, offline."""
    from groundstation.telemetry.messages import VehicleFrame

    row = station.client.post(
        "/api/vehicles", json={"sysid": 4, "name": "egret-4"}, headers=pilot
    ).json()
    with station.client.websocket_connect(f"/ws/live?token={station.token(pilot)}") as ws:
        (vehicle,) = receive(ws)["data"]["vehicles"]
    assert VehicleFrame.model_validate(vehicle) == VehicleFrame.offline(4, row["id"], "egret-4")


def test_incident_created_by_another_user_reaches_the_viewer(station, officer, pilot):
    """An officer watching the stream receives the incident a pilot reports, then its update."""
    with station.client.websocket_connect("/ws/live") as ws:
        ws.send_text(json.dumps({"type": "auth", "token": station.token(officer)}))
        assert receive(ws)["type"] == "snapshot"
        created = station.client.post(
            "/api/incidents",
            json={"type": "fire_or_smoke", "lat_deg": 29.06, "lon_deg": 119.19},
            headers=pilot,
        ).json()
        msg = receive(ws)
        assert msg["type"] == "incident.created"
        assert msg["data"]["id"] == created["id"]
        assert msg["data"]["type"] == "fire_or_smoke"
        station.client.patch(
            f"/api/incidents/{created['id']}", json={"status": "resolved"}, headers=officer
        )
        msg = receive(ws)
        assert msg["type"] == "incident.updated"
        assert msg["data"]["status"] == "resolved"


def test_ping_is_answered(station, officer):
    """A {"type": "ping"} message gets a pong."""
    with station.client.websocket_connect(f"/ws/live?token={station.token(officer)}") as ws:
        receive(ws)
        ws.send_text(json.dumps({"type": "ping"}))
        assert receive(ws)["type"] == "pong"


def test_overflowing_client_is_closed_with_1013(station, officer):
    """A client that falls a whole queue behind is closed with 1013 (reconnect for a snapshot)."""
    hub = services_of(station.client.app).hub
    with station.client.websocket_connect(f"/ws/live?token={station.token(officer)}") as ws:
        receive(ws)

        async def flood():
            for n in range(station.settings.live_queue_size + 1):
                hub.publish(make_message("alert", {"n": n}))

        station.client.portal.call(flood)
        received = 0
        while True:
            try:
                receive(ws)
            except WebSocketDisconnect as exc:
                code = exc.code
                break
            received += 1
    assert code == 1013
    assert received < station.settings.live_queue_size + 1
    assert hub.stats.dropped_overflow == 1


def test_snapshot_lists_only_unfinished_patrols(station, officer):
    """Patrols in a terminal state are left out of the snapshot; the others are listed."""
    from groundstation.db.models import Patrol, PatrolState, Plan

    async def seed():
        async with services_of(station.client.app).sessions() as session:
            plan = Plan(name="shore loop", kind="shoreline")
            session.add(plan)
            await session.flush()
            for state in (PatrolState.FLYING, PatrolState.REPORTED, PatrolState.ABORTED):
                session.add(Patrol(plan_id=plan.id, state=state.value))
            await session.commit()

    station.client.portal.call(seed)
    with station.client.websocket_connect(f"/ws/live?token={station.token(officer)}") as ws:
        msg = receive(ws)
    SERVER_MESSAGES.validate_python(msg)
    assert [p["state"] for p in msg["data"]["patrols"]] == ["flying"]


def test_binary_first_frame_is_refused_with_1008(station):
    """A binary frame instead of the auth message closes the socket with 1008."""
    with station.client.websocket_connect("/ws/live") as ws:
        ws.send_bytes(b"\x00\x01")
        with pytest.raises(WebSocketDisconnect) as err:
            ws.receive_text()
    assert err.value.code == 1008


def test_binary_and_junk_frames_after_auth_are_ignored(station, officer):
    """After authentication, binary frames and non-JSON text are ignored and pings still work."""
    with station.client.websocket_connect(f"/ws/live?token={station.token(officer)}") as ws:
        receive(ws)
        ws.send_bytes(b"\xff")
        ws.send_text("not json")
        ws.send_text(json.dumps({"type": "ping"}))
        assert receive(ws)["type"] == "pong"


def test_waiting_vehicle_frames_arrive_as_one_batch(station, officer):
    """Frames published together reach the viewer as one vehicle.frames; events keep their place."""
    from groundstation.telemetry.events import alert, vehicle_frame
    from groundstation.telemetry.messages import VehicleFrame

    def frame(sysid: int, seq: int) -> VehicleFrame:
        return VehicleFrame.offline(sysid, None, None).model_copy(update={"mission_seq": seq})

    def seqs(msg: dict[str, Any]) -> list[tuple[int, int]]:
        data = msg["data"] if isinstance(msg["data"], list) else [msg["data"]]
        return [(d["sysid"], d["mission_seq"]) for d in data]

    hub = services_of(station.client.app).hub
    with station.client.websocket_connect(f"/ws/live?token={station.token(officer)}") as ws:
        receive(ws)

        async def publish():
            for seq in range(3):
                for sysid in (1, 2):
                    hub.publish(vehicle_frame(frame(sysid, seq)))
            hub.publish(alert("info", "between"))
            hub.publish(vehicle_frame(frame(3, 0)))

        station.client.portal.call(publish)
        batch, between, last = receive(ws), receive(ws), receive(ws)
        for msg in (batch, between, last):  # each one as the protocol's models describe it
            SERVER_MESSAGES.validate_python(msg)
        assert batch["v"] == PROTOCOL_VERSION
        assert batch["type"] == "vehicle.frames"
        assert seqs(batch) == [(1, 2), (2, 2)]
        assert between["data"]["text"] == "between"
        assert (last["type"], seqs(last)) == ("vehicle.frame", [(3, 0)])
