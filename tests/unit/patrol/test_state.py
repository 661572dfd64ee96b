"""The patrol transitions table: the happy path, aborts from anywhere, and refusals."""

from __future__ import annotations

import itertools

import pytest

from groundstation.db.models import TERMINAL_PATROL_STATES, PatrolState
from groundstation.errors import Conflict
from groundstation.patrol.state import (
    TRANSITIONS,
    InvalidTransition,
    can_transition,
    check_transition,
    successors,
)

S = PatrolState
HAPPY = [S.PLANNED, S.PREFLIGHT, S.UPLOADING, S.LAUNCHING, S.FLYING, S.RETURNING, S.LANDED,
         S.REPORTED]  # fmt: skip


def test_happy_path_is_allowed_step_by_step():
    """Each step of planned -> ... -> reported is an allowed transition."""
    for src, dst in itertools.pairwise(HAPPY):
        check_transition(src, dst)


@pytest.mark.parametrize("src", [s for s in S if s not in TERMINAL_PATROL_STATES])
@pytest.mark.parametrize("dst", [S.ABORTED, S.FAILED])
def test_abort_and_fail_reachable_from_every_open_state(src, dst):
    """Aborted and failed can follow every state that is not terminal."""
    assert can_transition(src, dst)


@pytest.mark.parametrize("src", sorted(TERMINAL_PATROL_STATES))
def test_terminal_states_have_no_successor(src):
    """Reported, aborted and failed are final: nothing follows them, not even abort."""
    assert successors(src) == frozenset()
    with pytest.raises(InvalidTransition):
        check_transition(src, S.ABORTED)


def test_skipping_states_is_refused_with_a_conflict():
    """Skipping the preflight (planned -> flying) is a 409 naming both states."""
    with pytest.raises(Conflict) as info:
        check_transition(S.PLANNED, S.FLYING)
    assert info.value.status == 409
    assert "planned" in str(info.value)
    assert "flying" in str(info.value)


def test_resume_and_retry_paths():
    """An interrupted patrol goes landed -> preflight; a failed preflight goes back to planned."""
    assert can_transition(S.LANDED, S.PREFLIGHT)
    assert can_transition(S.PREFLIGHT, S.PLANNED)
    assert can_transition(S.RETURNING, S.FLYING)
    assert not can_transition(S.LANDED, S.FLYING)
    assert not can_transition(S.UPLOADING, S.PLANNED)


def test_table_covers_every_state():
    """The transitions table names every lifecycle state and only lifecycle states."""
    assert set(TRANSITIONS) == set(S)
    assert all(dst in S for dsts in TRANSITIONS.values() for dst in dsts)


def test_patrol_settings_from_environment(monkeypatch):
    """ECOPATROL_PATROL__* variables set the wind and limits the preflight uses."""
    from groundstation.config import Settings
    from groundstation.patrol.config import patrol_config

    monkeypatch.setenv("ECOPATROL_PATROL__WIND_M_S", "12.5")
    monkeypatch.setenv("ECOPATROL_PATROL__WIND_LIMIT_M_S", "9")
    config = patrol_config(Settings().patrol)
    assert config.wind_m_s == 12.5
    assert config.wind_limit_m_s == 9.0
    monkeypatch.setenv("ECOPATROL_PATROL__WIND_LIMIT_M_S", "-1")
    with pytest.raises(ValueError, match="wind_limit_m_s"):
        Settings()
