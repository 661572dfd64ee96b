"""Plans API: a pilot re-plans (edits) or deletes a plan; a flown or scheduled plan is kept."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Station
from tests.api.test_plans import coverage


def _plan(station: Station, pilot: dict[str, str], **kw: Any) -> dict[str, Any]:
    r = station.client.post("/api/plans", json=coverage(**kw), headers=pilot)
    assert r.status_code == 201, r.text
    plan: dict[str, Any] = r.json()
    return plan


def _audited(station: Station, admin: dict[str, str], command: str) -> list[dict[str, Any]]:
    rows = station.client.get("/api/audit", params={"limit": 500}, headers=admin).json()["data"]
    return [r for r in rows if r["command"] == command]


def test_replan_changes_the_route_in_place_and_is_audited(station, pilot, admin):
    """A PUT plans again with the new parameters under the same id, and the audit log says so."""
    plan = _plan(station, pilot)
    r = station.client.put(
        f"/api/plans/{plan['id']}",
        json=coverage(name="south square, lower", altitude_m=25, swath_width_m=40),
        headers=pilot,
    )
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["id"] == plan["id"]
    assert again["name"] == "south square, lower"
    assert again["params"]["altitude_m"] == 25
    # narrower swaths over the same square: a longer route
    assert again["stats"]["length_m"] > plan["stats"]["length_m"]
    stored = station.client.get(f"/api/plans/{plan['id']}", headers=pilot).json()
    assert stored["stats"] == again["stats"]
    assert station.client.get("/api/plans", headers=pilot).json()["count"] == 1
    assert [e["params"]["plan_id"] for e in _audited(station, admin, "plan.update")] == [plan["id"]]


def test_delete_removes_the_plan_and_is_audited(station, pilot, admin):
    """A DELETE removes an unused plan (204, then 404) and leaves an audit entry."""
    plan = _plan(station, pilot)
    r = station.client.delete(f"/api/plans/{plan['id']}", headers=pilot)
    assert r.status_code == 204, r.text
    assert station.client.get(f"/api/plans/{plan['id']}", headers=pilot).status_code == 404
    assert station.client.delete(f"/api/plans/{plan['id']}", headers=pilot).status_code == 404
    entries = _audited(station, admin, "plan.delete")
    assert [(e["params"]["plan_id"], e["params"]["name"]) for e in entries] == [
        (plan["id"], "south square")
    ]


def test_a_plan_with_patrols_is_kept_as_their_record(station, pilot):
    """Once a patrol was made from a plan, editing or deleting it is 409, and it stays."""
    plan = _plan(station, pilot)
    r = station.client.post("/api/patrols", json={"plan_id": plan["id"]}, headers=pilot)
    assert r.status_code == 201, r.text
    put = station.client.put(f"/api/plans/{plan['id']}", json=coverage(), headers=pilot)
    assert put.status_code == 409
    assert "record" in put.json()["detail"]
    delete = station.client.delete(f"/api/plans/{plan['id']}", headers=pilot)
    assert delete.status_code == 409
    assert station.client.get(f"/api/plans/{plan['id']}", headers=pilot).status_code == 200


def test_a_scheduled_plan_is_not_deleted_under_its_schedule(station, pilot):
    """Deleting a plan a schedule flies is 409 naming the schedules; the plan stays."""
    plan = _plan(station, pilot)
    body = {"plan_id": plan["id"], "name": "morning", "times": ["07:00"]}
    r = station.client.post("/api/schedules", json=body, headers=pilot)
    assert r.status_code == 201, r.text
    delete = station.client.delete(f"/api/plans/{plan['id']}", headers=pilot)
    assert delete.status_code == 409
    assert "schedule" in delete.json()["detail"]


def test_officers_neither_edit_nor_delete_plans(station, pilot, officer):
    """Planning is the pilots': an officer's PUT or DELETE is 403."""
    plan = _plan(station, pilot)
    url = f"/api/plans/{plan['id']}"
    assert station.client.put(url, json=coverage(), headers=officer).status_code == 403
    assert station.client.delete(url, headers=officer).status_code == 403
