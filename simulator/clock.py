"""Virtual clocks: simulated seconds that either follow the wall clock times a speedup or are
stepped by hand from tests (no sleeping anywhere).

Every timer inside a simulated vehicle (heartbeat, streams, mission re-requests, failsafes) reads
one of these clocks, so a faster clock makes every timeout inside the vehicle scale with it.

>>> clock = ManualClock()
>>> clock.advance(2.5)
>>> clock.now()
2.5
>>> fast = ScaledClock(10.0, source=iter([100.0, 100.5]).__next__)
>>> fast.now()
5.0
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current simulated time in seconds."""

    def now(self) -> float: ...


class ManualClock:
    """A clock that only moves when `advance` is called: for deterministic tests."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._now = float(start_s)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` (must not be negative)."""
        if seconds < 0:
            raise ValueError(f"cannot move a clock backwards ({seconds} s)")
        self._now += seconds


class ScaledClock:
    """Simulated time = wall time elapsed since creation x `speedup`."""

    def __init__(self, speedup: float, source: Callable[[], float] = time.monotonic) -> None:
        if not speedup > 0:
            raise ValueError(f"speedup must be > 0, got {speedup}")
        self.speedup = float(speedup)
        self._source = source
        self._origin = source()

    def now(self) -> float:
        return (self._source() - self._origin) * self.speedup

    def slip(self, sim_seconds: float) -> None:
        """Hold simulated time back by `sim_seconds` (when the simulation cannot keep up)."""
        self._origin += sim_seconds / self.speedup

    def to_wall(self, sim_seconds: float) -> float:
        """Wall-clock seconds that `sim_seconds` of simulated time take."""
        return sim_seconds / self.speedup
