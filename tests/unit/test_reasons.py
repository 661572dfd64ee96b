"""Reasons as a code plus parameters: the English text is derived, the code is what the page
translates, and every code the station emits has an English text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from groundstation import reasons
from groundstation.reasons import TEXTS, Reason

ROOT = Path(__file__).resolve().parents[2]
REASONS_JS = ROOT / "groundstation/web/static/js/reasons.js"


def test_returning_by_command_keeps_the_pilot_and_the_command():
    """An RTL by a pilot reads as before in English and keeps who and what as parameters."""
    why = reasons.returning("RTL", 3, "command", "rtl", "pilot1")
    assert why.text == "RTL at item 3 (rtl by pilot1)"
    assert why.as_dict() == {
        "code": "returning",
        "params": {"mode": "RTL", "item": 3, "by": "command", "command": "rtl", "user": "pilot1"},
    }


def test_returning_without_a_command_is_a_failsafe():
    """A return nobody at the station asked for is the vehicle's own (failsafe)."""
    assert reasons.returning("RTL", 2, "command").params["by"] == "failsafe"
    assert reasons.returning("LAND", 2, "low_battery").text == "LAND at item 2 (low battery)"


def test_landed_early_carries_the_interruption():
    """A resumable landing names the item and, flat, why the vehicle left the route."""
    after = reasons.returning("RTL", 4, "command", "rtl", "pilot1")
    why = reasons.landed_early(5, after)
    assert why.text == "RTL at item 4 (rtl by pilot1); last item reached 5, resume possible"
    assert why.params == {
        "item": 5, "mode": "RTL", "at_item": 4, "by": "command", "command": "rtl", "user": "pilot1"
    }  # fmt: skip
    plain = reasons.landed_early(2, None)
    assert plain.text == "landed before the end of the route; last item reached 2, resume possible"


def test_aborted_with_and_without_a_note():
    """The pilot's note is kept as typed; without one the English says 'aborted by the pilot'."""
    assert reasons.aborted(None, "sent").text == "aborted by the pilot; vehicle sent home (RTL)"
    failed = reasons.aborted("bird strike", "failed", "no answer")
    assert failed.text == "bird strike; RTL failed: no answer"


def test_failed_names_the_error_class():
    """A failure's code names the exception class (the page translates it), the text is its own."""
    why = reasons.failed(TimeoutError("no ACK"))
    assert why.params == {"error": "TimeoutError", "detail": "no ACK"}
    assert why.text == "no ACK"


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_every_code_has_page_texts_in_both_languages(code):
    """The page translates every code the station can send, in Chinese and English."""
    source = REASONS_JS.read_text(encoding="utf-8")
    keys = re.findall(r'"reason\.([a-z_]+)"\s*:', source)
    assert keys.count(code) == 2, f"reason.{code} in reasons.js: {keys.count(code)} times"


def test_params_are_json():
    """A reason is sent as JSON: parameters never hold objects JSON cannot carry."""
    why = Reason("preflight_failed", {"checks": ["gps", "battery"], "detail": "gps: no fix"})
    assert json.loads(json.dumps(why.as_dict()))["params"]["checks"] == ["gps", "battery"]


def test_a_return_by_the_station_or_a_named_pilot():
    """The station's own returns keep their English text and say so in a parameter; a pilot's
    full name travels beside the user name (the page shows it)."""
    margin = reasons.returning(
        "RTL", 3, "command", "RTL", "the station (shore margin)", source="shore_margin"
    )
    assert margin.text == "RTL at item 3 (RTL by the station (shore margin))"
    assert margin.params["source"] == "shore_margin"
    pilot = reasons.returning("RTL", 3, "command", "rtl", "wangfei", name="王飞")
    assert pilot.params["name"] == "王飞"
    assert "source" not in pilot.params
    landed = reasons.landed_early(4, pilot)
    assert (landed.params["name"], landed.params["at_item"]) == ("王飞", 3)
