"""The live map's *Export evidence* button: an officer gets a sealed packet that verifies."""

from __future__ import annotations

import pytest

from groundstation.evidence.keys import load_or_create_key
from groundstation.evidence.verify import verify_packet
from tests.browser.pages import WAIT_MS, log_in, open_page, report_incident_at
from tests.browser.station import LiveStation
from tests.browser.test_live_map_page import tiny_png

pytestmark = pytest.mark.e2e


@pytest.fixture
def station(tmp_path):
    station = LiveStation(tmp_path / "station").start()
    try:
        station.add_user("officer1", "officer")
        yield station
    finally:
        station.stop()


def test_an_officer_exports_the_incident_from_its_popup(browser, station, tmp_path):
    """Report with a photo, click Export evidence: the downloaded zip verifies with the key."""
    context, page, errors = open_page(browser, station.url)
    try:
        log_in(page, "officer1")
        photo = {"name": "boat.png", "mimeType": "image/png", "buffer": tiny_png()}
        report_incident_at(page, 880, 700, "illegal_fishing", "电鱼", photo)
        incident_id = page.get_attribute("[data-testid=incident-marker]", "data-id")
        page.click(f"[data-testid=incident-marker][data-id='{incident_id}']")
        with page.expect_download(timeout=WAIT_MS) as download:
            page.click("[data-testid=export-evidence]")
        assert download.value.suggested_filename == f"incident-{incident_id}-evidence.zip"
        saved = tmp_path / "packet.zip"
        download.value.save_as(saved)
        assert errors == [], errors
    finally:
        context.close()
    key = load_or_create_key(station.settings().evidence.key_path(station.data_dir))
    report = verify_packet(saved, key.public_key())
    assert report.ok, report.problems
    assert any(f["path"].startswith("attachments/") for f in report.manifest["files"])
