"""The live map's texts: every key the page uses exists in Chinese and in English, including one
for every incident type, incident status, patrol state, role, schedule run status and notice
kind the station can send."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from groundstation.db.models import IncidentStatus, IncidentType, PatrolState, Role
from groundstation.reports.notify import NoticeKind
from groundstation.schedule.store import RunStatus

STATIC = Path(__file__).resolve().parents[2] / "groundstation" / "web" / "static"
# a text's key, at a line's start or inline as modules adding a few do: { "a.b": "…", "a.c": "…" }
KEY = re.compile(r'"([a-z_]+(?:\.[a-z_]+)+)":\s')


def languages() -> dict[str, set[str]]:
    """The keys of each language: i18n.js's tables and every module's `addTexts({...})`."""
    found: dict[str, set[str]] = {"zh-CN": set(), "en": set()}
    for path in sorted((STATIC / "js").glob("*.js")):
        source = path.read_text(encoding="utf-8")
        if path.name == "i18n.js":
            start = source.index('"zh-CN": {')
        elif "addTexts({" in source:
            start = source.index("addTexts({")
        else:
            continue
        zh_start = source.index('"zh-CN": {', start)
        en_start = source.index("\n  en: {", zh_start)
        end = source.index("\n}", en_start)
        found["zh-CN"] |= set(KEY.findall(source[zh_start:en_start]))
        found["en"] |= set(KEY.findall(source[en_start:end]))
    return found


def used_keys() -> set[str]:
    keys = set()
    for path in (STATIC / "js").glob("*.js"):
        source = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'\bt\("([^"]+)"', source))
        # layer control entries are named by key and translated when (re)labelled
        keys |= set(re.findall(r'addOverlay\([^,()]+,\s*"([^"]+)"\)', source))
        keys |= set(re.findall(r':\s*"(layer\.[a-z_]+)"', source))
    keys |= set(re.findall(r'data-i18n="([^"]+)"', (STATIC / "index.html").read_text()))
    return keys


def test_both_languages_have_the_same_keys():
    """No text exists in one language only."""
    langs = languages()
    assert len(langs["zh-CN"]) > 100
    assert langs["zh-CN"] == langs["en"]


def test_every_key_the_page_uses_has_a_text():
    """Each t("…") call and data-i18n attribute names a key both languages define."""
    langs = languages()
    used = used_keys()
    assert len(used) > 50
    assert used - langs["zh-CN"] == set()


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("incident.type", IncidentType),
        ("incident.status", IncidentStatus),
        ("patrol.state", PatrolState),
        ("role", Role),
    ],
)
def test_every_value_the_station_sends_has_a_text(prefix, values):
    """Enumerations shown by name (t(`prefix.${value}`)) are all translated."""
    langs = languages()
    for value in values:
        assert f"{prefix}.{value.value}" in langs["zh-CN"], value
        assert f"{prefix}.{value.value}" in langs["en"], value


@pytest.mark.parametrize(
    ("prefix", "values"),
    [("schedule.run", RunStatus), ("alerts", NoticeKind)],
)
def test_every_run_status_and_notice_kind_has_a_text(prefix, values):
    """Schedule runs (flown, delayed, skipped, failed) and the officers' notices (report ready,
    patrol skipped or delayed) are shown in both languages."""
    langs = languages()
    names = typing.get_args(values)
    assert len(names) >= 3
    for name in names:
        assert f"{prefix}.{name}" in langs["zh-CN"], name
        assert f"{prefix}.{name}" in langs["en"], name


def test_new_panels_use_their_texts():
    """The schedules tab, the reports section and the freshness layer name their texts."""
    used = used_keys()
    for key in ("tab.schedules", "schedule.next", "report.open", "report.daily",
                "layer.freshness", "layer.tracks", "layer.no_fly", "freshness.stale"):  # fmt: skip
        assert key in used, key
