"""Helpers that drive the live map page the way a person does (Playwright sync API)."""

from __future__ import annotations

import os
from typing import Any

from tests.browser.station import PASSWORD

#: How long a step may take; ECOPATROL_TIMEOUT_FACTOR stretches it on slow machines.
WAIT_MS = int(60_000 * float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1")))


#: The sizes the page is tried at: a desktop and a phone (iPhone 12-15 class, in CSS pixels).
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def open_page(
    browser: Any, url: str, viewport: dict[str, int] | None = None
) -> tuple[Any, Any, list[str]]:
    """A fresh browser context (its own session storage) on the page; page errors collected.
    At PHONE size the context is a touch device, as a phone is."""
    phone = viewport is not None and viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport or DESKTOP, locale="zh-CN", has_touch=phone, is_mobile=phone
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "requestfailed",
        lambda r: (
            errors.append(f"request failed: {r.url} {r.failure}")
            if "/ws/live" not in r.url
            else None
        ),
    )
    page.goto(url)
    return context, page, errors


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
    page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)


def vehicle_positions(page: Any) -> dict[str, tuple[float, float]]:
    """System id -> (lat, lon) of every vehicle marker, as the page shows it."""
    rows = page.eval_on_selector_all(
        "[data-testid=vehicle-marker]",
        "els => els.map(e => [e.dataset.sysid, Number(e.dataset.lat), Number(e.dataset.lon)])",
    )
    return {sysid: (lat, lon) for sysid, lat, lon in rows}


def wait_all_moved(page: Any, before: dict[str, tuple[float, float]]) -> None:
    """Wait until every vehicle in `before` shows a position different from its old one."""
    page.wait_for_function(
        """before => Object.entries(before).every(([sysid, [lat, lon]]) => {
            const sel = `[data-testid=vehicle-marker][data-sysid="${sysid}"]`;
            const el = document.querySelector(sel);
            return el && (Number(el.dataset.lat) !== lat || Number(el.dataset.lon) !== lon);
        })""",
        arg={k: list(v) for k, v in before.items()},
        timeout=WAIT_MS * 2,
    )


def show_tab(page: Any, name: str) -> None:
    page.click(f"[data-tab='{name}']")


def report_incident_at(
    page: Any,
    x: int,
    y: int,
    type_: str,
    description: str,
    photo: dict[str, Any] | None = None,
    use_vehicle: bool = False,
) -> None:
    """Click the map at (x, y), choose "report here", fill the form and submit it (at the
    selected drone's position instead when `use_vehicle`)."""
    page.click("#map", position={"x": x, "y": y})
    page.click("[data-testid=report-here]")
    if use_vehicle:
        page.click("[data-testid=incident-use-vehicle]")
    page.select_option("[data-testid=incident-type]", type_)
    page.fill("[data-testid=incident-description]", description)
    if photo is not None:
        page.set_input_files("[data-testid=incident-photos]", files=[photo])
    page.click("[data-testid=incident-submit]")
    page.wait_for_selector("[data-testid=toast-info]", timeout=WAIT_MS)


def api_status(page: Any, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    """The HTTP status the station answers the page's own user (its token) for a request."""
    status: int = page.evaluate(
        """async ([method, path, body]) => {
            const token = sessionStorage.getItem("ecopatrol.token");
            const r = await fetch(path, {method, body: body ? JSON.stringify(body) : undefined,
                headers: {Authorization: `Bearer ${token}`, "Content-Type": "application/json"}});
            return r.status;
        }""",
        [method, path, body],
    )
    return status
