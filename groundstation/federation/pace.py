"""A pace for sending: at most `rate_hz` a second on average, a short burst allowed.

A station's outbox after an outage holds thousands of events; sent as fast as the broker
acknowledges them (about 2,000 a second on loopback), they fill the broker's one stream to the
centre, and every other station's live frames published meanwhile arrive behind them
(``bench/federation.py --outage``). Paced, the backlog takes longer to drain but the stream
never holds more than a moment of it. The live flow (a few dozen events a second) stays far
below the pace and is never held.

A token bucket: `burst` sends at once, then one every ``1 / rate_hz`` s.

>>> clock = [0.0]
>>> pace = Pace(10.0, burst=2, clock=lambda: clock[0])
>>> [pace.delay() for _ in range(4)]
[0.0, 0.0, 0.1, 0.2]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pace:
    """At most `rate_hz` sends a second after a burst of `burst` (rate 0: no limit)."""

    def __init__(
        self, rate_hz: float, *, burst: int = 50, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_hz = rate_hz
        self.burst = burst
        self._clock = clock
        self._free_at = clock() - burst / rate_hz if rate_hz > 0 else 0.0

    def delay(self) -> float:
        """Take a send: how long to wait before it (0: send now)."""
        if self.rate_hz <= 0:
            return 0.0
        now = self._clock()
        self._free_at = max(self._free_at, now - self.burst / self.rate_hz) + 1 / self.rate_hz
        return max(0.0, self._free_at - now)

    async def wait(self) -> None:
        """Take a send, waiting for its turn."""
        delay = self.delay()
        if delay > 0:
            await asyncio.sleep(delay)
