"""No English in the Chinese page: a pilot's page with a drone on patrol, an incident, alerts
and every tab opened is walked for Latin words (visible text and the titles and labels a
screen reader reads) outside an allow-list: units, drone names, the language switch itself
and what the users typed. At desktop and phone size."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, log_in, open_page, show_tab
from tests.browser.station import ADMIN, PASSWORD, LiveStation
from tests.browser.test_live_map_pilot import AREA

pytestmark = pytest.mark.e2e

#: Latin words the Chinese page may show: units, drone names, the switch to English, the map
#: library's credit, and what users typed here (the plan's name).
ALLOWED = re.compile(
    r"^(m|km|km²|m/s|V|s|h|min|drone-\d+|English|Leaflet|H|square)$", re.IGNORECASE
)
#: The reasons of a starting or flying patrol, as the Chinese page words them (./reasons.js).
CHINESE_REASON = re.compile(r"正在上传 \d+ 个航点|解锁并起飞至 \d+ 米|开始执行航线|航线已完成")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9²/_-]*")

#: Visible text nodes, and the title / aria-label / placeholder of visible elements.
WALK = """() => {
    const out = [];
    const visible = (el) => el && el.getClientRects().length > 0
        && getComputedStyle(el).visibility !== 'hidden';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent.trim();
        if (!text || !visible(n.parentElement)) continue;
        if (n.parentElement.closest('script, style, noscript')) continue;
        out.push(text);
    }
    for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
        if (!visible(el)) continue;
        for (const a of ['title', 'aria-label', 'placeholder']) {
            if (el.getAttribute(a)) out.push(el.getAttribute(a));
        }
    }
    return out;
}"""


@pytest.fixture(scope="module")
def station(tmp_path_factory) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path_factory.mktemp("lang") / "station", drones=1, speedup=10.0)
    station.start()
    try:
        admin = {"Authorization": f"Bearer {station.token(*ADMIN)}"}
        with station.api() as client:
            body: dict[str, object] = {"username": "wangfei", "password": PASSWORD,
                                       "role": "pilot", "full_name": "王飞"}  # fmt: skip
            client.post("/api/users", json=body, headers=admin).raise_for_status()
            pilot = {"Authorization": f"Bearer {station.token('wangfei')}"}
            deadline = time.monotonic() + 60
            while client.get("/api/vehicles", headers=pilot).json()["count"] < 1:
                assert time.monotonic() < deadline, "the drone never registered"
                time.sleep(0.2)
            vehicle = client.get("/api/vehicles", headers=pilot).json()["data"][0]["id"]
            body = {"name": "square", "kind": "coverage", "altitude_m": 30, "polygon": AREA,
                    "swath_width_m": 60}  # fmt: skip
            plan = client.post("/api/plans", json=body, headers=pilot).json()["id"]
            body = {"plan_id": plan, "sortie": 1, "vehicle_ids": [vehicle]}
            patrol = client.post("/api/patrols", json=body, headers=pilot).json()["data"][0]["id"]
            client.post(f"/api/patrols/{patrol}/start", json={}, headers=pilot).raise_for_status()
            body = {"type": "pollution_discharge", "lat_deg": 29.054, "lon_deg": 119.180,
                    "description": "排污口冒黄水，两处"}  # fmt: skip
            client.post("/api/incidents", json=body, headers=pilot).raise_for_status()
        yield station
    finally:
        station.stop()


def _latin_words(texts: list[str]) -> list[tuple[str, str]]:
    return [
        (word, text)
        for text in texts
        for word in LATIN_WORD.findall(text)
        if not ALLOWED.match(word)
    ]


@pytest.mark.parametrize(
    "size", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_no_english_in_the_chinese_page(browser, station, artifacts, size):
    """Every tab of the Chinese page, with a drone on patrol selected, shows no Latin word
    outside the allow-list."""
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, "wangfei")
        page.click("[data-testid=vehicle-item][data-sysid='1']")
        page.wait_for_selector("[data-testid=inst-progress]", timeout=WAIT_MS)
        found: list[tuple[str, str]] = []
        # the patrol's reason, sent as a code, reads in Chinese (not hidden, not English)
        show_tab(page, "patrols")
        reason = page.locator("[data-testid=patrol-item] .muted").first
        reason.filter(has_text=CHINESE_REASON).wait_for(timeout=WAIT_MS)
        for tab in ("vehicles", "patrols", "schedules", "incidents", "alerts"):
            show_tab(page, tab)
            page.wait_for_timeout(300)
            found += _latin_words(page.evaluate(WALK))
        show_tab(page, "incidents")
        page.click("[data-testid=incident-item]")
        page.wait_for_selector("[data-testid=incident-popup]", timeout=WAIT_MS)
        found += _latin_words(page.evaluate(WALK))
        page.screenshot(path=str(artifacts / f"live_map_zh_{size['width']}.png"))
        assert sorted(set(found)) == [], sorted(set(found))
        assert errors == [], errors
    finally:
        context.close()


#: What users typed that the admin views show: the usernames of the station's accounts.
USERNAMES = {ADMIN[0], "wangfei"}


@pytest.mark.parametrize(
    "size", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_no_english_in_the_chinese_admin_views(browser, station, artifacts, size):
    """The admin's user list, audit log (with the station's own entries: links, commands,
    patrols) and the schedule form show no Latin word but the allow-list and usernames."""
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, *ADMIN)
        found: list[tuple[str, str]] = []
        page.click("[data-testid=admin-tab]")
        page.wait_for_selector("[data-testid=user-item]", timeout=WAIT_MS)
        found += _latin_words(page.evaluate(WALK))
        page.click("[data-testid=admin-show-audit]")
        page.wait_for_selector("[data-testid=audit-item]", timeout=WAIT_MS)
        found += _latin_words(page.evaluate(WALK))
        page.screenshot(path=str(artifacts / f"admin_audit_zh_{size['width']}.png"))
        if page.is_enabled("[data-testid=audit-next]"):  # the older entries too
            page.click("[data-testid=audit-next]")
            page.wait_for_selector("[data-testid=audit-page]:has-text('第 2/')", timeout=WAIT_MS)
            found += _latin_words(page.evaluate(WALK))
        show_tab(page, "schedules")
        page.click("[data-testid=schedule-new]")
        page.wait_for_selector("[data-testid=schedule-form]", timeout=WAIT_MS)
        found += _latin_words(page.evaluate(WALK))
        page.check("[data-testid=schedule-rule-cron]")
        found += _latin_words(page.evaluate(WALK))
        found = [(word, text) for word, text in found if word not in USERNAMES]
        assert sorted(set(found)) == [], sorted(set(found))
        assert errors == [], errors
    finally:
        context.close()
