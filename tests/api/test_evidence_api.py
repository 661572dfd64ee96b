"""Evidence through the API: photo reads checked against their hash, and every access audited."""

from __future__ import annotations

import io
import sqlite3

import pytest

from .conftest import image_bytes
from .test_incidents import officer_id, report, upload

JPEG = image_bytes("JPEG", 32, 24)


def _audit(station, admin, **params):
    r = station.client.get("/api/audit", params={"limit": 1000, **params}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _db(station) -> sqlite3.Connection:
    url = station.settings.db.url or ""
    return sqlite3.connect(url.removeprefix("sqlite:///"))


def test_pilot_and_officer_photo_access_is_audited(station, admin, pilot, officer):
    """Uploads and downloads by a pilot and an officer each leave a row naming them."""
    incident = report(station, pilot)
    meta = upload(station, pilot, incident["id"], JPEG).json()
    for who in (pilot, officer):
        got = station.client.get(meta["url"], headers=who)
        assert got.status_code == 200
        assert got.content == JPEG
    rows = [
        (e["username"], e["command"])
        for e in reversed(_audit(station, admin))
        if e["command"].startswith(("incident.", "attachment."))
    ]
    assert rows == [
        ("pilot1", "incident.create"),
        ("pilot1", "attachment.upload"),
        ("pilot1", "attachment.download"),
        ("officer1", "attachment.download"),
    ]


def test_officer_changes_are_audited_by_kind(station, admin, officer):
    """Assigning, editing and resolving are three kinds of audit row, with the changes."""
    incident = report(station, officer)
    me = officer_id(station, officer)
    url = f"/api/incidents/{incident['id']}"
    for patch in ({"assigned_to": me}, {"description": "two boats"}, {"status": "resolved"}):
        assert station.client.patch(url, json=patch, headers=officer).status_code == 200
    rows = [e for e in reversed(_audit(station, admin)) if e["command"].startswith("incident.")]
    assert [e["command"] for e in rows] == [
        "incident.create", "incident.assign", "incident.edit", "incident.resolve",
    ]  # fmt: skip
    assert rows[2]["params"]["changes"] == {"description": "two boats"}


def test_a_damaged_photo_is_refused_audited_and_alerted(station, admin, officer):
    """A stored photo with one bit flipped answers 409, is never served, and is on record."""
    incident = report(station, officer)
    meta = upload(station, officer, incident["id"], JPEG).json()
    with _db(station) as conn:
        (data,) = conn.execute(
            "SELECT data FROM attachments WHERE id = ?", (meta["id"],)
        ).fetchone()
        flipped = data[:50] + bytes([data[50] ^ 0x01]) + data[51:]
        conn.execute("UPDATE attachments SET data = ? WHERE id = ?", (flipped, meta["id"]))
    got = station.client.get(meta["url"], headers=officer)
    assert got.status_code == 409
    assert got.json()["error"] == "StoredFileDamaged"
    assert flipped not in got.content
    rows = _audit(station, admin)
    assert rows[0]["command"] == "attachment.integrity"
    assert rows[0]["result"] == "mismatch"
    assert rows[0]["params"]["attachment_id"] == meta["id"]
    assert not any(e["command"] == "attachment.download" for e in rows)
    with _db(station) as conn:
        alerts = conn.execute("SELECT kind, level FROM alerts").fetchall()
    assert alerts == [("evidence.integrity", "critical")]


def _packet(station, headers, incident_id):
    return station.client.post(f"/api/incidents/{incident_id}/evidence", headers=headers)


def test_an_officer_exports_a_packet_that_verifies_with_the_station_key(
    station, admin, pilot, officer
):
    """The officer's packet verifies against the key admins see; the export is audited."""
    from groundstation.evidence.keys import load_public_pem
    from groundstation.evidence.verify import verify_packet

    incident = report(station, pilot)
    upload(station, pilot, incident["id"], JPEG)
    got = _packet(station, officer, incident["id"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert f"incident-{incident['id']}-evidence.zip" in got.headers["content-disposition"]
    key = station.client.get("/api/evidence/key", headers=admin).json()
    assert key["algorithm"] == "Ed25519"
    report_ = verify_packet(
        io.BytesIO(got.content), load_public_pem(key["public_key_pem"].encode())
    )
    assert report_.ok, report_.problems
    assert report_.key_fingerprint == key["fingerprint"]
    assert report_.manifest["exported_by"] == "officer1"
    export = next(e for e in _audit(station, admin) if e["command"] == "evidence.export")
    assert (export["username"], export["params"]) == ("officer1", {"incident_id": incident["id"]})


def test_pilots_cannot_export_and_only_admins_see_the_key(station, pilot, officer):
    """Export is for officers and admins; the key and the chain check for admins."""
    incident = report(station, pilot)
    assert _packet(station, pilot, incident["id"]).status_code == 403
    for headers in (pilot, officer):
        assert station.client.get("/api/evidence/key", headers=headers).status_code == 403
        assert station.client.get("/api/audit/verify", headers=headers).status_code == 403


def test_hold_and_release_are_admin_only_and_audited(station, admin, officer):
    """An admin holds and releases an incident with a reason; both are audit rows."""
    incident = report(station, officer)
    url = f"/api/incidents/{incident['id']}"
    body = {"reason": "case 2026-117"}
    assert station.client.post(f"{url}/hold", json=body, headers=officer).status_code == 403
    held = station.client.post(f"{url}/hold", json=body, headers=admin)
    assert held.status_code == 200, held.text
    assert held.json()["held"] is True
    assert station.client.get(url, headers=officer).json()["held"] is True
    released = station.client.post(f"{url}/release", json={"reason": "closed"}, headers=admin)
    assert released.json()["held"] is False
    rows = [(e["command"], e["params"]["reason"]) for e in _audit(station, admin)[:2]]
    assert rows == [("incident.release", "closed"), ("incident.hold", "case 2026-117")]


def test_incidents_with_photos_and_photos_are_never_deleted(station, admin, officer):
    """The store refuses to delete a photo, an incident with photos, or a held incident."""
    with_photo, held, plain = (report(station, officer) for _ in range(3))
    meta = upload(station, officer, with_photo["id"], JPEG).json()
    station.client.post(
        f"/api/incidents/{held['id']}/hold", json={"reason": "r"}, headers=admin
    ).raise_for_status()
    with _db(station) as conn:
        for table, row_id in (("attachments", meta["id"]), ("incidents", with_photo["id"]),
                              ("incidents", held["id"])):  # fmt: skip
            with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
                conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        conn.execute("DELETE FROM incidents WHERE id = ?", (plain["id"],))  # nothing to keep


def test_the_chain_check_names_a_changed_row(station, admin, officer):
    """GET /api/audit/verify is OK, then names the row changed in the database."""
    report(station, officer)
    ok = station.client.get("/api/audit/verify", headers=admin).json()
    assert ok["ok"] is True
    assert ok["rows"] >= 3
    with _db(station) as conn:
        conn.execute("UPDATE audit_log SET username = 'nobody' WHERE seq = 2")
    bad = station.client.get("/api/audit/verify", headers=admin).json()
    assert bad["ok"] is False
    assert bad["findings"][0]["kind"] == "changed"
    assert bad["findings"][0]["seq"] == 2


def test_the_station_signs_the_audit_chain_while_it_runs(settings):
    """With a short interval the running station signs its chain's head by itself."""
    import time

    from fastapi.testclient import TestClient

    from groundstation.app import create_app
    from groundstation.config import EvidenceSettings

    fast = settings.model_copy(update={"evidence": EvidenceSettings(checkpoint_every_s=0.2)})
    with TestClient(create_app(fast)) as client:
        r = client.post("/api/auth/login", json={"username": "root", "password": "admin-password"})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        deadline = time.monotonic() + 10
        while True:
            state = client.get("/api/audit/verify", headers=admin).json()
            if state["checkpoints"] and state["signed_seq"] == state["head_seq"]:
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
    assert state["ok"] is True
    assert (fast.data_dir / "evidence-signing-key.pem").stat().st_mode & 0o777 == 0o600


def test_schedule_changes_and_runs_are_audited(station, admin, pilot):
    """Creating, changing, running (by the station) and deleting a schedule: four rows."""
    from groundstation.app import services_of
    from tests.integration.reports.patrol_data import store_patrol

    plan_id = store_patrol(station.settings.db).plan_id
    body = {"plan_id": plan_id, "cron": "0 8 * * *", "name": "dawn"}
    s = station.client.post("/api/schedules", json=body, headers=pilot).json()
    url = f"/api/schedules/{s['id']}"
    station.client.patch(url, json={"enabled": True}, headers=pilot).raise_for_status()
    service = services_of(station.client.app).schedules
    assert station.client.portal.call(service.fire, s["id"]) == "skipped"
    station.client.delete(url, headers=pilot).raise_for_status()
    rows = [
        (e["username"], e["command"], e["result"])
        for e in reversed(_audit(station, admin))
        if e["command"].startswith("schedule.")
    ]
    assert rows == [
        ("pilot1", "schedule.create", "ok"),
        ("pilot1", "schedule.update", "ok"),
        ("station", "schedule.run", "skipped"),
        ("pilot1", "schedule.delete", "ok"),
    ]


def test_plans_and_patrols_are_audited_refusals_included(station, admin, pilot):
    """Plan made, patrols made, start and resume refused (no link), abort, plan flight refused:
    each is a row, a refusal with its reason."""
    from .test_plans import coverage

    vehicle = station.client.post(
        "/api/vehicles", json={"sysid": 5, "name": "heron-5"}, headers=pilot
    ).json()
    plan = station.client.post("/api/plans", json=coverage(), headers=pilot).json()
    body = {"plan_id": plan["id"], "vehicle_ids": [vehicle["id"]]}
    pid = station.client.post("/api/patrols", json=body, headers=pilot).json()["data"][0]["id"]
    for action in ("start", "resume"):
        assert station.client.post(f"/api/patrols/{pid}/{action}", headers=pilot).status_code == 409
    r = station.client.post(f"/api/patrols/{pid}/abort", json={"reason": "wind"}, headers=pilot)
    assert r.status_code == 200
    fly = {"vehicle_ids": [vehicle["id"]]}
    assert (
        station.client.post(f"/api/plans/{plan['id']}/fly", json=fly, headers=pilot).status_code
        == 409
    )
    rows = [
        (e["command"], e["result"].split(":")[0])
        for e in reversed(_audit(station, admin))
        if e["command"].startswith(("plan.", "patrol.", "vehicle."))
    ]
    assert rows[:2] == [("vehicle.create", "ok"), ("plan.create", "ok")]
    assert rows[-4:] == [
        ("patrol.start", "error"), ("patrol.resume", "error"), ("patrol.abort", "accepted"),
        ("plan.fly", "error"),
    ]  # fmt: skip
    assert ("patrol.create", "ok") in rows
