"""Browser tests: Debian's chromium driven by Playwright for Python, against a real station.

Never `playwright install`: the browser is the system's /usr/bin/chromium (scripts/
install-system-deps.sh), and Leaflet comes from `npm ci` (make setup). Screenshots go to
artifacts/ (gitignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from groundstation.api.web import vendor_installed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


# Package scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is started, and every asyncio test collected after tests/browser would then
# fail with "Runner.run() cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: run `make setup` (scripts/install-system-deps.sh)")
    if not vendor_installed():
        pytest.fail("Leaflet is not installed: run `make setup` (npm ci in groundstation/web)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
