"""Controls that know the drone's state, in a real browser with a station and two simulated
drones: buttons disabled on a parked drone, a patrol cut short by RTL resumed on the other
drone from the page, pause held by the station and shown as paused on every page, go-to at an
altitude the pilot sets with a target mark, and errors in plain Chinese words."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page, show_tab
from tests.browser.station import LiveStation
from tests.browser.test_live_map_pilot import AREA

pytestmark = pytest.mark.e2e

FLIGHT_BUTTONS = ("rtl", "land", "pause", "continue", "goto")


@pytest.fixture(scope="module")
def station(tmp_path_factory) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path_factory.mktemp("controls") / "station", drones=2, speedup=10.0)
    station.start()
    try:
        station.add_user("pilot1", "pilot")
        yield station
    finally:
        station.stop()


class Pilot:
    """The pilot's API calls in these tests (the page does the rest)."""

    def __init__(self, station: LiveStation) -> None:
        self.station = station
        self.headers = {"Authorization": f"Bearer {station.token('pilot1')}"}
        self.ids: dict[int, int] = {}
        with station.api() as client:
            deadline = time.monotonic() + 60
            while len(self.ids) < 2 and time.monotonic() < deadline:
                page = client.get("/api/vehicles", headers=self.headers).json()
                self.ids = {int(v["sysid"]): int(v["id"]) for v in page["data"]}
                time.sleep(0.2)

    def post(self, path: str, body: Any = None) -> Any:
        with self.station.api() as client:
            r = client.post(path, json=body or {}, headers=self.headers)
            assert r.status_code < 300, r.text
            return r.json()

    def patrol(self, pid: int) -> dict[str, Any]:
        with self.station.api() as client:
            return dict(client.get(f"/api/patrols/{pid}", headers=self.headers).json())

    def until(self, pid: int, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_MS / 1000 * 3
        while time.monotonic() < deadline:
            detail = self.patrol(pid)
            if done(detail):
                return detail
            assert detail["state"] not in ("failed", "aborted"), detail["reason"]
            time.sleep(0.3)
        raise AssertionError(f"patrol {pid} never got there: {self.patrol(pid)['state']}")


def _disabled(page: Any, key: str) -> bool:
    return bool(page.locator(f"[data-testid=cmd-{key}]").is_disabled())


SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.mark.parametrize("size", SIZES)
def test_parked_drone_controls_are_disabled_and_say_why(browser, station, size):
    """A parked, disarmed drone offers no pause, continue, RTL, land or go-to (each button says
    why), and no dispatch until an incident is chosen; the state line says it is on the ground."""
    Pilot(station)
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, "pilot1")
        page.click("[data-testid=vehicle-item][data-sysid='2']")
        page.wait_for_selector("[data-testid=controls-state][data-state=grounded]", timeout=WAIT_MS)
        for key in FLIGHT_BUTTONS:
            assert _disabled(page, key), key
            assert "地面" in page.get_attribute(f"[data-testid=cmd-{key}]", "title")
        assert _disabled(page, "dispatch")
        assert "在地面" in page.inner_text("[data-testid=controls-state]")
        # on the ground: arm and take off make sense; a mode change once a mode is chosen
        assert not _disabled(page, "arm")
        assert not _disabled(page, "takeoff")
        assert _disabled(page, "mode")
        page.select_option("[data-testid=mode-select]", "LOITER")
        assert not _disabled(page, "mode")
        assert errors == [], errors
    finally:
        context.close()


def test_resume_on_another_drone_pause_and_goto_from_the_page(browser, station, artifacts):
    """Drone 1's patrol, cut short by RTL, is resumed on drone 2 from the patrols tab; drone 2
    then pauses (shown as paused, only Continue offered) and flies on; a go-to at 25 m set in
    the page draws its target mark."""
    pilot = Pilot(station)
    plan = pilot.post("/api/plans", {"name": "square", "kind": "coverage", "altitude_m": 30,
                                     "polygon": AREA, "swath_width_m": 60})  # fmt: skip
    created = pilot.post("/api/patrols", {"plan_id": plan["id"], "vehicle_ids": [pilot.ids[1]]})
    pid = int(created["data"][0]["id"])
    pilot.post(f"/api/patrols/{pid}/start")
    pilot.until(pid, lambda d: d["state"] == "flying" and d["last_item_reached"] >= 3)
    pilot.post(f"/api/vehicles/{pilot.ids[1]}/commands/rtl")
    landed = pilot.until(pid, lambda d: d["state"] == "landed")
    last = landed["last_item_reached"]

    context, page, errors = open_page(browser, station.url, DESKTOP)
    try:
        log_in(page, "pilot1")
        show_tab(page, "patrols")
        item = page.locator(f"[data-testid=patrol-item][data-id='{pid}']")
        item.locator("[data-testid=patrol-resume-vehicle]").select_option(str(pilot.ids[2]))
        item.locator("[data-testid=patrol-resume]").click()
        assert f"第 {last + 1} 个航点" in page.inner_text("[data-testid=confirm-dialog]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector("[data-testid=toast-info] >> text=续飞", timeout=WAIT_MS)
        resumed = pilot.until(
            pid, lambda d: d["state"] == "flying" and d["last_item_reached"] > last
        )
        assert resumed["vehicle_id"] == pilot.ids[2]

        # drone 2 on the patrol: RTL, land and pause make sense, continue does not
        show_tab(page, "vehicles")
        page.click("[data-testid=vehicle-item][data-sysid='2']")
        page.wait_for_selector("[data-testid=controls-state][data-state=patrol]", timeout=WAIT_MS)
        assert not any(_disabled(page, k) for k in ("rtl", "land", "pause", "goto"))
        assert _disabled(page, "continue")
        page.click("[data-testid=cmd-pause]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector("[data-testid=controls-state][data-state=paused]", timeout=WAIT_MS)
        assert "已暂停" in page.inner_text("[data-testid=controls-state]")
        assert _disabled(page, "pause")

        # the station holds the pause: a second page, opened after it, shows it too and
        # offers Continue (and continuing there is seen on the first page)
        other, second, second_errors = open_page(browser, station.url, PHONE)
        try:
            log_in(second, "pilot1")
            second.click("[data-testid=vehicle-item][data-sysid='2']")
            paused = "[data-testid=controls-state][data-state=paused]"
            second.wait_for_selector(paused, timeout=WAIT_MS)
            assert "已暂停" in second.inner_text("[data-testid=vehicle-item][data-sysid='2']")
            assert _disabled(second, "pause")
            assert not _disabled(second, "continue")
            show_tab(second, "patrols")  # the patrol it flies says so too
            badge = f"[data-testid=patrol-item][data-id='{pid}'] [data-testid=patrol-paused]"
            second.wait_for_selector(badge, timeout=WAIT_MS)
            assert "已暂停" in second.inner_text(badge)
            show_tab(second, "vehicles")
            second.click("[data-testid=cmd-continue]")
            second.click("[data-testid=confirm-ok]")
            second.wait_for_selector(
                "[data-testid=controls-state][data-state=patrol]", timeout=WAIT_MS
            )
            assert second_errors == [], second_errors
        finally:
            other.close()
        page.wait_for_selector("[data-testid=controls-state][data-state=patrol]", timeout=WAIT_MS)
        assert _disabled(page, "continue")

        # go-to at an altitude the pilot types, with a target mark on the map
        page.fill("[data-testid=goto-alt]", "25")
        page.dispatch_event("[data-testid=goto-alt]", "change")
        page.click("#map", position={"x": 300, "y": 600})
        page.click("[data-testid=goto-here]")
        assert "25 米" in page.inner_text("[data-testid=confirm-dialog]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector("[data-testid=goto-target][data-sysid='2']", timeout=WAIT_MS)
        page.screenshot(path=str(artifacts / "live_map_controls.png"))
        assert errors == [], errors
    finally:
        context.close()


def test_take_off_switch_mode_and_land_from_the_page(browser, station, artifacts):
    """Drone 1, landed after its RTL (in a mode ArduCopter cannot arm in), takes off from the
    page to the altitude typed; then Arm and Take off are disabled and say why, the pilot
    switches it to hover (LOITER) and lands it, and it is back on the ground, disarmed."""
    pilot = Pilot(station)
    context, page, errors = open_page(browser, station.url, DESKTOP)
    try:
        log_in(page, "pilot1")
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        grounded = "[data-testid=controls-state][data-state=grounded]"
        page.wait_for_selector(grounded, timeout=WAIT_MS * 3)
        page.fill("[data-testid=takeoff-alt]", "18")
        page.dispatch_event("[data-testid=takeoff-alt]", "change")
        page.click("[data-testid=cmd-takeoff]")
        assert "18 米" in page.inner_text("[data-testid=confirm-dialog]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector("[data-testid=controls-state][data-state=flying]", timeout=WAIT_MS)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=cmd-takeoff]').dataset.why === 'airborne'",
            timeout=WAIT_MS,
        )
        assert "已解锁" in page.get_attribute("[data-testid=cmd-arm]", "title")
        assert "已在空中" in page.get_attribute("[data-testid=cmd-takeoff]", "title")
        deadline = time.monotonic() + WAIT_MS / 1000
        with station.api() as client:
            path = f"/api/vehicles/{pilot.ids[1]}/live"
            while (live := client.get(path, headers=pilot.headers).json())["alt_rel_m"] < 12:
                assert time.monotonic() < deadline, live  # climbing to the 18 m typed
                time.sleep(0.2)
        assert live["armed"] is True

        page.select_option("[data-testid=mode-select]", "LOITER")
        page.click("[data-testid=cmd-mode]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector("[data-testid=controls-state] >> text=悬停", timeout=WAIT_MS)
        assert _disabled(page, "mode")  # already in LOITER
        page.screenshot(path=str(artifacts / "live_map_takeoff.png"))

        page.click("[data-testid=cmd-land]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector(grounded, timeout=WAIT_MS * 3)
        assert not _disabled(page, "takeoff")
        assert errors == [], errors
    finally:
        context.close()


@pytest.mark.parametrize(
    ("detail", "error", "status", "words"),
    [
        ("Arm: Mode RTL not armable", "CommandRejected", 409, "不能解锁"),
        ("PreArm: Need Alt Estimate", "CommandRejected", 409, "自检"),
        ("no COMMAND_ACK for MAV_CMD_NAV_TAKEOFF", "CommandTimeout", 504, "没有应答"),
        ("preflight failed: battery: 20 % < 31 %", "Conflict", 409, "电量"),
        ("patrol 4 (planned, last item 0) has nothing to resume", "Conflict", 409, "续飞"),
    ],
)
def test_errors_read_in_plain_chinese(browser, station, detail, error, status, words):
    """The station's refusals (the autopilot's own text among them) read in plain Chinese,
    with no Latin word of the raw text."""
    context, page, _ = open_page(browser, station.url, DESKTOP)
    try:
        log_in(page, "pilot1")
        body = {"detail": detail, "error": error}
        if detail.startswith("preflight"):
            checks = [{"name": "battery", "ok": False}, {"name": "gps", "ok": True}]
            body["fields"] = {"checks": checks}
        text = page.evaluate(
            """async ([status, body]) => {
                const m = await import('/static/app/js/errors.js');
                return m.explainError({status, detail: body.detail, body});
            }""",
            [status, body],
        )
        assert words in text, text
        assert not any(c.isascii() and c.isalpha() for c in text), text
    finally:
        context.close()
