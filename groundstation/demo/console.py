"""What the demo shows on the terminal: a Rich live view, or plain lines when headless.

Both read one :class:`DemoStatus` that the orchestration refreshes about twice a second:

- :func:`render` draws it (drones: mode, battery, altitude, link; patrols and their states;
  reports written) for ``rich.live.Live``;
- :class:`ChangeLog` turns successive statuses into one line per change (a patrol's new state,
  a report written, a schedule run delayed or skipped), for ``--headless`` runs and CI logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

STATE_STYLE = {
    "planned": "dim",
    "preflight": "yellow",
    "uploading": "yellow",
    "launching": "cyan",
    "flying": "bold green",
    "returning": "cyan",
    "landed": "blue",
    "reported": "bold blue",
    "aborted": "red",
    "failed": "bold red",
}
LOCAL_TZ = "Asia/Shanghai"
LINK_STYLE = {"ok": "green", "degraded": "yellow", "lost": "bold red", "offline": "dim"}


@dataclass
class PatrolRow:
    """One patrol as the console shows it."""

    id: int
    plan: str
    drone: str
    state: str
    reason: str = ""


@dataclass
class DemoStatus:
    """Everything the console shows; the orchestration owns and refreshes it."""

    url: str
    folder: Path
    speedup: float
    sim_time_s: float = 0.0
    drones: list[dict[str, Any]] = field(default_factory=list)
    patrols: list[PatrolRow] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    phase: str = "starting"
    schedules: list[tuple[int, str, datetime]] = field(default_factory=list)
    """(schedule id, plan name, first due time) of the demo's schedules."""
    users: list[tuple[str, str, str]] = field(default_factory=list)
    """(username, password, role) of the demo users, shown once the station has them."""


def _fmt(value: Any, spec: str, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:{spec}}{unit}"


def drones_table(drones: list[dict[str, Any]]) -> Table:
    """Drones as the station sees them over the MAVLink link."""
    table = Table(title="Drones", title_justify="left", expand=True, box=box.SIMPLE_HEAD)
    for name in ("drone", "mode", "armed", "battery", "alt", "speed", "link"):
        table.add_column(name)
    for d in drones:
        link = (d.get("link") or {}).get("status", "offline")
        table.add_row(
            str(d.get("name") or f"system {d.get('sysid')}"),
            str(d.get("mode") or "-"),
            "armed" if d.get("armed") else "-",
            _fmt(d.get("battery_pct"), ".0f", " %"),
            _fmt(d.get("alt_rel_m"), ".0f", " m"),
            _fmt(d.get("speed_m_s"), ".1f", " m/s"),
            Text(link, style=LINK_STYLE.get(link, "")),
        )
    if not drones:
        table.add_row("(waiting for the simulated drones)", *[""] * 6)
    return table


def waiting_schedules(status: DemoStatus) -> list[str]:
    """A line per schedule whose first run has not started yet, with its local due time.

    >>> from datetime import datetime, UTC
    >>> s = DemoStatus("http://h", Path("/d"), 1.0)
    >>> s.schedules = [(1, "demo: shoreline", datetime(2026, 5, 1, 2, 0, 10, tzinfo=UTC))]
    >>> waiting_schedules(s)
    ['demo: shoreline: launches at 10:00:10 (Asia/Shanghai)']
    >>> s.runs = [{"schedule_id": 1, "status": "started"}]
    >>> waiting_schedules(s)
    []
    """
    begun = {r.get("schedule_id") for r in status.runs if r.get("status") == "started"}
    return [
        f"{name}: launches at {due.astimezone(ZoneInfo(LOCAL_TZ)):%H:%M:%S} ({LOCAL_TZ})"
        for sid, name, due in status.schedules
        if sid not in begun
    ]


def patrols_table(patrols: list[PatrolRow]) -> Table:
    table = Table(title="Patrols", title_justify="left", expand=True, box=box.SIMPLE_HEAD)
    for name in ("id", "plan", "drone", "state", "why"):
        table.add_column(name)
    for p in patrols:
        table.add_row(
            str(p.id),
            p.plan,
            p.drone,
            Text(p.state, style=STATE_STYLE.get(p.state, "")),
            p.reason[:60],
        )
    if not patrols:
        table.add_row("", "(the schedules launch the first patrols in a few seconds)", "", "", "")
    return table


def render(status: DemoStatus) -> RenderableType:
    """The whole live view."""
    minutes, seconds = divmod(int(status.sim_time_s), 60)
    head = Text.assemble(
        ("ecopatrol demo  ", "bold"),
        (status.url, "bold underline cyan"),
        f"   simulated time {minutes:02d}:{seconds:02d} at {status.speedup:g}x   ",
        (status.phase, "italic"),
    )
    written = Text(f"Reports written: {len(status.reports)}", style="bold")
    if status.reports:
        written.append(f"  (latest {status.reports[-1]})", style="")
    waiting = [r for r in status.runs if r.get("status") in ("delayed", "skipped")]
    notes = [Text(f"schedule run {r['status']}: {r['reason']}", style="yellow") for r in waiting]
    footer = Text("Ctrl-C stops the demo", style="dim")
    logins = Text("Log in as  ", style="bold")
    for name, password, _role in status.users:
        logins.append(f"{name} / {password}    ", style="")
    body = Group(
        head,
        *([logins] if status.users else []),
        drones_table(status.drones),
        patrols_table(status.patrols),
        *[Text(line, style="cyan") for line in waiting_schedules(status)],
        written,
        *notes[-3:],
        footer,
    )
    return Panel(body, border_style="blue")


class ChangeLog:
    """One line per change between successive statuses (headless progress)."""

    def __init__(self) -> None:
        self._states: dict[int, str] = {}
        self._reports = 0
        self._runs: set[tuple[Any, ...]] = set()

    def lines(self, status: DemoStatus) -> list[str]:
        """What changed since the last call, as lines to print.

        >>> log = ChangeLog()
        >>> row = PatrolRow(1, "p", "d1", "flying")
        >>> s = DemoStatus("http://x", Path("/d"), 10.0, patrols=[row])
        >>> log.lines(s)
        ['patrol 1 (p on d1): flying']
        >>> log.lines(s)
        []
        """
        out = []
        for p in status.patrols:
            if self._states.get(p.id) != p.state:
                self._states[p.id] = p.state
                why = f" ({p.reason})" if p.state in ("failed", "aborted") else ""
                out.append(f"patrol {p.id} ({p.plan} on {p.drone}): {p.state}{why}")
        for path in status.reports[self._reports :]:
            out.append(f"report written: {path}")
        self._reports = len(status.reports)
        for r in status.runs:
            key = (r.get("id"), r.get("status"), r.get("attempts"))
            if key not in self._runs:
                self._runs.add(key)
                out.append(
                    f"schedule {r.get('schedule_id')} run {r.get('status')}: {r.get('reason')}"
                )
        return out


def intro_lines(status: DemoStatus, users: list[tuple[str, str, str]]) -> list[str]:
    """What to do, once the station runs: the URL, the demo users and their passwords.

    >>> status = DemoStatus("http://h:1", Path("/d"), 1.0)
    >>> lines = intro_lines(status, [("officer", "pw", "officer")])
    >>> lines[0], lines[2]
    ('Open the live map: http://h:1', '  officer   password pw   (officer)')
    """
    out = [
        f"Open the live map: {status.url}",
        "Demo users (passwords made for this run only):",
    ]
    out += [f"  {name:<9} password {password}   ({role})" for name, password, role in users]
    out += [
        "Log in as the officer and watch: three patrols (shoreline, hotspot tour, open-water",
        "coverage) launch on their schedules within a minute; click the map to log an incident.",
        "Log in as the pilot to start, abort or redirect a drone. Reports arrive as patrols land.",
        f"Demo folder: {status.folder} (database, reports/, demo.log)",
    ]
    return out
