"""The pilot's instruments and state-aware controls in a real browser, at desktop and phone size,
with a station and two simulated drones: waypoint x of N and ETA while a patrol flies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page
from tests.browser.station import LiveStation

pytestmark = pytest.mark.e2e

#: A ~250 m square beside the Longyou station (119.1818, 29.0525).
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[119.1790, 29.0530], [119.1815, 29.0530], [119.1815, 29.0552], [119.1790, 29.0552],
         [119.1790, 29.0530]]
    ],
}  # fmt: skip
#: Each size flies its own drone (an aborted patrol's drone is still on its way home).
SIZES = [pytest.param(DESKTOP, 1, id="desktop"), pytest.param(PHONE, 2, id="phone")]


@pytest.fixture(scope="module")
def station(tmp_path_factory) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path_factory.mktemp("pilot") / "station", drones=2, speedup=5.0)
    station.start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


def _auth(station: LiveStation) -> dict[str, str]:
    return {"Authorization": f"Bearer {station.token('pilot1')}"}


def _vehicles(station: LiveStation) -> dict[int, int]:
    """sysid -> vehicle id of the registered drones."""
    with station.api() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page = client.get("/api/vehicles", headers=_auth(station)).json()
            if page["count"] >= 2:
                return {int(v["sysid"]): int(v["id"]) for v in page["data"]}
            time.sleep(0.2)
    raise AssertionError("the simulated drones never registered")


def _fly_patrol(station: LiveStation, vehicle_id: int) -> dict[str, Any]:
    """Plan the square and start a patrol of it on `vehicle_id` (as the API's pilot)."""
    with station.api() as client:
        body = {"name": "square", "kind": "coverage", "altitude_m": 30, "polygon": AREA,
                "swath_width_m": 60}  # fmt: skip
        r = client.post("/api/plans", json=body, headers=_auth(station))
        assert r.status_code == 201, r.text
        plan = r.json()
        body = {"plan_id": plan["id"], "sortie": 1, "vehicle_ids": [vehicle_id]}
        r = client.post("/api/patrols", json=body, headers=_auth(station))
        assert r.status_code in (200, 201), r.text
        patrol = r.json()["data"][0]
        r = client.post(f"/api/patrols/{patrol['id']}/start", json={}, headers=_auth(station))
        assert r.status_code == 202, r.text
        return dict(patrol)


def _select(page: Any, sysid: int) -> None:
    page.wait_for_selector(f"[data-testid=vehicle-item][data-sysid='{sysid}']", timeout=WAIT_MS)
    page.click(f"[data-testid=vehicle-item][data-sysid='{sysid}']")


@pytest.mark.parametrize(("size", "sysid"), SIZES)
def test_instruments_show_progress_and_eta_while_a_patrol_flies(
    browser, station, artifacts, size, sysid
):
    """While a drone flies its patrol the page shows waypoint x of N with % done, the ETA to
    the end and to home, flight time, GPS satellites and the mode in Chinese, its home and the
    patrol's geofence."""
    vehicles = _vehicles(station)
    patrol = _fly_patrol(station, vehicles[sysid])
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, "pilot1")
        _select(page, sysid)
        progress = page.locator("[data-testid=inst-progress]")
        progress.wait_for(timeout=WAIT_MS)
        page.wait_for_selector("[data-testid=inst-eta_end]", timeout=WAIT_MS)
        text = progress.inner_text()
        assert "个航点" in text, text
        assert "已完成" in text, text
        seq, total = text.split("第 ")[1].split(" 个航点")[0].split("/")
        assert 1 <= int(seq) <= int(total)
        # a time (1分13秒) once the drone has flown a leg; a distance alone before that
        page.wait_for_function(
            "() => /[分秒]/.test(document.querySelector('[data-testid=inst-eta_end]')"
            "?.textContent)",
            timeout=WAIT_MS,
        )
        assert "颗卫星" in page.inner_text("[data-testid=inst-gps]")
        page.wait_for_selector("[data-testid=inst-flight_time]", timeout=WAIT_MS)
        assert page.inner_text("[data-testid=inst-mode]") in {"自动航线", "指点飞行", "返航"}
        assert "AUTO" not in page.inner_text("[data-testid=vehicle-list]")
        assert page.locator(f"[data-testid=home-marker][data-sysid='{sysid}']").count() == 1
        # the patrol's geofence, drawn as a fence (a dashed red boundary)
        page.wait_for_selector("path.geofence-line", state="attached", timeout=WAIT_MS)
        page.screenshot(path=str(artifacts / f"live_map_instruments_{size['width']}.png"))
        assert errors == [], errors
    finally:
        context.close()
        with station.api() as client:
            client.post(f"/api/patrols/{patrol['id']}/abort", json={}, headers=_auth(station))
