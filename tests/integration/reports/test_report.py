"""A report built from a stored patrol with a synthetic track (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from lxml import html as lxml_html
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.errors import InvalidRequest, NotFound
from groundstation.reports.builder import build_report, file_report
from tests.integration.reports.patrol_data import StoredPatrol, store_patrol


@pytest.fixture
def stored(db: DbSettings) -> StoredPatrol:
    upgrade_to_head(db)
    return store_patrol(db)


@pytest.fixture
async def session(db) -> AsyncIterator[AsyncSession]:
    engine = make_async_engine(db)
    try:
        async with make_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


def _flown_m(stored: StoredPatrol) -> float:
    return float(np.hypot(*np.diff(stored.track_xy_m, axis=0).T).sum())


async def test_html_report_carries_the_patrol_numbers(session, stored):
    """The HTML page states distance, duration, coverage, photos, battery and incidents."""
    out = await build_report(session, stored.patrol_id, "html")
    assert out.media_type.startswith("text/html")
    page = lxml_html.fromstring(out.body)
    value = {td.get("id"): td.get("data-value") for td in page.xpath("//table[@id='summary']//td")}
    assert float(value["distance_m"]) == pytest.approx(_flown_m(stored), rel=0.005)
    assert float(value["duration_s"]) == (stored.end - stored.start).total_seconds()
    assert float(value["covered_frac"]) > 0.95
    assert int(value["photos"]) == stored.photos
    assert int(value["photos_planned"]) == 30
    assert float(value["battery_used_pct"]) == pytest.approx(stored.battery_used_pct)
    assert int(value["incidents"]) == 2
    assert int(value["anomalies"]) == 1  # the link loss; preflight and RTL are not anomalies
    assert value["drone"] == "drone-7"
    incident_rows = page.xpath("//table[@id='incidents_table']//tr[td]")
    assert [r.xpath("td")[0].text for r in incident_rows] == [str(i) for i in stored.incident_ids]
    assert "nets <near> the bank" in page.xpath("//table[@id='incidents_table']")[0].text_content()
    rows = page.xpath("//table[@id='events_table']//tr[td]")
    assert [r.xpath("td")[1].get("data-code") for r in rows] == [
        "preflight",
        "link_lost",
        "returning",
    ]
    assert rows[1].xpath("td")[1].text == "链路中断 / link lost"  # a label, not the raw code
    img = page.xpath("//img[@id='map']")[0].get("src")
    assert img.startswith("data:image/png;base64,")


async def test_pdf_has_pages_and_map_is_a_picture(session, stored):
    """The PDF is a real PDF with at least one page; the map is a PNG of useful size."""
    pdf = await build_report(session, stored.patrol_id, "pdf")
    assert pdf.body.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.body)) >= 1
    png = await build_report(session, stored.patrol_id, "png")
    assert png.body.startswith(b"\x89PNG")
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(png.body), format="png")
    assert pixels.shape[0] > 400
    assert pixels.shape[1] > 400
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 20  # not blank


async def test_geojson_kml_and_csv_exports(session, stored):
    """Exports hold the whole track, the planned route, the photos and the incidents."""
    gj = json.loads((await build_report(session, stored.patrol_id, "geojson")).body)
    roles = [f["properties"]["role"] for f in gj["features"]]
    assert roles.count("track") == 1
    assert roles.count("planned_route") == 1
    assert roles.count("photo") == stored.photos
    assert roles.count("incident") == 2
    track = gj["features"][0]["geometry"]["coordinates"]
    assert sum(len(seg) for seg in track) == len(stored.track_xy_m)

    kml = ET.fromstring((await build_report(session, stored.patrol_id, "kml")).body)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    names = [n.text for n in kml.findall(".//k:Folder/k:name", ns)]
    assert names == ["Flown track", "Planned route", "Photos", "Incidents"]
    assert len(kml.findall(".//k:Placemark", ns)) == 1 + 1 + stored.photos + 2

    rows = list(
        csv.DictReader(
            io.StringIO((await build_report(session, stored.patrol_id, "csv")).body.decode())
        )
    )
    assert len(rows) == len(stored.track_xy_m)
    assert float(rows[0]["alt_m"]) == 40.0


async def test_file_report_stores_the_summary_and_keeps_runner_facts(session, stored):
    """Filing adds the computed summary to the report row without dropping the runner's facts."""
    s = await file_report(session, stored.patrol_id)
    assert s["photos"] == stored.photos
    from sqlalchemy import select

    from groundstation.db.models import Report

    row = await session.scalar(select(Report).where(Report.patrol_id == stored.patrol_id))
    assert row is not None
    assert row.facts["summary"]["distance_m"] == s["distance_m"]
    assert row.facts["battery_start_pct"] == 98.0


async def test_unknown_patrol_and_format_are_refused(session, stored):
    """An unknown patrol is NotFound; an unknown format names the known ones."""
    with pytest.raises(NotFound):
        await build_report(session, 9999, "html")
    with pytest.raises(InvalidRequest, match="expected one of html, pdf"):
        await build_report(session, stored.patrol_id, "docx")


async def test_html_report_shows_the_camera_photos_as_thumbnails(session, stored, tmp_path):
    """Photos fetched from the drone's camera during the patrol appear as thumbnails with their
    time, position and hash; a photo whose file is gone is still listed."""
    from datetime import UTC, datetime

    from PIL import Image

    from groundstation.db import camera_media
    from groundstation.video.photos import store as store_photo

    shots = []
    for i, colour in enumerate(((200, 40, 40), (40, 40, 200))):
        buf = io.BytesIO()
        Image.new("RGB", (1280, 720), colour).save(buf, "JPEG")
        shots.append(store_photo(buf.getvalue(), tmp_path / "photos"))
        await camera_media.add_photo(
            session,
            camera_media.NewPhoto(
                sysid=7, image_index=i + 1, taken_at=datetime(2026, 12, 6, 3, i, tzinfo=UTC),
                lat_deg=29.053, lon_deg=119.182, alt_msl_m=80.0, exif_lat_deg=None,
                exif_lon_deg=None, exif_alt_m=None, source_url="http://cam/x.jpg",
                sha256=shots[-1].sha256, size_bytes=shots[-1].size_bytes,
                path=str(shots[-1].path), patrol_id=stored.patrol_id,
            ),
        )  # fmt: skip
    await session.commit()
    shots[1].path.unlink()
    page = lxml_html.fromstring((await build_report(session, stored.patrol_id, "html")).body)
    figures = page.xpath("//div[@id='camera_photos']/figure")
    assert [f.get("data-sha256") for f in figures] == [s.sha256 for s in shots]
    assert figures[0].xpath("img")[0].get("src").startswith("data:image/jpeg;base64,")
    assert figures[1].xpath("img") == []
    assert "29.053000, 119.182000" in figures[0].text_content()


async def test_duration_comes_from_the_recorded_flights_vehicle_clock(session, stored):
    """With the patrol's flights stored, the report's duration is their armed time on the
    vehicle's clock (a simulator at --speedup 5 flies 5x the station's wall-clock span)."""
    from groundstation.db.models import Flight

    wall_s = (stored.end - stored.start).total_seconds()
    for _k in range(2):  # two sorties' flights add up
        session.add(
            Flight(vehicle_id=stored.vehicle_id, patrol_id=stored.patrol_id,
                   armed_at=stored.start, updated_at=stored.end, landed_at=stored.end,
                   distance_m=100.0, flight_s=wall_s * 5 / 2, hover_s=0.0, hover_pct=0.0)
        )  # fmt: skip
    await session.commit()
    out = await build_report(session, stored.patrol_id, "json")
    s = json.loads(out.body)["summary"]
    assert s["duration_s"] == pytest.approx(wall_s * 5)
    assert s["duration_clock"] == "vehicle"
    assert s["elapsed_s"] == pytest.approx(wall_s)
