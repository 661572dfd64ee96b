"""The live map page in a real browser against a real station (no drones needed here):
login, languages and local time, incidents with photos across pages, and reconnection."""

from __future__ import annotations

import math
import struct
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.browser.pages import WAIT_MS, log_in, open_page, report_incident_at, show_tab
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e


def tiny_png() -> bytes:
    """A valid 2x2 green PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x20\xa0\x40" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def station(tmp_path):
    station = LiveStation(tmp_path / "station").start()
    try:
        for name, role in (("pilot1", "pilot"), ("officer1", "officer"), ("officer2", "officer")):
            station.add_user(name, role)
        yield station
    finally:
        station.stop()


def test_login_language_switch_and_bad_password(browser, station):
    """A wrong password is explained in Chinese (not with the station's English detail); the
    page is Chinese by default and switches to English, and keeps the choice (and the session)
    after a reload."""
    context, page, errors = open_page(browser, station.url)
    try:
        page.fill("#login-username", "pilot1")
        page.fill("#login-password", "wrong-password")
        page.click("#login-submit")
        page.wait_for_selector("#login-error:not([hidden])", timeout=WAIT_MS)
        assert page.inner_text("#login-error") == "登录失败：用户名或密码错误"

        log_in(page, "pilot1")
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert page.inner_text("[data-tab=vehicles]") == "无人机"
        assert "飞手" in page.inner_text("#whoami")

        page.click("header [data-testid=lang-switch]")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("[data-tab=vehicles]") == "Drones"
        assert "pilot" in page.inner_text("#whoami")

        page.reload()
        page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
        assert page.inner_text("[data-tab=vehicles]") == "Drones"
        assert errors == [], errors
    finally:
        context.close()


def test_log_out_revokes_the_token_on_the_station(browser, station):
    """ "Log out" on the page revokes the token on the station, not only in the browser: the
    token the page held is refused afterwards, and the page shows the login form again."""
    context, page, errors = open_page(browser, station.url)
    try:
        log_in(page, "officer1")
        token = page.evaluate("sessionStorage.getItem('ecopatrol.token')")
        with station.api() as client:
            me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
            page.click("#logout")
            page.wait_for_selector("#login:not([hidden])", timeout=WAIT_MS)
            me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401
            assert "revoked" in me.json()["detail"]
        assert page.evaluate("sessionStorage.getItem('ecopatrol.token')") is None
        assert errors == [], errors
    finally:
        context.close()


def test_incident_with_photo_is_assigned_and_resolved_across_pages(browser, station, artifacts):
    """An officer reports an incident with a photo; the pilot's page shows it with local
    (Asia/Shanghai) time; another officer assigns and resolves it and it leaves both maps."""
    pilot_ctx, pilot, pilot_errors = open_page(browser, station.url)
    officer_ctx, officer, officer_errors = open_page(browser, station.url)
    try:
        log_in(pilot, "pilot1")
        log_in(officer, "officer1")
        photo = {"name": "boat.png", "mimeType": "image/png", "buffer": tiny_png()}
        report_incident_at(officer, 880, 700, "pollution_discharge", "黑水排放", photo)
        incident_id = officer.get_attribute("[data-testid=incident-marker]", "data-id")
        marker = f"[data-testid=incident-marker][data-id='{incident_id}']"

        # the pilot's page gets it live, with the photo (fetched with the pilot's token)
        pilot.wait_for_selector(marker, timeout=WAIT_MS)
        pilot.click(marker)
        pilot.wait_for_selector("[data-testid=incident-photo]", timeout=WAIT_MS)
        assert (
            pilot.evaluate("document.querySelector('[data-testid=incident-photo]').naturalWidth")
            == 2
        )
        popup = pilot.inner_text("[data-testid=incident-popup]")
        assert "非法排污" in popup
        assert "黑水排放" in popup
        assert pilot.locator("[data-testid=resolve]").count() == 0  # pilots do not resolve

        # times are shown in Asia/Shanghai (UTC+8)
        with station.api() as client:
            token = station.token("pilot1")
            body = client.get(
                f"/api/incidents/{incident_id}", headers={"Authorization": f"Bearer {token}"}
            ).json()
        local = datetime.fromisoformat(body["created_at"]) + timedelta(hours=8)
        assert local.strftime("%H:%M") in popup

        # the officer assigns it to a colleague, then resolves it
        officer.click(marker)
        officer.select_option("[data-testid=assign-select]", label="officer2")
        officer.click("[data-testid=assign]")
        show_tab(pilot, "incidents")
        pilot.wait_for_selector(
            f"[data-testid=incident-item][data-id='{incident_id}'] >> text=已指派", timeout=WAIT_MS
        )
        officer.screenshot(path=str(artifacts / "live_map_incident.png"))
        officer.click(marker)
        officer.click("[data-testid=resolve]")
        pilot.wait_for_selector(marker, state="detached", timeout=WAIT_MS)
        officer.wait_for_selector(marker, state="detached", timeout=WAIT_MS)
        assert pilot_errors == [], pilot_errors
        assert officer_errors == [], officer_errors
    finally:
        pilot_ctx.close()
        officer_ctx.close()


def test_page_keeps_what_it_shows_while_the_station_restarts(browser, station):
    """When the station goes away the page says so and keeps its markers; when it is back the
    page reconnects by itself and live events flow again."""
    context, page, _ = open_page(browser, station.url)
    try:
        log_in(page, "officer1")
        report_incident_at(page, 880, 700, "theft", "before the restart")
        first = page.get_attribute("[data-testid=incident-marker]", "data-id")

        station.stop_server()
        page.wait_for_selector("#conn[data-state='reconnecting']", timeout=WAIT_MS)
        assert page.locator(f"[data-testid=incident-marker][data-id='{first}']").count() == 1

        station.start_server()
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        token = station.token("officer2")
        with station.api() as client:
            r = client.post(
                "/api/incidents",
                json={"type": "poaching", "lat_deg": 29.05, "lon_deg": 119.19},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 201, r.text
        page.wait_for_selector(
            f"[data-testid=incident-marker][data-id='{r.json()['id']}']", timeout=WAIT_MS
        )
        assert page.locator(f"[data-testid=incident-marker][data-id='{first}']").count() == 1
    finally:
        context.close()


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def write_tiles(folder: Path, west: float, south: float, east: float, north: float) -> int:
    """A z/x/y folder of tiny PNG tiles over a box, zoom 10 to 14; returns how many."""
    png = tiny_png()
    count = 0
    for z in range(10, 15):
        x0, y0 = tile_xy(west, north, z)
        x1, y1 = tile_xy(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                path = folder / str(z) / str(x) / f"{y}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(png)
                count += 1
    return count


def test_local_tiles_are_drawn_under_the_site(browser, tmp_path):
    """With `map_tiles` set, the map draws raster tiles, all from the station itself."""
    assert write_tiles(tmp_path / "tiles", 118.85, 28.90, 119.35, 29.20) > 20
    station = LiveStation(tmp_path / "station", map_tiles=tmp_path / "tiles").start()
    try:
        station.add_user("officer1", "officer")
        context, page, errors = open_page(browser, station.url)
        tiles: list[str] = []
        page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
        try:
            log_in(page, "officer1")
            page.wait_for_selector("img.leaflet-tile-loaded", timeout=WAIT_MS)
            assert tiles
            assert all(url.startswith(f"{station.url}/tiles/") for url in tiles)
            assert errors == [], errors
        finally:
            context.close()
    finally:
        station.stop()
