"""Evidence through the API: photo reads checked against their hash, and every access audited."""

from __future__ import annotations

import sqlite3

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
