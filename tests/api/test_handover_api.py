"""A pilot's handover by hand, without a broker: roles, 409/422/503, the outcome, the audit.

The station is federated but its broker is unreachable: the offer waits in the outbox and
nobody answers, so it ends as ``timeout`` and the station keeps command."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundstation.app import create_app
from groundstation.config import FederationSettings, Settings
from tests.api.conftest import ADMIN, Station, _user


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fed_station(settings: Settings) -> Iterator[Station]:
    settings = settings.model_copy(
        update={
            "federation": FederationSettings(
                enabled=True, station_id="river-a", broker_port=_closed_port(),
                reconnect_max_s=0.5, guest_sysids=[9], handover_timeout_s=0.5,
                neighbours={"river-b": (29.06, 119.18), "river-c": (29.04, 119.18)},
            )
        }
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield Station(client, settings)


def _vehicle(station: Station, headers: dict[str, str], sysid: int) -> dict[str, Any]:
    r = station.client.post(
        "/api/vehicles", json={"sysid": sysid, "name": f"heron-{sysid}"}, headers=headers
    )
    assert r.status_code == 201, r.text
    got: dict[str, Any] = r.json()
    return got


def _login(station: Station, role: str) -> dict[str, str]:
    return _user(station, station.login(*ADMIN), f"{role}1", role)


def test_neighbours_listed_when_federated(fed_station):
    officer = _login(fed_station, "officer")
    r = fed_station.client.get("/api/federation/neighbours", headers=officer)
    assert r.status_code == 200
    assert r.json() == {"enabled": True, "station": "river-a", "neighbours": ["river-b", "river-c"]}


def test_without_federation_no_neighbours_and_503(station, pilot):
    r = station.client.get("/api/federation/neighbours", headers=pilot)
    assert r.json() == {"enabled": False, "station": None, "neighbours": []}
    v = _vehicle(station, pilot, 4)
    r = station.client.post(f"/api/vehicles/{v['id']}/handover", json={"to": "x"}, headers=pilot)
    assert r.status_code == 503
    assert r.json()["error"] == "FederationOff"


def test_pilot_offer_is_202_then_times_out_and_is_audited(fed_station):
    pilot = _login(fed_station, "pilot")
    officer = _login(fed_station, "officer")
    v = _vehicle(fed_station, pilot, 4)
    url = f"/api/vehicles/{v['id']}/handover"
    r = fed_station.client.post(url, json={"to": "river-b"}, headers=officer)
    assert r.status_code == 403
    r = fed_station.client.post(url, json={"to": "river-b"}, headers=pilot)
    assert r.status_code == 202, r.text
    offer = r.json()
    assert (offer["state"], offer["to"], offer["sysid"], offer["by"]) == (
        "offered", "river-b", 4, "pilot1",
    )  # fmt: skip
    again = fed_station.client.post(url, json={"to": "river-c"}, headers=pilot)
    assert again.status_code == 409
    assert "already being handed over" in again.json()["detail"]
    deadline = time.monotonic() + 10
    while True:
        got = fed_station.client.get(f"{url}/{offer['id']}", headers=pilot).json()
        if got["state"] != "offered" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert got["state"] == "timeout"
    assert "no answer" in got["reason"]
    admin = fed_station.login("root", "admin-password")
    log = fed_station.client.get("/api/audit", headers=admin).json()["data"]
    steps = [(e["command"], e["result"]) for e in log]
    assert ("handover", "offered to river-b") in steps
    assert ("handover", "error: vehicle 4 is already being handed over") in steps
    assert ("federation.handover.offer", "offered to river-b") in steps
    assert fed_station.client.get(f"{url}/nope-nope-nope", headers=pilot).status_code == 404


def test_guest_is_409_and_unknown_station_422(fed_station):
    pilot = _login(fed_station, "pilot")
    guest = _vehicle(fed_station, pilot, 9)
    own = _vehicle(fed_station, pilot, 4)
    r = fed_station.client.post(
        f"/api/vehicles/{guest['id']}/handover", json={"to": "river-b"}, headers=pilot
    )
    assert r.status_code == 409
    assert "does not command vehicle 9" in r.json()["detail"]
    for to in ("river-z", "river-a"):
        r = fed_station.client.post(
            f"/api/vehicles/{own['id']}/handover", json={"to": to}, headers=pilot
        )
        assert r.status_code == 422, r.text
    r = fed_station.client.post(f"/api/vehicles/{own['id']}/handover", json={}, headers=pilot)
    assert r.status_code == 422
