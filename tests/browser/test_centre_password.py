"""Signing in at a command centre, in chromium, in Chinese, at desktop and phone size: a
failed sign-in is explained in Chinese by what went wrong (a wrong password, a lockout); a
user whose password was reset from the CLI gets only the change-password form, then the
centre's map; the name in the top bar changes the password again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.centre import LiveCentre
from tests.browser.pages import DESKTOP, PHONE, WAIT_MS, api_status, open_page
from tests.browser.station import PASSWORD
from tests.browser.test_live_map_language import WALK, _latin_words
from tests.integration.db.conftest import (
    PgCluster,
    pg_cluster,  # noqa: F401  # the shared cluster fixture
)

pytestmark = pytest.mark.e2e

FORM = "[data-testid=password-form]"
NEW = "otter-lantern-reeds-81"
TOKEN = "sessionStorage.getItem('ecopatrol.token')"


@pytest.fixture
def centre(
    pg_cluster: PgCluster,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LiveCentre]:
    """A centre whose names lock at the second failure (addresses are not throttled soon)."""
    monkeypatch.setenv("ECOPATROL_LOGIN__FREE_FAILURES", "5")
    monkeypatch.setenv("ECOPATROL_LOGIN__USER_LOCKOUT_AFTER", "2")
    live = LiveCentre(pg_cluster.create_database(), tmp_path / "centre").start()
    try:
        live.add_user("officer-a", "river-a")
        live.add_user("duty-b", "river-b")
        yield live
    finally:
        live.stop()


def _sign_in(page, username: str, password: str) -> None:
    """Sign in and wait for the station's answer (a second failure must be counted before the
    next attempt: the error text from the first one is already on the page)."""
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    with page.expect_response(lambda r: r.url.endswith("/api/auth/login"), timeout=WAIT_MS):
        page.click("#login-submit")


def _login_error(page, says: str) -> None:
    page.wait_for_selector(f"#login-error:not([hidden]):has-text('{says}')", timeout=WAIT_MS)
    assert _latin_words([page.inner_text("#login-error")]) == []


def _submit(page, current: str, new: str) -> None:
    page.fill(f"{FORM} [data-testid=password-current]", current)
    page.fill(f"{FORM} [data-testid=password-new]", new)
    page.fill(f"{FORM} [data-testid=password-repeat]", new)
    page.click(f"{FORM} [data-testid=password-save]")


@pytest.mark.parametrize(
    "size", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_centre_sign_in_errors_and_the_forced_password_change(
    browser, centre: LiveCentre, artifacts: Path, size
):
    """A wrong password says so in Chinese, and a locked name says it is locked; after a
    reset the one-time password opens only the Chinese change form (the centre refuses the
    rest to that token); the change opens the centre's live map; the name in the top bar opens
    the form again and the page stays live on its new token."""
    one_time = centre.reset_password("officer-a")
    context, page, errors = open_page(browser, centre.url, size)
    try:
        _sign_in(page, "duty-b", "not-the-password")
        _login_error(page, "用户名或密码错误")
        _sign_in(page, "duty-b", "not-the-password")  # the second failure locks the name
        _sign_in(page, "duty-b", PASSWORD)
        _login_error(page, "账号已锁定")

        _sign_in(page, "officer-a", one_time)
        page.wait_for_selector(f"{FORM} [data-testid=password-forced]", timeout=WAIT_MS)
        assert page.is_hidden("#app")
        assert api_status(page, "GET", "/api/centre/stations") == 403
        assert _latin_words(page.evaluate(WALK)) == []
        page.screenshot(path=str(artifacts / f"centre_password_forced_{size['width']}.png"))
        _submit(page, "not-the-password", NEW)
        page.wait_for_selector(f"{FORM} [data-testid=password-error]:has-text('当前密码不正确')",
                               timeout=WAIT_MS)  # fmt: skip
        _submit(page, one_time, NEW)
        page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        assert api_status(page, "GET", "/api/centre/stations") == 200

        page.click("[data-testid=change-password]")
        page.wait_for_selector(f"#dialog {FORM}", timeout=WAIT_MS)
        assert page.locator(f"{FORM} [data-testid=password-forced]").count() == 0
        before = page.evaluate(TOKEN)
        _submit(page, NEW, "moss-harbour-kite-29")
        # the forced change's toast says the same and may still be up: wait for the new token
        page.wait_for_function(f"(before) => {TOKEN} !== before", arg=before, timeout=WAIT_MS)
        page.wait_for_selector("[data-testid=toast-info]:has-text('密码已修改')", timeout=WAIT_MS)
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        assert api_status(page, "GET", "/api/centre/stations") == 200
        assert errors == [], errors
    finally:
        context.close()
