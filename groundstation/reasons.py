"""Why something happened, as a code and its parameters, with an English text for logs.

A patrol's state changes, its events and the station's alerts carry a :class:`Reason`: the page
translates ``code`` with ``params`` into the user's language (``web/static/js/reasons.js``), and
the CLI, the logs and the English-only consumers read :meth:`Reason.text`. Parameters are JSON
values (numbers, short strings, lists of names); anything a person typed or the vehicle sent is
kept in a parameter named after it (``note``, ``detail``) that the Chinese page does not show.

>>> Reason("mission_resumed", {"item": 4}).text
'mission resumed at item 4'
>>> returning("RTL", 3, command="rtl", user="pilot1").text
'RTL at item 3 (rtl by pilot1)'
>>> Reason("no_such_code").text
'no_such_code'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TEXTS", "Reason", "aborted", "failed", "landed_early", "mode_changed", "returning",
]  # fmt: skip

#: The English text of every code (``str.format`` with the parameters).
TEXTS: Mapping[str, str] = {
    # patrol state changes
    "start": "start",
    "resume": "resume from item {item}",
    "preflight_failed": "preflight failed: {detail}",
    "uploading": "uploading {items} mission items",
    "launching": "arming and taking off to {alt_m:g} m",
    "mission_started": "mission started",
    "mission_resumed": "mission resumed at item {item}",
    "route_complete": "route complete; returning to launch",
    "returning": "{mode} at item {item} ({why})",
    "mission_continued": "back in AUTO: mission continued",
    "landed_complete": "landed; route complete",
    "landed_early": "{why}; last item reached {item}, resume possible",
    "reported": "facts stored",
    "failed": "{detail}",
    "aborted": "{note}{rtl}",
    "station_restarted": "station restarted while {state}",
    "not_heard_after_restart": "vehicle {sysid} not heard after the station restart",
    "schedule_not_started": "scheduled run did not start: {detail}",
    # patrol events (alerts)
    "mode_changed": "mode changed {from_mode} -> {to_mode} ({who})",
    "outside_fence": "outside the geofence or in a no-fly zone",
    "battery_low": "battery {pct} %",
    "battery_return": "battery {pct} %: the way home needs {need_pct} % plus {reserve_pct} % "
    "reserve; returning",
    "rtl_failed": "RTL failed: {detail}",
    "vehicle_text": "{detail}",
    "reattached": "reattached after a station restart ({mode}, armed {armed})",
    "fence_refit": "{detail}",
    "sequence_stopped": "not started: {detail}",
    "sequence_dropped": "sequence stopped: patrols {patrols} not started",
    # schedules
    "station_down": "station was down: {runs} run(s) due since {since} UTC",
    "plan_gone": "plan {plan_id} no longer exists",
    "no_drone": "{detail}",
    "no_go": "no-go: {detail}",
    "replan_failed": "re-planning failed: {detail}",
    "start_failed": "{drone}: {detail}",
    "run_started": "{drone} flying patrol {patrol_id}",
}

#: Why a vehicle returned (``returning``'s ``by``), in English.
_RETURN_WHY = {
    "low_battery": "low battery",
    "failsafe": "not by the patrol (failsafe or another station)",
}
_RTL_NOTE = {"sent": "; vehicle sent home (RTL)", "failed": "; RTL failed: {rtl_error}"}


@dataclass(frozen=True, slots=True)
class Reason:
    """A code from :data:`TEXTS` and its parameters (JSON values)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The English sentence (the code itself if it has none)."""
        template = TEXTS.get(self.code)
        if template is None:
            return self.code
        return template.format(**_english(self.code, self.params))

    def as_dict(self) -> dict[str, Any]:
        """``{"code": ..., "params": {...}}``, as stored and sent."""
        return {"code": self.code, "params": dict(self.params)}


def _english(code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters the English template of `code` needs, derived from the stored ones."""
    out = dict(params)
    if code == "returning":
        by = params.get("by")
        out["why"] = (
            f"{params.get('command')} by {params.get('user')}"
            if by == "command"
            else _RETURN_WHY.get(str(by), str(by))
        )
    elif code == "mode_changed":
        out["who"] = (
            f"{params['command']} by {params['user']}"
            if params.get("command")
            else "not by the patrol"
        )
    elif code == "landed_early":
        mode = params.get("mode")
        out["why"] = (
            Reason(
                "returning", {"mode": mode, "item": params.get("at_item", 0), **_by(params)}
            ).text
            if mode
            else "landed before the end of the route"
        )
    elif code == "aborted":
        out["note"] = params.get("note") or "aborted by the pilot"
        rtl = params.get("rtl")
        out["rtl"] = _RTL_NOTE[rtl].format(**params) if rtl in _RTL_NOTE else ""
    return out


def _by(params: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("by", "command", "user", "source", "name")
    return {k: params[k] for k in keys if params.get(k) is not None}


def _commanded(
    command: str | None, user: str | None, source: str | None, name: str | None
) -> dict[str, Any]:
    """Who sent the command: a pilot (`user`, full `name`) or the station itself (`source`)."""
    out: dict[str, Any] = {"command": command, "user": user}
    if source and source != "pilot":
        out["source"] = source
    if name:
        out["name"] = name
    return out


def returning(
    mode: str, item: int, by: str = "command", command: str | None = None,
    user: str | None = None, *, source: str | None = None, name: str | None = None,
) -> Reason:  # fmt: skip
    """The vehicle left the route for `mode` at `item`: by a command (`command` by `user`, a
    pilot named `name`, or the station itself: `source` ``shore_margin`` / ``battery``), for a
    ``low_battery`` or a ``failsafe`` (not the patrol's doing)."""
    if command is None and by == "command":
        by = "failsafe"
    params: dict[str, Any] = {"mode": mode, "item": item, "by": by}
    if by == "command":
        params |= _commanded(command, user, source, name)
    return Reason("returning", params)


def mode_changed(
    from_mode: str | None, to_mode: str, command: str | None, user: str | None,
    *, source: str | None = None, name: str | None = None,
) -> Reason:  # fmt: skip
    """The flight mode changed during a patrol, by `command` of `user` (None: not the patrol)."""
    params: dict[str, Any] = {"from_mode": from_mode, "to_mode": to_mode}
    if command is not None:
        params |= _commanded(command, user, source, name)
    return Reason("mode_changed", params)


def landed_early(item: int, interrupted: Reason | None) -> Reason:
    """Landed before the last item (resumable), after `interrupted` (a ``returning``) if known."""
    params: dict[str, Any] = {"item": item}
    if interrupted is not None and interrupted.code == "returning":
        params |= {
            "mode": interrupted.params["mode"],
            "at_item": interrupted.params["item"],
            **_by(interrupted.params),
        }
    return Reason("landed_early", params)


def failed(exc: BaseException) -> Reason:
    """A patrol failed on `exc`: its class names the kind, its text is the English detail."""
    return Reason("failed", {"error": type(exc).__name__, "detail": str(exc)})


def aborted(note: str | None, rtl: str | None = None, rtl_error: str | None = None) -> Reason:
    """Aborted (with the pilot's `note`, if any); `rtl`: ``sent``, ``failed`` or None."""
    params: dict[str, Any] = {"note": note, "rtl": rtl}
    if rtl_error is not None:
        params["rtl_error"] = rtl_error
    return Reason("aborted", params)
