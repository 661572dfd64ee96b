"""The same API on PostgreSQL: migrations at start, users, incidents with photos, live events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundstation.app import create_app
from groundstation.config import DbSettings
from tests.integration.db.conftest import pg_cluster  # noqa: F401 - the throwaway cluster fixture

from .conftest import ADMIN, PASSWORD, Station, image_bytes

JPEG = image_bytes("JPEG")


@pytest.fixture
def pg_station(settings, pg_cluster) -> Iterator[Station]:  # noqa: F811 - fixture injection
    pg = settings.model_copy(update={"db": DbSettings(url=pg_cluster.create_database())})
    with TestClient(create_app(pg)) as client:
        yield Station(client, pg)


def test_incident_flow_on_postgresql(pg_station):
    """On PostgreSQL an officer's incident, photo and assignment work and reach the live stream."""
    s = pg_station
    admin = s.login(*ADMIN)
    for name, role in (("pilot1", "pilot"), ("officer1", "officer")):
        body: dict[str, Any] = {"username": name, "password": PASSWORD, "role": role}
        assert s.client.post("/api/users", json=body, headers=admin).status_code == 201
    pilot, officer = s.login("pilot1"), s.login("officer1")
    assert (
        s.client.post("/api/vehicles", json={"sysid": 1, "name": "kite"}, headers=pilot).status_code
        == 201
    )
    with s.client.websocket_connect(f"/ws/live?token={s.token(officer)}") as ws:
        snapshot = json.loads(ws.receive_text())
        assert [v["name"] for v in snapshot["data"]["vehicles"]] == ["kite"]
        body = {"type": "illegal_sand_mining", "lat_deg": 29.04, "lon_deg": 119.15}
        incident = s.client.post("/api/incidents", json=body, headers=pilot).json()
        assert json.loads(ws.receive_text())["data"]["id"] == incident["id"]
    photo = s.client.post(
        f"/api/incidents/{incident['id']}/attachments",
        files={"file": ("p.jpg", JPEG, "image/jpeg")},
        headers=officer,
    )
    assert photo.status_code == 201
    assert s.client.get(photo.json()["url"], headers=officer).content == JPEG
    me = s.client.get("/api/me", headers=officer).json()
    r = s.client.patch(
        f"/api/incidents/{incident['id']}", json={"assigned_to": me["id"]}, headers=officer
    )
    assert r.json()["status"] == "assigned"
    listed = s.client.get("/api/incidents", params={"status": "assigned"}, headers=officer).json()
    assert listed["count"] == 1
