"""The station's send pace: a backlog goes at the pace, the live flow is never held."""

from __future__ import annotations

import pytest

from groundstation.federation.pace import Pace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_backlog_goes_at_the_pace_after_a_burst() -> None:
    """A thousand sends at once at 500 a second with a burst of 50: the first 50 go now, each
    later one 1/500 s after the one before (the waits are computed, not slept)."""
    clock = Clock()
    pace = Pace(500.0, burst=50, clock=clock)
    delays = []
    for _ in range(1000):
        delay = pace.delay()
        delays.append(delay)
        clock.now += delay  # the sender waits, then sends
    assert delays[:50] == [0.0] * 50
    assert sum(delays) == pytest.approx(950 / 500)
    assert all(d == pytest.approx(1 / 500) for d in delays[51:])


def test_the_live_flow_is_never_held() -> None:
    """Forty sends a second (a station's live frames) for a minute, under a pace of 500: none
    waits."""
    clock = Clock()
    pace = Pace(500.0, burst=50, clock=clock)
    for _ in range(40 * 60):
        assert pace.delay() == 0.0
        clock.now += 1 / 40


def test_no_pace_never_waits() -> None:
    """Rate 0 is no limit."""
    pace = Pace(0.0, clock=Clock())
    assert [pace.delay() for _ in range(10_000)] == [0.0] * 10_000
