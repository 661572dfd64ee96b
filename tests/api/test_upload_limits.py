"""Photo uploads: quotas per incident and per user, and a pixel limit against decompression
bombs. Each refusal is a clear 4xx naming the limit, and nothing is stored."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundstation.app import create_app

from .conftest import ADMIN, PASSWORD, Station, image_bytes, png_claiming
from .test_incidents import report, upload

PHOTO = image_bytes("JPEG", 64, 48)


def photos(station: Station, headers: dict[str, str], incident_id: int) -> list[dict[str, Any]]:
    r = station.client.get(f"/api/incidents/{incident_id}", headers=headers)
    return list(r.json()["attachments"])


@pytest.fixture
def quota_station(settings):
    """Room for two photos per incident and three per user."""
    small = settings.model_copy(
        update={
            "max_incident_photo_bytes": 2 * len(PHOTO) + 10,
            "max_user_photo_bytes": 3 * len(PHOTO) + 10,
        }
    )
    with TestClient(create_app(small)) as client:
        yield Station(client, small)


def test_incident_quota_refuses_the_photo_that_would_pass_it(quota_station):
    """The third photo on one incident gets 413 naming the per-incident limit; the incident
    keeps its two photos and another incident still takes one."""
    station = quota_station
    admin = station.login(*ADMIN)
    first = report(station, admin)["id"]
    assert [upload(station, admin, first, PHOTO).status_code for _ in range(2)] == [201, 201]
    r = upload(station, admin, first, PHOTO)
    assert r.status_code == 413
    limit = station.settings.max_incident_photo_bytes
    assert f"limit of {limit} bytes per incident" in r.json()["detail"]
    assert r.json()["fields"]["limit_bytes"] == limit
    assert r.json()["fields"]["used_bytes"] == 2 * len(PHOTO)
    assert len(photos(station, admin, first)) == 2
    other = report(station, admin)["id"]
    assert upload(station, admin, other, PHOTO).status_code == 201


def test_user_quota_stops_one_user_not_the_others(quota_station):
    """A user's fourth photo (over three incidents) gets 413 naming the per-user limit; another
    user uploads to the same incident."""
    station = quota_station
    admin = station.login(*ADMIN)
    body = {"username": "officer1", "password": PASSWORD, "role": "officer"}
    assert station.client.post("/api/users", json=body, headers=admin).status_code == 201
    officer = station.login("officer1")
    incidents = [report(station, admin)["id"] for _ in range(3)]
    for incident_id in incidents:
        assert upload(station, admin, incident_id, PHOTO).status_code == 201
    r = upload(station, admin, incidents[0], PHOTO)
    assert r.status_code == 413
    limit = station.settings.max_user_photo_bytes
    assert f"user 'root' already holds {3 * len(PHOTO)} bytes" in r.json()["detail"]
    assert f"limit of {limit} bytes per user" in r.json()["detail"]
    assert upload(station, officer, incidents[0], PHOTO).status_code == 201


def test_parallel_uploads_cannot_all_fit_in_the_last_room(quota_station):
    """Eight uploads at once to an incident with room for two: exactly two are stored, the
    other six get 413 (the quota is checked and the photo stored one upload at a time)."""
    station = quota_station
    admin = station.login(*ADMIN)
    incident = report(station, admin)["id"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: upload(station, admin, incident, PHOTO).status_code,
                              range(8)))  # fmt: skip
    assert sorted(codes) == [201, 201] + [413] * 6
    assert len(photos(station, admin, incident)) == 2


@pytest.mark.parametrize(
    ("width", "height", "says"),
    [
        (9000, 9000, "9000 x 9000 = 81000000 pixels, over the limit of 64000000 pixels"),
        (60000, 60000, "far too many pixels, over the limit of 64000000 pixels"),
    ],
)
def test_decompression_bomb_is_refused_by_its_header(station, officer, width, height, says):
    """A few hundred bytes claiming 81 or 3,600 megapixels are refused with 413 from the header
    alone (never decoded) and not stored; a normal photo is taken."""
    incident = report(station, officer)["id"]
    bomb = png_claiming(width, height)
    assert len(bomb) < 1000
    r = upload(station, officer, incident, bomb, name="lake.png", ctype="image/png")
    assert r.status_code == 413
    assert says in r.json()["detail"]
    assert r.json()["fields"]["limit_pixels"] == station.settings.max_photo_pixels
    assert photos(station, officer, incident) == []
    assert upload(station, officer, incident, png_claiming(800, 600)).status_code == 201


def test_bytes_that_only_start_like_a_photo_are_415(station, officer):
    """A JPEG signature followed by anything else is not a readable photo: 415, not stored."""
    incident = report(station, officer)["id"]
    r = upload(station, officer, incident, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200)
    assert r.status_code == 415
    assert "not a readable image/jpeg image" in r.json()["detail"]
    assert photos(station, officer, incident) == []
