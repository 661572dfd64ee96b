"""Choosing one's own password on the live map, in a real browser, at desktop and phone size:
a user whose password an admin reset signs in to a change-password form (in Chinese) and
nothing else; wrong, weak and mismatched entries are explained; once changed the map opens
live and the new password signs in; a signed-in user changes theirs again from the top bar
and stays live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, api_status, log_in, open_page
from tests.browser.station import ADMIN, PASSWORD, LiveStation
from tests.browser.test_live_map_language import WALK, _latin_words

pytestmark = pytest.mark.e2e

SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
FORM = "[data-testid=password-form]"


@pytest.fixture(scope="module")
def station(tmp_path_factory) -> Iterator[LiveStation]:
    station = LiveStation(tmp_path_factory.mktemp("password") / "station").start()
    try:
        yield station
    finally:
        station.stop()


def _reset(station: LiveStation, username: str) -> str:
    """Add `username` and reset their password as the admin; the one-time password."""
    station.add_user(username, "pilot")
    admin = {"Authorization": f"Bearer {station.token(*ADMIN)}"}
    with station.api() as client:
        me = client.get("/api/users", headers=admin).json()["data"]
        uid = next(u["id"] for u in me if u["username"] == username)
        r = client.post(f"/api/users/{uid}/password", json={}, headers=admin)
        r.raise_for_status()
        return str(r.json()["password"])


def _submit(page, current: str, new: str, repeat: str | None = None) -> None:
    page.fill(f"{FORM} [data-testid=password-current]", current)
    page.fill(f"{FORM} [data-testid=password-new]", new)
    page.fill(f"{FORM} [data-testid=password-repeat]", new if repeat is None else repeat)
    page.click(f"{FORM} [data-testid=password-save]")


def _error(page, says: str) -> None:
    page.wait_for_selector(f"{FORM} [data-testid=password-error]:has-text('{says}')",
                           timeout=WAIT_MS)  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
def test_a_reset_user_must_choose_a_password_before_the_map(browser, station, artifacts, size):
    """After a reset the sign-in shows only the Chinese change-password form (the station
    refuses the rest to that token); wrong, weak and mismatched entries are explained; the
    change opens the live map, and the new password then signs in directly."""
    name = f"li{size['width']}"
    one_time = _reset(station, name)
    new = "otter-lantern-reeds-81"
    context, page, errors = open_page(browser, station.url, size)
    try:
        page.fill("#login-username", name)
        page.fill("#login-password", one_time)
        page.click("#login-submit")
        page.wait_for_selector(f"{FORM} [data-testid=password-forced]", timeout=WAIT_MS)
        assert page.is_hidden("#app")
        assert api_status(page, "GET", "/api/vehicles") == 403
        assert _latin_words(page.evaluate(WALK)) == []  # the Chinese page shows no English
        page.screenshot(path=str(artifacts / f"password_forced_{size['width']}.png"))

        _submit(page, "not-the-password", new)
        _error(page, "当前密码不正确")
        _submit(page, one_time, "password1")
        _error(page, "密码太容易被猜到")
        _submit(page, one_time, new, "otter-lantern-reeds-82")
        _error(page, "两次输入的新密码不一致")
        assert api_status(page, "GET", "/api/vehicles") == 403
        _submit(page, one_time, new)
        page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        assert page.is_hidden("[data-testid=password-change]")
        assert api_status(page, "GET", "/api/vehicles") == 200
        assert errors == [], errors
    finally:
        context.close()
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, name, new)  # straight to the live map
        assert page.is_hidden("[data-testid=password-change]")
        assert errors == [], errors
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_signed_in_user_changes_their_password_from_the_top_bar(browser, station, size):
    """The name in the top bar opens the change-password form; after the change the page
    keeps working on its new token and stays live, and the old password no longer signs in."""
    name = f"wu{size['width']}"
    station.add_user(name, "officer")
    new = "moss-harbour-kite-29"
    context, page, errors = open_page(browser, station.url, size)
    try:
        log_in(page, name)
        page.click("[data-testid=change-password]")
        page.wait_for_selector(f"#dialog {FORM}", timeout=WAIT_MS)
        assert page.locator(f"{FORM} [data-testid=password-forced]").count() == 0
        _submit(page, PASSWORD, new)
        page.wait_for_selector("[data-testid=toast-info]:has-text('密码已修改')", timeout=WAIT_MS)
        assert page.is_hidden(f"#dialog {FORM}")
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        assert page.is_visible("#app")
        assert api_status(page, "GET", "/api/incidents") == 200
        assert errors == [], errors
    finally:
        context.close()
    with station.api() as client:
        old = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        assert old.status_code == 401
    assert station.token(name, new)
