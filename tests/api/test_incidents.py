"""Incidents: reporting, validation, assignment to officers, photos with size and type checks."""

from __future__ import annotations

import pytest

from groundstation.db.models import IncidentType

from .conftest import image_bytes

JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG")
POSITION = {"lat_deg": 29.05, "lon_deg": 119.18}


def report(station, headers, **extra):
    body = {"type": "illegal_fishing", **POSITION, "description": "nets", **extra}
    r = station.client.post("/api/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def officer_id(station, headers, username="officer1"):
    users = station.client.get("/api/users", params={"role": "officer"}, headers=headers).json()
    return next(u["id"] for u in users["data"] if u["username"] == username)


def test_issue_incident_types_are_all_accepted(station, officer):
    """Every incident type the issue lists can be reported and read back."""
    for kind in IncidentType:
        created = report(station, officer, type=kind.value)
        assert created["type"] == kind.value
        assert created["status"] == "open"
    listed = station.client.get("/api/incidents", headers=officer).json()
    assert listed["count"] == len(IncidentType)


def test_pilot_can_report_and_reporter_is_recorded(station, pilot):
    """A pilot reports an incident and is recorded as its reporter."""
    me = station.client.get("/api/me", headers=pilot).json()
    created = report(station, pilot)
    assert created["reported_by"] == me["id"]
    fetched = station.client.get(f"/api/incidents/{created['id']}", headers=pilot).json()
    assert fetched["description"] == "nets"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"type": "alien_landing"}, "type"),
        ({"lat_deg": 95.0}, "lat_deg"),
        ({"lon_deg": -181.0}, "lon_deg"),
        ({"lat_deg": "north"}, "lat_deg"),
    ],
)
def test_bad_incident_payload_is_422(station, officer, patch, field):
    """Unknown types and impossible coordinates are refused with 422 naming the field."""
    body = {"type": "pollution_discharge", **POSITION, **patch}
    r = station.client.post("/api/incidents", json=body, headers=officer)
    assert r.status_code == 422
    assert field in {str(loc) for err in r.json()["detail"] for loc in err["loc"]}
    assert station.client.get("/api/incidents", headers=officer).json()["count"] == 0


def test_assign_then_resolve(station, officer, officer2):
    """Assigning an officer moves the incident to assigned; resolving stamps resolved_at."""
    created = report(station, officer)
    target = officer_id(station, officer, "officer2")
    url = f"/api/incidents/{created['id']}"
    r = station.client.patch(url, json={"assigned_to": target}, headers=officer)
    assert r.status_code == 200
    assert r.json()["status"] == "assigned"
    assert r.json()["assigned_to"] == target
    r = station.client.patch(url, json={"status": "resolved"}, headers=officer2)
    assert r.json()["status"] == "resolved"
    assert r.json()["resolved_at"] is not None
    open_only = station.client.get("/api/incidents", params={"status": "open"}, headers=officer)
    assert open_only.json()["count"] == 0


def test_assignee_must_be_an_officer(station, officer, pilot):
    """Assigning an incident to a pilot is refused with 422 and nothing changes."""
    created = report(station, officer)
    pilot_id = station.client.get("/api/me", headers=pilot).json()["id"]
    url = f"/api/incidents/{created['id']}"
    r = station.client.patch(url, json={"assigned_to": pilot_id}, headers=officer)
    assert r.status_code == 422
    assert r.json()["fields"]["field"] == "assigned_to"
    assert station.client.get(url, headers=officer).json()["status"] == "open"


def test_pilot_cannot_manage_incidents(station, officer, pilot):
    """A pilot may report but not assign or resolve an incident (403)."""
    created = report(station, officer)
    r = station.client.patch(
        f"/api/incidents/{created['id']}", json={"status": "resolved"}, headers=pilot
    )
    assert r.status_code == 403


def test_status_assigned_without_assignee_is_422(station, officer):
    """Setting status assigned with nobody assigned is refused."""
    created = report(station, officer)
    r = station.client.patch(
        f"/api/incidents/{created['id']}", json={"status": "assigned"}, headers=officer
    )
    assert r.status_code == 422


def test_unknown_incident_is_404(station, officer):
    """Reading or updating an incident that does not exist answers 404."""
    assert station.client.get("/api/incidents/999", headers=officer).status_code == 404
    r = station.client.patch("/api/incidents/999", json={"status": "resolved"}, headers=officer)
    assert r.status_code == 404


def upload(station, headers, incident_id, content, name="photo.jpg", ctype="image/jpeg", **form):
    return station.client.post(
        f"/api/incidents/{incident_id}/attachments",
        files={"file": (name, content, ctype)},
        data={k: str(v) for k, v in form.items()},
        headers=headers,
    )


def test_photo_upload_and_download(station, officer):
    """A JPEG is stored with its position and comes back byte for byte, listed on the incident."""
    created = report(station, officer)
    r = upload(station, officer, created["id"], JPEG, lat_deg=29.051, lon_deg=119.181)
    assert r.status_code == 201, r.text
    meta = r.json()
    assert meta["content_type"] == "image/jpeg"
    assert meta["size_bytes"] == len(JPEG)
    assert meta["lat_deg"] == pytest.approx(29.051)
    got = station.client.get(meta["url"], headers=officer)
    assert got.status_code == 200
    assert got.content == JPEG
    assert got.headers["content-type"] == "image/jpeg"
    incident = station.client.get(f"/api/incidents/{created['id']}", headers=officer).json()
    assert [a["id"] for a in incident["attachments"]] == [meta["id"]]


def test_type_comes_from_the_bytes_not_the_claim(station, officer):
    """A PNG sent as image/jpeg is stored as PNG."""
    created = report(station, officer)
    r = upload(station, officer, created["id"], PNG, name="x.jpg", ctype="image/jpeg")
    assert r.json()["content_type"] == "image/png"


def test_non_image_is_415(station, officer):
    """A PDF renamed .jpg and claiming image/jpeg is refused with 415 and not stored."""
    created = report(station, officer)
    r = upload(station, officer, created["id"], b"%PDF-1.7\n" + b"0" * 100)
    assert r.status_code == 415
    incident = station.client.get(f"/api/incidents/{created['id']}", headers=officer).json()
    assert incident["attachments"] == []


def test_oversized_photo_is_413(station, officer):
    """A photo over max_photo_bytes is refused with 413 and not stored."""
    created = report(station, officer)
    big = JPEG + b"\x00" * station.settings.max_photo_bytes
    r = upload(station, officer, created["id"], big)
    assert r.status_code == 413
    incident = station.client.get(f"/api/incidents/{created['id']}", headers=officer).json()
    assert incident["attachments"] == []


def test_photo_for_unknown_incident_is_404(station, officer):
    """Uploading to an incident that does not exist answers 404."""
    assert upload(station, officer, 4242, JPEG).status_code == 404


@pytest.fixture
def small_station(settings):
    from fastapi.testclient import TestClient

    from groundstation.app import create_app

    from .conftest import Station

    small = settings.model_copy(update={"max_photo_bytes": 1000})
    with TestClient(create_app(small)) as client:
        yield Station(client, small)


def test_huge_body_is_refused_before_parsing(small_station):
    """A body whose Content-Length is far over the cap gets 413 before any route runs."""
    from .conftest import ADMIN

    headers = small_station.login(*ADMIN)
    created = report(small_station, headers)
    r = upload(small_station, headers, created["id"], JPEG + b"\x00" * 200_000)
    assert r.status_code == 413
    assert r.json()["error"] == "PayloadTooLarge"


def test_chunked_body_over_the_cap_is_refused(small_station):
    """A streamed body without Content-Length is cut off with 413 once it passes the cap."""
    from .conftest import ADMIN

    headers = small_station.login(*ADMIN)
    created = report(small_station, headers)

    def stream():
        for _ in range(100):
            yield b"\x00" * 4096

    r = small_station.client.post(
        f"/api/incidents/{created['id']}/attachments",
        content=stream(),
        headers={**headers, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 413
    incident = small_station.client.get(f"/api/incidents/{created['id']}", headers=headers).json()
    assert incident["attachments"] == []


def test_attachment_of_another_incident_is_404(station, officer):
    """A photo is only reachable under its own incident."""
    first = report(station, officer)
    second = report(station, officer)
    meta = upload(station, officer, first["id"], JPEG).json()
    r = station.client.get(
        f"/api/incidents/{second['id']}/attachments/{meta['id']}", headers=officer
    )
    assert r.status_code == 404
