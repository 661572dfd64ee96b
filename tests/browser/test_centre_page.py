"""The live map page served by a command centre, in chromium: two stations' drones and
incidents, each labelled with its station; the station filter; a station-scoped officer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.centre import LiveCentre
from tests.browser.pages import PHONE, WAIT_MS, log_in, open_page
from tests.integration.db.conftest import (
    PgCluster,
    pg_cluster,  # noqa: F401  # the shared cluster fixture
)

pytestmark = pytest.mark.e2e

#: river-a's drones upstream, river-b's downstream, both numbered from 1
DRONES = {
    "river-a": [(1, 29.050, 119.150), (2, 29.052, 119.155)],
    "river-b": [(1, 29.060, 119.250)],
}


def frame(sysid: int, lat: float, lon: float) -> dict[str, Any]:
    return {
        "sysid": sysid, "vehicle_id": sysid, "name": f"drone-{sysid}", "lat_deg": lat,
        "lon_deg": lon, "armed": False, "battery_pct": 80.0, "mode": "LOITER",
        "link": {"status": "ok", "last_heard_s": 0.2},
    }  # fmt: skip


def incident(incident_id: int, lat: float, lon: float, text: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "id": incident_id, "type": "pollution_discharge", "status": "open", "lat_deg": lat,
        "lon_deg": lon, "description": text, "reported_by": 2, "assigned_to": None,
        "patrol_id": None, "vehicle_id": None, "created_at": now, "updated_at": now,
        "resolved_at": None, "attachments": [],
    }  # fmt: skip


@pytest.fixture
def centre(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[LiveCentre]:  # noqa: F811
    live = LiveCentre(pg_cluster.create_database(), tmp_path / "centre").start()
    try:
        live.add_user("chief", None)
        live.add_user("officer-a", "river-a")
        for station, drones in DRONES.items():
            for sysid, lat, lon in drones:
                live.emit(station, "vehicle.frame", frame(sysid, lat, lon))
        live.emit("river-a", "incident.created", incident(1, 29.051, 119.151, "oil"))
        live.emit("river-b", "incident.created", incident(1, 29.061, 119.251, "nets"))
        yield live
    finally:
        live.stop()


def labels(page: Any) -> list[str]:
    return sorted(
        page.eval_on_selector_all(
            "[data-testid=vehicle-marker] .veh-label", "els => els.map(e => e.textContent)"
        )
    )


def names(page: Any) -> list[str]:
    return sorted(label.split(" · 80%")[0] for label in labels(page))


def wait_markers(page: Any, n: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=vehicle-marker]').length === n",
        arg=n,
        timeout=WAIT_MS,
    )


def test_centre_page_shows_both_stations_and_filters(
    browser, centre: LiveCentre, artifacts: Path
) -> None:
    """The centre's chief sees every station's drones and incidents, labelled with their
    station; choosing a station in the filter shows only its drones, and what that station
    sends next arrives live while the other's does not; no flying controls or schedules."""
    context, page, errors = open_page(browser, centre.url)
    try:
        log_in(page, "chief")
        wait_markers(page, 3)
        assert names(page) == ["river-a · drone-1", "river-a · drone-2", "river-b · drone-1"]
        assert page.locator("[data-testid=incident-marker]").count() == 2
        # the base maps are the centre's own (none configured here: the empty one, chosen)
        page.wait_for_selector("#map[data-basemap]", state="attached", timeout=WAIT_MS)
        options = page.eval_on_selector_all(
            "[data-testid=station-filter] option", "els => els.map(e => e.value)"
        )
        assert options == ["", "river-a", "river-b"]
        assert page.locator("[data-tab=schedules]").is_hidden()
        page.click("[data-tab=incidents]")
        items = page.eval_on_selector_all(
            "[data-testid=incident-item] strong", "els => els.map(e => e.textContent)"
        )
        assert sorted(t.split(" ")[0] for t in items) == ["river-a", "river-b"]

        page.select_option("[data-testid=station-filter]", "river-b")
        page.wait_for_url("**/?station=river-b", timeout=WAIT_MS)
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        wait_markers(page, 1)
        assert names(page) == ["river-b · drone-1"]
        assert page.locator("[data-testid=incident-marker]").count() == 1
        assert page.eval_on_selector("[data-testid=station-filter]", "e => e.value") == "river-b"

        centre.emit("river-a", "vehicle.frame", frame(3, 29.054, 119.160))
        centre.emit("river-b", "vehicle.frame", frame(2, 29.062, 119.255))
        wait_markers(page, 2)
        assert names(page) == ["river-b · drone-1", "river-b · drone-2"]

        page.select_option("[data-testid=station-filter]", "")
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        wait_markers(page, 5)
        # the centre watches; the stations fly: no drone controls
        assert page.locator("[data-testid^=cmd-], [data-testid=controls-hint]").count() == 0
        page.screenshot(path=str(artifacts / "centre_page.png"))
        assert errors == []
    finally:
        context.close()


def test_an_officer_of_one_station_sees_only_it(
    browser, centre: LiveCentre, artifacts: Path
) -> None:
    """An officer scoped to river-a sees river-a's drones and incidents only (on a phone), even
    as river-b's drones move, and has no station filter to choose from."""
    context, page, errors = open_page(browser, centre.url, PHONE)
    try:
        log_in(page, "officer-a")
        wait_markers(page, 2)
        assert names(page) == ["river-a · drone-1", "river-a · drone-2"]
        centre.emit("river-b", "vehicle.frame", frame(1, 29.0605, 119.2505))
        centre.emit("river-a", "incident.created", incident(2, 29.053, 119.152, "dead fish"))
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=incident-marker]').length === 2",
            timeout=WAIT_MS,
        )
        assert names(page) == ["river-a · drone-1", "river-a · drone-2"]
        assert page.locator("[data-testid=station-filter]").is_hidden()
        page.screenshot(path=str(artifacts / "centre_page_phone.png"))
        assert errors == []
    finally:
        context.close()
