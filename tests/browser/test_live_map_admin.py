"""The admin views of the live map in a real browser against a real station, at desktop and
phone size: an admin adds a user who can then sign in, disables one who then cannot, resets a
password, exports the audit log as CSV and reads it back, creates and edits a schedule and
sees its next run change; an officer gets none of it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, api_status, log_in, open_page, show_tab
from tests.browser.station import ADMIN, PASSWORD, LiveStation
from tests.integration.reports.patrol_data import store_patrol

pytestmark = pytest.mark.e2e

SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture(scope="module")
def station(tmp_path_factory) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path_factory.mktemp("admin") / "station").start()
    try:
        station.add_user("officer1", "officer")
        store_patrol(station.settings().db)  # a plan to schedule
        yield station
    finally:
        station.stop()


def _get(station: LiveStation, path: str) -> Any:
    with station.api() as client:
        r = client.get(path, headers={"Authorization": f"Bearer {station.token(*ADMIN)}"})
        r.raise_for_status()
        return r.json()


def _sign_in(browser: Any, station: LiveStation, username: str, password: str) -> str:
    """Where the login form takes `username` (a fresh page at desktop size): "map", "change"
    (signed in, but must first choose their own password) or "refused"."""
    context, page, _ = open_page(browser, station.url, DESKTOP)
    try:
        page.fill("#login-username", username)
        page.fill("#login-password", password)
        page.click("#login-submit")
        page.wait_for_selector(
            "body[data-ready='1'], #login-error:not([hidden]), [data-testid=password-forced]",
            timeout=WAIT_MS,
        )
        if page.evaluate("document.body.dataset.ready === '1'"):
            return "map"
        return "change" if page.is_visible("[data-testid=password-forced]") else "refused"
    finally:
        context.close()


def _open_admin(page: Any, view: str) -> None:
    page.click("[data-testid=admin-tab]")
    page.click(f"[data-testid=admin-show-{view}]")


def _user_item(username: str) -> str:
    return f"[data-testid=user-item][data-username='{username}']"


@pytest.mark.parametrize("size", SIZES)
def test_admin_adds_resets_and_disables_a_user(browser, station, artifacts, size):
    """A user added from the page with a generated password signs in to the form that makes
    them choose their own; after a reset only the one-time password shown works, again only
    to choose a new one; once disabled they cannot sign in; the last admin cannot demote
    themselves and is told so in Chinese."""
    name = f"zhang{size['width']}"
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, ADMIN[0], ADMIN[1])
        _open_admin(page, "users")
        page.click("[data-testid=user-add]")
        page.fill("[data-testid=user-form] input[name=username]", name)
        page.fill("[data-testid=user-form] input[name=full_name]", "张磊")
        page.select_option("[data-testid=user-form] [data-testid=user-role-select]", "pilot")
        page.click("[data-testid=user-generate]")
        first = page.input_value("[data-testid=user-form] input[name=password]")
        assert page.is_checked("[data-testid=user-form] [data-testid=user-must-change-box]")
        page.screenshot(path=str(artifacts / f"admin_user_form_{size['width']}.png"))
        page.click("[data-testid=user-form] [data-testid=form-save]")
        page.wait_for_selector(f"{_user_item(name)}[data-role=pilot]", timeout=WAIT_MS)
        assert page.is_visible(f"{_user_item(name)} [data-testid=user-must-change]")
        assert _sign_in(browser, station, name, first) == "change"

        page.click(f"{_user_item(name)} [data-testid=user-reset]")
        page.click("[data-testid=reset-form] [data-testid=form-save]")
        shown = page.wait_for_selector("[data-testid=generated-password]", timeout=WAIT_MS)
        one_time = shown.inner_text().strip()
        page.click("[data-testid=reset-form] [data-testid=form-save]")  # closes
        assert _sign_in(browser, station, name, first) == "refused"
        assert _sign_in(browser, station, name, one_time) == "change"

        page.click(f"{_user_item(name)} [data-testid=user-toggle]")
        page.click("[data-testid=confirm-ok]")
        page.wait_for_selector(f"{_user_item(name)}[data-active=false]", timeout=WAIT_MS)
        assert _sign_in(browser, station, name, one_time) == "refused"
        page.click(f"{_user_item(name)} [data-testid=user-toggle]")
        page.wait_for_selector(f"{_user_item(name)}[data-active=true]", timeout=WAIT_MS)
        assert _sign_in(browser, station, name, one_time) == "change"

        page.click(f"{_user_item(ADMIN[0])} [data-testid=user-role]")
        page.select_option("[data-testid=role-form] [data-testid=user-role-select]", "pilot")
        page.click("[data-testid=role-form] [data-testid=form-save]")
        error = page.wait_for_selector("[data-testid=role-form] [data-testid=form-error]")
        assert "最后一个管理员" in error.inner_text()
        page.screenshot(path=str(artifacts / f"admin_users_{size['width']}.png"))
        page.keyboard.press("Escape")
        assert page.get_attribute(_user_item(ADMIN[0]), "data-role") == "admin"
        assert errors == [], errors
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_admin_filters_and_exports_the_audit_log(browser, station, artifacts, size):
    """Filtered by action the page lists only user creations; the CSV export of the same
    filter is UTF-8 with a BOM and holds those rows, with local times and chained hashes."""
    with station.api() as client:
        body = {"username": f"audit{size['width']}", "password": PASSWORD, "role": "officer",
                "full_name": "李娜"}  # fmt: skip
        headers = {"Authorization": f"Bearer {station.token(*ADMIN)}"}
        client.post("/api/users", json=body, headers=headers).raise_for_status()
    expected = _get(station, "/api/audit?action=user.create&limit=1000")
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, ADMIN[0], ADMIN[1])
        _open_admin(page, "audit")
        page.wait_for_selector("[data-testid=audit-item]", timeout=WAIT_MS)
        page.select_option("[data-testid=audit-action]", "user.create")
        page.click("[data-testid=audit-search]")
        page.wait_for_function(
            """n => {
                const items = [...document.querySelectorAll('[data-testid=audit-item]')];
                return items.length === n && items.every(i => i.dataset.command === 'user.create');
            }""",
            arg=min(expected["count"], 25),
            timeout=WAIT_MS,
        )
        assert "添加用户" in page.inner_text("[data-testid=audit-list]")
        utc = page.evaluate(
            "async () => (await import('/static/app/js/time.js')).zonedToUtc('2026-12-06T08:00')"
        )
        assert utc == "2026-12-06T00:00:00.000Z"  # the station's wall clock, Asia/Shanghai
        page.fill("[data-testid=audit-since]", "2099-01-01T00:00")
        page.click("[data-testid=audit-search]")
        page.wait_for_selector("[data-testid=audit-page]:has-text('共 0 条')", timeout=WAIT_MS)
        page.fill("[data-testid=audit-since]", "")
        page.click("[data-testid=audit-search]")
        page.wait_for_selector("[data-testid=audit-item]", timeout=WAIT_MS)
        page.screenshot(path=str(artifacts / f"admin_audit_{size['width']}.png"))
        with page.expect_download(timeout=WAIT_MS) as info:
            page.click("[data-testid=audit-export]")
        raw = Path(info.value.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        assert sorted(int(r["id"]) for r in rows) == sorted(e["id"] for e in expected["data"])
        assert {r["command"] for r in rows} == {"user.create"}
        assert all(r["time"].endswith("+08:00") and len(r["row_hash"]) == 64 for r in rows)
        assert errors == [], errors
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_admin_creates_and_edits_a_schedule(browser, station, artifacts, size):
    """A schedule made on the page runs at its time; changed to a cron rule its next run
    moves; a bad rule is explained in Chinese and changes nothing."""
    name = f"晨巡{size['width']}"
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, ADMIN[0], ADMIN[1])
        show_tab(page, "schedules")
        page.click("[data-testid=schedule-new]")
        page.fill("[data-testid=schedule-name]", name)
        page.fill("[data-testid=schedule-times]", "06:30")
        page.screenshot(path=str(artifacts / f"admin_schedule_form_{size['width']}.png"))
        page.click("[data-testid=schedule-save]")
        item = f"[data-testid=schedule-item]:has-text('{name}')"
        page.wait_for_selector(f"{item} [data-testid=schedule-next]:has-text('06:30:00')",
                               timeout=WAIT_MS)  # fmt: skip
        created = next(s for s in _get(station, "/api/schedules") if s["name"] == name)
        assert created["times"] == ["06:30"]

        page.click(f"{item} [data-testid=schedule-edit]")
        page.check("[data-testid=schedule-rule-cron]")
        page.fill("[data-testid=schedule-cron]", "15 21 * * 25")
        page.click("[data-testid=schedule-save]")
        error = page.wait_for_selector("[data-testid=schedule-error]:visible", timeout=WAIT_MS)
        assert "高级规则无效" in error.inner_text()
        unchanged = _get(station, f"/api/schedules/{created['id']}")
        assert unchanged["times"] == ["06:30"]
        assert unchanged["next_run_at"] == created["next_run_at"]
        page.fill("[data-testid=schedule-cron]", "15 21 * * 1-5")
        page.click("[data-testid=schedule-save]")
        page.wait_for_selector(f"{item} [data-testid=schedule-next]:has-text('21:15:00')",
                               timeout=WAIT_MS)  # fmt: skip
        edited = _get(station, f"/api/schedules/{created['id']}")
        assert (edited["cron"], edited["times"]) == ("15 21 * * 1-5", [])
        assert edited["next_run_at"] != created["next_run_at"]
        page.screenshot(path=str(artifacts / f"admin_schedules_{size['width']}.png"))
        assert errors == [], errors
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_officer_sees_no_admin_entry(browser, station, size):
    """An officer's page has no admin tab and no schedule buttons, and the station refuses
    the admin calls to the officer's token."""
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, "officer1")
        show_tab(page, "schedules")
        assert page.locator("[data-testid=admin-tab]").count() == 0
        assert page.locator("[data-tab-body=admin]").count() == 0
        assert page.locator("[data-testid=schedule-new]").count() == 0
        assert page.locator("[data-testid=schedule-edit]").count() == 0
        body = {"username": "sneaky", "password": PASSWORD, "role": "admin"}
        assert api_status(page, "POST", "/api/users", body) == 403
        assert api_status(page, "GET", "/api/audit/export.csv") == 403
        assert api_status(page, "POST", "/api/users/1/password", {}) == 403
        assert errors == [], errors
    finally:
        context.close()


def test_tap_targets_of_the_admin_views_on_a_phone(browser, station):
    """On a phone every button, field and choice of the admin views is at least 44 px high."""
    context, page, _ = open_page(browser, station.url, PHONE)
    try:
        log_in(page, ADMIN[0], ADMIN[1])
        small: list[str] = []
        check = """sel => [...document.querySelectorAll(sel)]
            .filter(e => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 43.5)
            .map(e => e.dataset.testid || e.name || e.textContent.trim())"""
        for view in ("users", "audit"):
            _open_admin(page, view)
            page.wait_for_timeout(300)
            small += page.evaluate(check, "[data-tab-body=admin] button, [data-tab-body=admin] "
                                          "input, [data-tab-body=admin] select")  # fmt: skip
        _open_admin(page, "users")
        page.click("[data-testid=user-add]")
        # a radio or checkbox is tapped through its label.inline, checked instead
        choices = ":not([type=radio]):not([type=checkbox])"
        small += page.evaluate(check, f"#dialog button, #dialog input{choices}, "
                                      "#dialog select, #dialog label.inline")  # fmt: skip
        assert small == [], small
    finally:
        context.close()


#: Schedules the station refuses (on top of a valid one with plan 1), and the text key the page
#: must explain each with.
BAD_SCHEDULES: list[tuple[dict[str, Any], str]] = [
    ({"cron": "0 25 * * *", "times": []}, "schedule.err.cron"),
    ({"cron": "0 8 * *", "times": []}, "schedule.err.cron"),
    ({"times": ["7h30"]}, "schedule.err.times"),
    ({"times": []}, "schedule.err.rule"),
    ({"cron": "0 8 * * *"}, "schedule.err.rule"),
    ({"months": [13]}, "schedule.err.months"),
    ({"months": ["June"]}, "schedule.err.months"),
    ({"months": [6], "cron": "0 8 * 7 *", "times": []}, "schedule.err.season"),
    ({"start_date": "2026-13-01"}, "schedule.err.start_date"),
    ({"start_date": "2026-06-02", "end_date": "2026-06-01"}, "schedule.err.end_date"),
    ({"plan_id": 999}, "schedule.err.plan"),
    ({"vehicle_pool": [999]}, "schedule.err.vehicle"),
    ({"name": "x" * 200}, "schedule.err.name"),
    ({"timezone": "Mars/Olympus"}, "schedule.err.timezone"),
]

#: Users the station refuses, and the text key for each.
BAD_USERS: list[tuple[dict[str, Any], str]] = [
    ({"username": "officer1"}, "user.err.exists"),
    ({"password": "password1"}, "user.err.weak"),
    ({"password": "short"}, "user.err.short"),
    ({"username": "li si"}, "user.err.username"),
    ({"username": "x"}, "user.err.username"),
    ({"full_name": "x" * 200}, "user.err.full_name"),
]

EXPLAIN = """async ([module, fn, answers]) => {
    const i18n = await import('/static/app/js/i18n.js');
    const explain = (await import(`/static/app/js/${module}`))[fn];
    const out = [];
    for (const lang of ['zh-CN', 'en']) {
        i18n.setLang(lang);
        for (const [status, body, key] of answers) {
            const err = {status, detail: body.detail, body};
            out.push([lang, key, explain(err), i18n.t(key)]);
        }
    }
    i18n.setLang('zh-CN');
    return out;
}"""


def test_refusals_are_explained_in_plain_words(browser, station):
    """Each way the station refuses a schedule or a user, as it really answers, is explained
    by the page in Chinese and in English with the text meant for it."""
    headers = {"Authorization": f"Bearer {station.token(*ADMIN)}"}
    good_schedule = {"plan_id": 1, "times": ["07:30"]}
    good_user = {"username": "newcomer", "password": PASSWORD, "role": "officer"}
    schedules, users = [], []
    with station.api() as client:
        for change, key in BAD_SCHEDULES:
            r = client.post("/api/schedules", json={**good_schedule, **change}, headers=headers)
            assert r.status_code in (404, 422), (change, r.text)
            schedules.append([r.status_code, r.json(), key])
        for change, key in BAD_USERS:
            r = client.post("/api/users", json={**good_user, **change}, headers=headers)
            assert r.status_code in (409, 422), (change, r.text)
            users.append([r.status_code, r.json(), key])
        me = client.get("/api/me", headers=headers).json()["id"]
        r = client.patch(f"/api/users/{me}", json={"active": False}, headers=headers)
        users.append([r.status_code, r.json(), "user.err.last_admin"])
    context, page, errors = open_page(browser, station.url, DESKTOP)
    try:
        log_in(page, ADMIN[0], ADMIN[1])
        out = page.evaluate(EXPLAIN, ["schedule_editor.js", "scheduleError", schedules])
        out += page.evaluate(EXPLAIN, ["admin_users.js", "userError", users])
        assert len(out) == 2 * (len(schedules) + len(users))
        wrong = [(lang, key, said) for lang, key, said, meant in out if said != meant]
        assert wrong == [], wrong
        assert errors == [], errors
    finally:
        context.close()
