"""Vehicle commands and patrols without a MAVLink link: roles, 404/409, the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Station
from tests.api.test_plans import coverage


@pytest.fixture
def vehicle(station: Station, pilot) -> dict[str, Any]:
    r = station.client.post("/api/vehicles", json={"sysid": 4, "name": "heron-4"}, headers=pilot)
    assert r.status_code == 201
    got: dict[str, Any] = r.json()
    return got


def test_officer_may_not_command_a_drone(station, officer, vehicle):
    """An officer's arm command is 403 and nothing is audited as sent."""
    r = station.client.post(f"/api/vehicles/{vehicle['id']}/commands/arm", headers=officer)
    assert r.status_code == 403
    assert "pilot" in r.json()["detail"]


def test_unknown_vehicle_is_404(station, pilot):
    """A command to a vehicle id the registry does not have is 404."""
    r = station.client.post("/api/vehicles/99/commands/rtl", headers=pilot)
    assert r.status_code == 404


def test_command_without_link_is_409_and_audited(station, pilot, admin, vehicle):
    """Without a MAVLink link a command is 409, and the attempt is in the audit log."""
    body = {"lat_deg": 29.05, "lon_deg": 119.18, "alt_rel_m": 40}
    r = station.client.post(
        f"/api/vehicles/{vehicle['id']}/commands/goto", json=body, headers=pilot
    )
    assert r.status_code == 409
    assert "no MAVLink link" in r.json()["detail"]
    log = station.client.get("/api/audit", headers=admin).json()["data"]
    assert log[0]["command"] == "goto"
    assert log[0]["username"] == "pilot1"
    assert log[0]["vehicle_sysid"] == 4
    assert log[0]["params"]["alt_rel_m"] == 40
    assert log[0]["result"].startswith("error:")


@pytest.mark.parametrize(
    ("command", "body"),
    [("takeoff", {"alt_m": 500}), ("goto", {"lat_deg": 95, "lon_deg": 0, "alt_rel_m": 10}),
     ("mode", {"mode": "AUTO; rm -rf"})],
)  # fmt: skip
def test_bad_command_bodies_are_422(station, pilot, vehicle, command, body):
    """Out-of-range altitudes, latitudes and malformed mode names are 422 field errors."""
    r = station.client.post(
        f"/api/vehicles/{vehicle['id']}/commands/{command}", json=body, headers=pilot
    )
    assert r.status_code == 422


def test_patrols_from_plan_listed_detailed_and_aborted(station, pilot, officer, vehicle):
    """Patrols are made per sortie, listed, shown with an empty track, and can be aborted."""
    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    body = {"plan_id": plan["id"], "vehicle_ids": [vehicle["id"]]}
    r = station.client.post("/api/patrols", json=body, headers=pilot)
    assert r.status_code == 201, r.text
    patrols = r.json()["data"]
    assert len(patrols) == plan["stats"]["sorties"]
    pid = patrols[0]["id"]
    assert patrols[0]["state"] == "planned"
    assert patrols[0]["vehicle_id"] == vehicle["id"]
    listed = station.client.get("/api/patrols?state=planned", headers=officer).json()
    assert listed["count"] == len(patrols)
    detail = station.client.get(f"/api/patrols/{pid}", headers=officer).json()
    assert detail["track"]["geometry"]["coordinates"] == []
    assert detail["transitions"] == []

    r = station.client.post(f"/api/patrols/{pid}/start", headers=pilot)
    assert r.status_code == 409  # no link
    r = station.client.post(f"/api/patrols/{pid}/resume", headers=pilot)
    assert r.status_code == 409
    assert station.client.post(f"/api/patrols/{pid}/abort", headers=officer).status_code == 403

    r = station.client.post(f"/api/patrols/{pid}/abort", json={"reason": "weather"}, headers=pilot)
    assert r.status_code == 200
    assert r.json()["state"] == "aborted"
    detail = station.client.get(f"/api/patrols/{pid}", headers=pilot).json()
    assert [(t["from_state"], t["to_state"], t["cause"]) for t in detail["transitions"]] == [
        ("planned", "aborted", "weather")
    ]
    r = station.client.post(f"/api/patrols/{pid}/abort", headers=pilot)
    assert r.status_code == 409
    assert "aborted patrol cannot go to aborted" in r.json()["detail"]


def test_patrol_creation_refuses_unknown_plan_vehicle_and_sortie(station, pilot, vehicle):
    """Unknown plan or vehicle is 404; a sortie the plan does not have is 422."""
    assert (
        station.client.post("/api/patrols", json={"plan_id": 5}, headers=pilot).status_code == 404
    )
    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    body = {"plan_id": plan["id"], "vehicle_ids": [77]}
    assert station.client.post("/api/patrols", json=body, headers=pilot).status_code == 404
    body = {"plan_id": plan["id"], "sortie": 40}
    assert station.client.post("/api/patrols", json=body, headers=pilot).status_code == 422
    assert station.client.get("/api/patrols/123", headers=pilot).status_code == 404


def test_dispatch_without_link_is_409(station, pilot, officer):
    """Dispatching a drone to an incident without a link is a clear 409."""
    inc = station.client.post(
        "/api/incidents", json={"type": "drowning_risk", "lat_deg": 29.05, "lon_deg": 119.18},
        headers=officer,
    ).json()  # fmt: skip
    r = station.client.post(f"/api/incidents/{inc['id']}/dispatch", headers=pilot)
    assert r.status_code == 409
    assert station.client.post("/api/incidents/999/dispatch", headers=pilot).status_code == 404


def test_fly_plan_without_link_is_409_and_creates_nothing(station, pilot, vehicle):
    """Flying a whole plan without a link is 409 and leaves no patrol behind."""
    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    body = {"vehicle_ids": [vehicle["id"]]}
    r = station.client.post(f"/api/plans/{plan['id']}/fly", json=body, headers=pilot)
    assert r.status_code == 409
    assert station.client.get("/api/patrols", headers=pilot).json()["count"] == 0


def test_restart_fails_patrols_caught_on_the_ground_and_keeps_airborne_ones(
    station, settings, pilot, vehicle
):
    """On start, a patrol caught uploading fails with the reason; a flying one is kept as it is
    when there is no link to reattach it with."""
    import sqlite3

    from fastapi.testclient import TestClient

    from groundstation.app import create_app

    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    body = {"plan_id": plan["id"], "sortie": 1, "vehicle_ids": [vehicle["id"]]}
    a = station.client.post("/api/patrols", json=body, headers=pilot).json()["data"][0]["id"]
    b = station.client.post("/api/patrols", json=body, headers=pilot).json()["data"][0]["id"]
    db = sqlite3.connect(settings.db.url.removeprefix("sqlite:///"))
    with db:
        db.execute("UPDATE patrols SET state = 'uploading' WHERE id = ?", (a,))
        db.execute("UPDATE patrols SET state = 'flying' WHERE id = ?", (b,))
    db.close()
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": pilot["Authorization"]}
        first = client.get(f"/api/patrols/{a}", headers=headers).json()
        second = client.get(f"/api/patrols/{b}", headers=headers).json()
    assert first["state"] == "failed"
    assert first["reason"] == "station restarted while uploading"
    assert first["transitions"][-1]["from_state"] == "uploading"
    assert second["state"] == "flying"
