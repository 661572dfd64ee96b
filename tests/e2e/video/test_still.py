"""A still from a drone's live video into an incident, through the running station."""

from __future__ import annotations

import hashlib
import io
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from groundstation.video.photos import exif_position
from simulator.geo import ne_offset_m
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e


@pytest.fixture
def station(tmp_path: Path) -> Iterator[LiveStation]:
    s = LiveStation(tmp_path / "station", drones=1, camera_objects=()).start()
    try:
        s.add_user("officer1", "officer")
        yield s
    finally:
        s.stop()


def test_officer_takes_a_still_into_a_new_incident_then_an_existing_one(
    station: LiveStation,
) -> None:
    """The still lands in a new incident at the drone's position, its stored SHA-256 matches the
    bytes served back, its EXIF GPS is the drone's position and its description the stamp; a
    second still goes into the same incident."""
    headers = {"Authorization": f"Bearer {station.token('officer1')}"}
    with station.api() as api:
        deadline = time.monotonic() + 30
        while not api.get("/api/video/cameras", headers=headers).json()["data"]:
            assert time.monotonic() < deadline, "the drone's camera was not found"
            time.sleep(0.2)
        r = api.post("/api/video/1/still", json={"type": "illegal_fishing"}, headers=headers)
        assert r.status_code == 201, r.text
        body = r.json()
        incident, attachment = body["incident"], body["attachment"]
        assert incident["type"] == "illegal_fishing"
        assert "#1" in body["stamp"]
        assert "UTC" in body["stamp"]
        got = api.get(
            f"/api/incidents/{incident['id']}/attachments/{attachment['id']}", headers=headers
        )
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == attachment["sha256"]
        with Image.open(io.BytesIO(got.content)) as img:
            assert img.size == (640, 360)
            description = img.getexif()[ExifTags.Base.ImageDescription]
        assert description == body["stamp"]
        where = exif_position(got.content)
        assert where is not None
        off = ne_offset_m(incident["lat_deg"], incident["lon_deg"], where.lat_deg, where.lon_deg)
        assert math.hypot(*off) < 1.0
        again = api.post(
            "/api/video/1/still", json={"incident_id": incident["id"]}, headers=headers
        )
        assert again.status_code == 201, again.text
        assert again.json()["incident"]["id"] == incident["id"]
        assert len(again.json()["incident"]["attachments"]) == 2
