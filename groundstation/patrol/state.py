"""The patrol lifecycle as a transitions table: which state may follow which, and why not.

The happy path is ``planned -> preflight -> uploading -> launching -> flying -> returning ->
landed -> reported``. Besides it:

- ``aborted`` and ``failed`` are reachable from every state that is not terminal, with a reason;
- ``flying -> landed`` (the vehicle landed without an RTL phase the station saw, e.g. after a
  station restart) and ``returning -> flying`` (a pilot sent it back to AUTO after an RTL);
- ``preflight -> planned`` (a failed preflight check: nothing was sent to the vehicle, the pilot
  fixes the cause and starts again);
- ``landed -> preflight``: an interrupted patrol (RTL for low battery before the last item) is
  resumed from its last reached item.

>>> can_transition(PatrolState.FLYING, PatrolState.RETURNING)
True
>>> check_transition(PatrolState.REPORTED, PatrolState.FLYING)
Traceback (most recent call last):
...
groundstation.patrol.state.InvalidTransition: a reported patrol cannot go to flying
"""

from __future__ import annotations

from collections.abc import Mapping

from groundstation.db.models import TERMINAL_PATROL_STATES, PatrolState
from groundstation.errors import Conflict

S = PatrolState

#: The ordinary successors of each state (``aborted`` / ``failed`` come on top, see below).
TRANSITIONS: Mapping[PatrolState, frozenset[PatrolState]] = {
    S.PLANNED: frozenset({S.PREFLIGHT}),
    S.PREFLIGHT: frozenset({S.UPLOADING, S.PLANNED}),
    S.UPLOADING: frozenset({S.LAUNCHING}),
    S.LAUNCHING: frozenset({S.FLYING}),
    S.FLYING: frozenset({S.RETURNING, S.LANDED}),
    S.RETURNING: frozenset({S.LANDED, S.FLYING}),
    S.LANDED: frozenset({S.REPORTED, S.PREFLIGHT}),
    S.REPORTED: frozenset(),
    S.ABORTED: frozenset(),
    S.FAILED: frozenset(),
}

#: Reachable from every non-terminal state.
ALWAYS = frozenset({S.ABORTED, S.FAILED})

#: States in which the vehicle is (or may be) in the air under the patrol's control.
AIRBORNE = frozenset({S.LAUNCHING, S.FLYING, S.RETURNING})

#: States of a patrol that holds its vehicle (no other patrol may start on it).
ACTIVE = frozenset({S.PREFLIGHT, S.UPLOADING, S.LAUNCHING, S.FLYING, S.RETURNING})


class InvalidTransition(Conflict):
    """A state change the lifecycle does not allow (409)."""

    def __init__(self, src: PatrolState, dst: PatrolState) -> None:
        super().__init__(f"a {src.value} patrol cannot go to {dst.value}", src=src, dst=dst)


def successors(state: PatrolState) -> frozenset[PatrolState]:
    """Every state that may follow `state`."""
    if state in TERMINAL_PATROL_STATES:
        return frozenset()
    return TRANSITIONS[state] | ALWAYS


def can_transition(src: PatrolState, dst: PatrolState) -> bool:
    return dst in successors(src)


def check_transition(src: PatrolState, dst: PatrolState) -> None:
    """Raise :class:`InvalidTransition` unless `src -> dst` is allowed."""
    if not can_transition(src, dst):
        raise InvalidTransition(src, dst)


def is_terminal(state: PatrolState) -> bool:
    return state in TERMINAL_PATROL_STATES
