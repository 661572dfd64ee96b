"""The live map in a real browser with a real station and three simulated drones flying.

A pilot and an officer each have a page open: the pilot starts patrols from the page and sees
three drones move; the officer reports an incident that appears on the pilot's page; the
officer's page has no drone controls and the station refuses an officer's command.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import (
    WAIT_MS,
    api_status,
    log_in,
    open_page,
    report_incident_at,
    show_tab,
    vehicle_positions,
    wait_all_moved,
)
from tests.browser.station import ADMIN, LiveStation

pytestmark = pytest.mark.e2e

STARTED_OR_ERROR = """n => document.querySelector("[data-testid=toast-error]") ||
    document.querySelectorAll("[data-testid=patrol-item]:not([data-state=planned])").length >= n"""


def square(lon: float, lat: float, size_deg: float = 0.003) -> dict[str, object]:
    ring = [
        [lon, lat],
        [lon + size_deg, lat],
        [lon + size_deg, lat + size_deg * 0.9],
        [lon, lat + size_deg * 0.9],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


#: Three ~300 m squares beside the Longyou station (119.1818, 29.0525), one per drone.
AREAS = [square(119.1760, 29.0530), square(119.1802, 29.0485), square(119.1856, 29.0490)]


@pytest.fixture
def fleet_station(tmp_path) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path / "station", drones=3, speedup=10.0).start()
    try:
        station.add_user("pilot1", "pilot")
        station.add_user("officer1", "officer")
        yield station
    finally:
        station.stop()


def _registered_vehicles(station: LiveStation, token: str) -> list[dict[str, Any]]:
    with station.api() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page = client.get("/api/vehicles", headers={"Authorization": f"Bearer {token}"}).json()
            if page["count"] >= 3:
                return list(page["data"])
            time.sleep(0.2)
    raise AssertionError("the three simulated drones never registered")


def _plans(station: LiveStation, token: str) -> list[int]:
    ids = []
    with station.api() as client:
        for n, area in enumerate(AREAS, start=1):
            body = {"name": f"square {n}", "kind": "coverage", "altitude_m": 30 + 5 * n,
                    "polygon": area, "swath_width_m": 70}  # fmt: skip
            r = client.post("/api/plans", json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 201, r.text
            ids.append(int(r.json()["id"]))
    return ids


def test_pilot_flies_three_drones_and_sees_the_officers_incident(browser, fleet_station, artifacts):
    """Pilot starts three patrols and sees the drones move; the officer's incident reaches the
    pilot's page; the officer has no drone controls and is refused a command by the station."""
    station = fleet_station
    pilot_token = station.token("pilot1")
    vehicles = {int(v["sysid"]): int(v["id"]) for v in _registered_vehicles(station, pilot_token)}
    plan_ids = _plans(station, pilot_token)

    pilot_ctx, pilot, pilot_errors = open_page(browser, station.url)
    officer_ctx, officer, officer_errors = open_page(browser, station.url)
    try:
        log_in(pilot, "pilot1")
        pilot.wait_for_function(
            "document.querySelectorAll('[data-testid=vehicle-marker]').length === 3",
            timeout=WAIT_MS,
        )
        before = vehicle_positions(pilot)
        assert set(before) == {"1", "2", "3"}

        # the pilot starts one patrol per drone from the patrols tab
        show_tab(pilot, "patrols")
        for n, (sysid, plan_id) in enumerate(zip((1, 2, 3), plan_ids, strict=True), start=1):
            pilot.select_option("[data-testid=patrol-plan]", str(plan_id))
            pilot.select_option("[data-testid=patrol-sortie]", "1")
            pilot.select_option("[data-testid=patrol-vehicle]", str(vehicles[sysid]))
            pilot.click("[data-testid=patrol-start]")
            pilot.wait_for_function(STARTED_OR_ERROR, arg=n, timeout=WAIT_MS)
            errors = pilot.locator("[data-testid=toast-error]")
            assert errors.count() == 0, errors.all_inner_texts()

        # every marker moves: two reads of the page give different positions
        wait_all_moved(pilot, before)
        after = vehicle_positions(pilot)
        assert all(after[s] != before[s] for s in before)
        # a picture of the three drones on their patrols (README: docs/img/live_map.png)
        show_tab(pilot, "vehicles")
        pilot.click("[data-testid=vehicle-item][data-sysid='2']")
        pilot.wait_for_timeout(4000)  # for the picture only: let the tracks grow
        pilot.screenshot(path=str(artifacts / "live_map_flying.png"))

        # the officer logs in on a second page: no drone controls, even with a drone selected
        log_in(officer, "officer1")
        officer.click("[data-testid=vehicle-item][data-sysid='1']")
        assert officer.locator("[data-testid=vehicle-controls]").count() == 0
        assert officer.locator("[data-testid^=cmd-]").count() == 0
        show_tab(officer, "patrols")
        assert officer.locator("[data-testid=patrol-start-form]").count() == 0
        # ... and the station itself refuses the officer's command
        rtl = f"/api/vehicles/{vehicles[1]}/commands/rtl"
        assert api_status(officer, "POST", rtl) == 403

        # the officer reports an incident on the map; it appears on the pilot's page
        # (at drone 1's position, which the officer selected)
        report_incident_at(
            officer, 880, 700, "illegal_fishing", "电鱼 near the weir", use_vehicle=True
        )
        created = officer.get_attribute("[data-testid=incident-marker]", "data-id")
        with station.api() as client:
            incident = client.get(
                f"/api/incidents/{created}", headers={"Authorization": f"Bearer {pilot_token}"}
            ).json()
        assert incident["vehicle_id"] == vehicles[1]
        drone1 = station.sim.vehicles[1].state
        assert abs(incident["lat_deg"] - drone1.lat_deg) < 0.01
        assert abs(incident["lon_deg"] - drone1.lon_deg) < 0.01
        pilot.wait_for_selector(
            f"[data-testid=incident-marker][data-id='{created}']", timeout=WAIT_MS
        )
        show_tab(pilot, "incidents")
        assert "电鱼 near the weir" in pilot.inner_text("[data-testid=incident-list]")

        # the pilot's own command from the page reaches the drone (RTL of drone 3)
        show_tab(pilot, "vehicles")
        pilot.click("[data-testid=vehicle-item][data-sysid='3']")
        pilot.click("[data-testid=cmd-rtl]")
        pilot.click("[data-testid=confirm-ok]")
        pilot.wait_for_selector("[data-testid=toast-info] >> text=返航", timeout=WAIT_MS)
        # the patrol reports the RTL: a banner in the page's language
        pilot.wait_for_selector("#alert-banner:not([hidden]) >> text=返航", timeout=WAIT_MS)

        # go to a clicked point, after a confirmation
        pilot.click("#map", position={"x": 300, "y": 650})
        pilot.click("[data-testid=goto-here]")
        assert "drone-3" in pilot.inner_text("[data-testid=confirm-dialog]")
        pilot.click("[data-testid=confirm-ok]")
        pilot.wait_for_selector("[data-testid=toast-info] >> text=飞往地图点", timeout=WAIT_MS)

        # abort drone 3's patrol from the patrols tab, then dispatch it to the officer's incident
        show_tab(pilot, "patrols")
        patrol3 = pilot.locator("[data-testid=patrol-item]", has_text="drone-3")
        patrol3.locator("[data-testid=patrol-abort]").click()
        pilot.click("[data-testid=confirm-ok]")
        patrol3.wait_for(state="detached", timeout=WAIT_MS)
        show_tab(pilot, "incidents")
        pilot.click(f"[data-testid=incident-item][data-id='{created}']")
        pilot.click("[data-testid=popup-dispatch]")
        assert f"#{created}" in pilot.inner_text("[data-testid=confirm-dialog]")
        pilot.click("[data-testid=confirm-ok]")
        pilot.wait_for_selector("[data-testid=toast-info] >> text=派往事件", timeout=WAIT_MS)

        admin = station.token(*ADMIN)
        with station.api() as client:
            audit = client.get("/api/audit", headers={"Authorization": f"Bearer {admin}"}).json()
        sent = {(e["username"], e["command"], e["result"]) for e in audit["data"]}
        assert ("pilot1", "rtl", "accepted") in sent
        assert ("pilot1", "goto", "accepted") in sent
        assert ("pilot1", "dispatch", "accepted") in sent

        # a drone whose link is cut is greyed with its age, and the page raises an alert
        station.cut_link(1, 200.0)
        lost = "[data-testid=vehicle-marker][data-sysid='1'][data-link=lost]"
        pilot.wait_for_selector(lost, timeout=WAIT_MS)
        pilot.wait_for_selector("#alert-banner:not([hidden]) >> text=链路丢失", timeout=WAIT_MS)
        assert "失联" in pilot.inner_text("[data-testid=vehicle-marker][data-sysid='1']")

        shot = artifacts / "live_map_pilot.png"
        pilot.screenshot(path=str(shot))
        officer.screenshot(path=str(artifacts / "live_map_officer.png"))
        assert pilot_errors == [], pilot_errors
        assert officer_errors == [], officer_errors
    finally:
        pilot_ctx.close()
        officer_ctx.close()
