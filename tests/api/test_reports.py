"""Reports through the API: rendered formats, listing, refiling, daily summary, filer, webhook."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from lxml import html as lxml_html

from groundstation.app import services_of
from tests.integration.reports.patrol_data import store_patrol


def test_report_formats_for_a_stored_patrol(station, officer):
    """HTML, PDF and GeoJSON come back with the right types and the patrol's numbers."""
    p = store_patrol(station.settings.db)
    r = station.client.get(f"/api/patrols/{p.patrol_id}/report", headers=officer)
    assert r.status_code == 200, r.text
    page = lxml_html.fromstring(r.content)
    assert page.xpath("//td[@id='photos']/@data-value") == [str(p.photos)]
    assert page.xpath("//td[@id='incidents']/@data-value") == ["2"]
    pdf = station.client.get(
        f"/api/patrols/{p.patrol_id}/report?format=pdf&download=true", headers=officer
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.content.startswith(b"%PDF-")
    gj = station.client.get(f"/api/patrols/{p.patrol_id}/report?format=geojson", headers=officer)
    assert gj.json()["properties"]["photos"] == p.photos


def test_bad_requests(station, officer):
    """Unknown format is 422 naming the known ones, unknown patrol 404, no token 401."""
    p = store_patrol(station.settings.db)
    r = station.client.get(f"/api/patrols/{p.patrol_id}/report?format=docx", headers=officer)
    assert r.status_code == 422
    assert "expected one of html, pdf" in r.json()["detail"]
    assert station.client.get("/api/patrols/999/report", headers=officer).status_code == 404
    assert station.client.get(f"/api/patrols/{p.patrol_id}/report").status_code == 401


def test_refile_and_list(station, pilot, officer):
    """A pilot files a report's summary; the list shows it; an officer may not refile."""
    p = store_patrol(station.settings.db)
    assert (
        station.client.post(f"/api/patrols/{p.patrol_id}/report", headers=officer).status_code
        == 403
    )
    r = station.client.post(f"/api/patrols/{p.patrol_id}/report", headers=pilot)
    assert r.status_code == 200, r.text
    assert r.json()["photos"] == p.photos
    listing = station.client.get("/api/reports", headers=officer).json()
    assert listing["count"] == 1
    assert listing["data"][0]["summary"]["distance_m"] == r.json()["distance_m"]


def test_daily_summary_in_both_languages(station, officer):
    """The day of the stored patrol counts it, its distance and its incidents, in zh and en."""
    p = store_patrol(station.settings.db)
    day = "2026-06-02"
    data = station.client.get(f"/api/reports/daily?day={day}&format=json", headers=officer).json()
    assert data["flown"] == 1
    assert data["incidents"] == 0  # created "now", not on that day
    assert data["distance_m"] > 2000
    assert data["patrols"][0]["patrol_id"] == p.patrol_id
    zh = station.client.get(f"/api/reports/daily?day={day}&lang=zh", headers=officer)
    assert "每日巡逻汇总" in zh.text
    assert lxml_html.fromstring(zh.content).xpath("//td[@id='flown']/@data-value") == ["1"]
    en = station.client.get(f"/api/reports/daily?day={day}&lang=en", headers=officer)
    assert "Daily patrol summary" in en.text
    assert 'id="freshness"' in en.text
    bad = station.client.get("/api/reports/daily?lang=fr", headers=officer)
    assert bad.status_code == 422


def test_patrol_end_files_report_and_calls_the_webhook(station, officer):
    """An ended patrol gets its summary filed and a report_ready notice POSTed to the webhook."""
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(204)

    notifier = services_of(station.client.app).notifier
    notifier.webhook_url = "http://127.0.0.1:9/hook"
    notifier.transport = httpx.MockTransport(handler)
    p = store_patrol(station.settings.db)  # stored as 'reported', as the runner leaves it
    deadline = time.monotonic() + 20
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen, "no webhook call"
    assert seen[0]["kind"] == "report_ready"
    assert seen[0]["patrol_id"] == p.patrol_id
    assert seen[0]["url"] == f"/api/patrols/{p.patrol_id}/report"
    listing = station.client.get("/api/reports", headers=officer).json()
    assert listing["data"][0]["summary"]["patrol_id"] == p.patrol_id
    filer = services_of(station.client.app).reports
    assert station.client.portal.call(filer.run_once) == 0  # filed once, not again


def test_failing_webhook_is_counted_not_raised(station):
    """A webhook answering 500 is logged and counted; the report is filed all the same."""
    notifier = services_of(station.client.app).notifier
    notifier.webhook_url = "http://127.0.0.1:9/hook"
    notifier.transport = httpx.MockTransport(lambda request: httpx.Response(500))
    p = store_patrol(station.settings.db)
    filer = services_of(station.client.app).reports
    deadline = time.monotonic() + 20
    while p.patrol_id not in filer.filed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert p.patrol_id in filer.filed
    assert notifier.failed >= 1
    assert "500" in notifier.last_error
