"""The vehicle registry and the audit log: role checks, conflicts, and the audit helper."""

from __future__ import annotations

from groundstation.app import services_of
from groundstation.db.audit import audit
from groundstation.db.models import User, Vehicle

DRONE = {"sysid": 3, "name": "heron-3", "airframe": "quadcopter", "battery_model": "6S 10Ah"}


def test_pilot_registers_and_updates_a_vehicle(station, pilot, officer):
    """A pilot adds a drone; everyone can read it; a pilot can update it."""
    r = station.client.post("/api/vehicles", json=DRONE, headers=pilot)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    listed = station.client.get("/api/vehicles", headers=officer).json()
    assert [v["name"] for v in listed["data"]] == ["heron-3"]
    r = station.client.patch(f"/api/vehicles/{vid}", json={"endurance_s": 1500}, headers=pilot)
    assert r.json()["endurance_s"] == 1500
    assert r.json()["sysid"] == 3


def test_officer_cannot_change_the_registry(station, officer):
    """An officer's token is refused (403) on adding a drone."""
    r = station.client.post("/api/vehicles", json=DRONE, headers=officer)
    assert r.status_code == 403


def test_duplicate_sysid_is_409_and_first_is_kept(station, pilot):
    """A second drone with the same system id is a conflict; the first is unchanged."""
    assert station.client.post("/api/vehicles", json=DRONE, headers=pilot).status_code == 201
    r = station.client.post("/api/vehicles", json={**DRONE, "name": "other"}, headers=pilot)
    assert r.status_code == 409
    listed = station.client.get("/api/vehicles", headers=pilot).json()
    assert [v["name"] for v in listed["data"]] == ["heron-3"]


def test_bad_sysid_is_422(station, pilot):
    """A system id outside 1..254 is refused with 422."""
    r = station.client.post("/api/vehicles", json={**DRONE, "sysid": 255}, headers=pilot)
    assert r.status_code == 422


def test_delete_unknown_vehicle_is_404(station, pilot):
    """Deleting a drone that is not registered answers 404."""
    assert station.client.delete("/api/vehicles/77", headers=pilot).status_code == 404


def _write_audit(station, username: str, sysid: int, command: str, result: str) -> None:
    app = station.client.app

    async def go():
        async with services_of(app).sessions() as session:
            user = (
                await session.execute(User.__table__.select().where(User.username == username))
            ).first()
            assert user is not None
            vehicle = await session.get(Vehicle, 1)
            target = vehicle if vehicle is not None and vehicle.sysid == sysid else sysid
            await audit(
                session, await session.get(User, user.id), target, command, result, {"alt_m": 30}
            )

    station.client.portal.call(go)


def test_audit_helper_entries_are_listed_for_admin_only(station, admin, pilot, officer):
    """Entries written by audit() appear newest first for an admin; others get 403."""
    station.client.post("/api/vehicles", json=DRONE, headers=pilot)
    _write_audit(station, "pilot1", 3, "takeoff", "accepted")
    _write_audit(station, "pilot1", 9, "rtl", "timeout")
    r = station.client.get("/api/audit", headers=admin)
    assert r.status_code == 200
    entries = r.json()["data"][:3]  # older: the logins and users made by the fixtures
    assert [(e["command"], e["vehicle_sysid"], e["result"]) for e in entries] == [
        ("rtl", 9, "timeout"),
        ("takeoff", 3, "accepted"),
        ("vehicle.create", 3, "ok"),
    ]
    assert entries[1]["vehicle_id"] == 1
    assert entries[0]["vehicle_id"] is None
    assert entries[0]["username"] == "pilot1"
    assert entries[0]["params"] == {"alt_m": 30}
    only = station.client.get("/api/audit", params={"vehicle_sysid": 3}, headers=admin).json()
    assert only["count"] == 2
    for headers in (pilot, officer):
        assert station.client.get("/api/audit", headers=headers).status_code == 403


def test_audit_naive_time_filter_is_422(station, admin):
    """A time filter without a timezone is refused rather than guessed."""
    r = station.client.get("/api/audit", params={"since": "2026-05-01T08:00:00"}, headers=admin)
    assert r.status_code == 422
    r = station.client.get("/api/audit", params={"since": "2026-05-01T08:00:00Z"}, headers=admin)
    assert r.status_code == 200


def test_vehicle_that_has_flown_cannot_be_deleted(station, pilot):
    """A drone with a patrol on record is kept (409); one that never flew can be deleted."""
    from groundstation.db.models import Patrol, Plan

    flown = station.client.post("/api/vehicles", json=DRONE, headers=pilot).json()
    spare = station.client.post(
        "/api/vehicles", json={**DRONE, "sysid": 8, "name": "spare"}, headers=pilot
    ).json()

    async def fly():
        async with services_of(station.client.app).sessions() as session:
            plan = Plan(name="p", kind="coverage")
            session.add(plan)
            await session.flush()
            session.add(Patrol(plan_id=plan.id, vehicle_id=flown["id"], state="reported"))
            await session.commit()

    station.client.portal.call(fly)
    r = station.client.delete(f"/api/vehicles/{flown['id']}", headers=pilot)
    assert r.status_code == 409
    assert station.client.get(f"/api/vehicles/{flown['id']}", headers=pilot).status_code == 200
    assert station.client.delete(f"/api/vehicles/{spare['id']}", headers=pilot).status_code == 204
    assert station.client.get(f"/api/vehicles/{spare['id']}", headers=pilot).status_code == 404
