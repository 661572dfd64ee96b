"""The centre's failed-login throttle on a fake clock: back-off, lockout, forgetting."""

from __future__ import annotations

from groundstation.config import LoginSettings
from groundstation.federation.login_guard import LoginGuard

POLICY = LoginSettings(
    free_failures=2, backoff_base_s=1.0, backoff_max_s=4.0, user_lockout_after=6,
    address_lockout_after=50, lockout_s=600.0, forget_after_s=900.0,
)  # fmt: skip
NAME = [("user", "chief")]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_after_the_free_failures_up_to_its_cap() -> None:
    """Two free failures; then 1, 2, 4, 4 s waits; each wait ends on time."""
    clock = Clock()
    guard = LoginGuard(POLICY, clock)
    waits = []
    for _ in range(5):
        guard.failed(NAME)
        refused = guard.refusal(NAME)
        waits.append(refused[0] if refused else 0)
        if refused:
            clock.now += refused[0] - 0.01
            assert guard.refusal(NAME) is not None  # not yet
            clock.now += 0.02
            assert guard.refusal(NAME) is None
    assert waits == [0, 0, 1, 2, 4]


def test_lockout_at_the_limit_then_forgotten_after_it() -> None:
    """The sixth failure locks the name for lockout_s; another name is not touched."""
    clock = Clock()
    guard = LoginGuard(POLICY, clock)
    for _ in range(6):
        guard.failed(NAME)
    refused = guard.refusal(NAME)
    assert refused is not None
    assert refused[:2] == (600, True)
    assert guard.refusal([("user", "officer-a")]) is None
    clock.now += 601
    assert guard.refusal(NAME) is None
    guard.failed(NAME)  # counting starts again: a free failure
    assert guard.refusal(NAME) is None


def test_success_forgets_the_name_and_time_forgets_the_rest() -> None:
    """A correct password clears the name's failures; failures older than forget_after_s
    are forgotten; the address counts on its own."""
    clock = Clock()
    guard = LoginGuard(POLICY, clock)
    both = [*NAME, ("address", "10.0.0.9")]
    for _ in range(3):
        guard.failed(both)
    assert guard.refusal(NAME) is not None
    guard.succeeded(NAME[0])
    assert guard.refusal(NAME) is None
    assert guard.refusal([("address", "10.0.0.9")]) is not None
    clock.now += 901
    assert guard.refusal(both) is None
