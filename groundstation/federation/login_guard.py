"""The centre's throttle of failed logins, in memory, with the station's policy (``LoginSettings``).

A station keeps its counts in its store (``db.throttle``); the centre keeps them here, per
username and per client address, so a guesser is slowed down the same way: after
``free_failures`` failures in a row each further one makes the next attempt wait
``backoff_base_s`` doubled per failure (at most ``backoff_max_s``); at ``user_lockout_after``
(``address_lockout_after``) failures the name (address) is locked for ``lockout_s``. Failures
are forgotten after ``forget_after_s`` without one, and a name's on a successful login. The
counts do not survive a restart of the centre.

>>> from groundstation.config import LoginSettings
>>> now = [0.0]
>>> guard = LoginGuard(LoginSettings(free_failures=1, backoff_base_s=2), clock=lambda: now[0])
>>> keys = [("user", "chief")]
>>> guard.failed(keys); guard.refusal(keys) is None   # the free failure
True
>>> guard.failed(keys); guard.refusal(keys)
(2, False, 'too many failed logins for this username: wait 2 s before trying again')
>>> now[0] = 2.5; guard.refusal(keys) is None
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from groundstation.config import LoginSettings

#: ("user", name) or ("address", client address)
Key = tuple[str, str]


@dataclass(slots=True)
class _Count:
    failures: int = 0
    last_s: float = 0.0
    locked_until_s: float | None = None


class LoginGuard:
    """Failed-login counts and the refusals they earn (see the module docstring)."""

    def __init__(self, policy: LoginSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._counts: dict[Key, _Count] = {}

    def refusal(self, keys: Sequence[Key]) -> tuple[int, bool, str] | None:
        """``(retry_after_s, locked, message)`` if an attempt for `keys` must wait, else None."""
        now = self.clock()
        for key in keys:
            count = self._current(key, now)
            if count is None:
                continue
            noun = "username" if key[0] == "user" else "client address"
            if count.locked_until_s is not None and now < count.locked_until_s:
                wait = max(1, math.ceil(count.locked_until_s - now))
                return wait, True, f"too many failed logins for this {noun}: locked for {wait} s"
            over = count.failures - self.policy.free_failures
            if over > 0:
                backoff = min(
                    self.policy.backoff_base_s * 2 ** (over - 1), self.policy.backoff_max_s
                )
                left = count.last_s + backoff - now
                if left > 0:
                    wait = max(1, math.ceil(left))
                    message = (
                        f"too many failed logins for this {noun}: wait {wait} s before trying again"
                    )
                    return wait, False, message
        return None

    def failed(self, keys: Sequence[Key]) -> None:
        """Count a failed login against each of `keys`; lock those that reach their limit."""
        now = self.clock()
        for key in keys:
            count = self._current(key, now) or _Count()
            count.failures += 1
            count.last_s = now
            limit = (
                self.policy.user_lockout_after
                if key[0] == "user"
                else self.policy.address_lockout_after
            )
            if count.failures >= limit:
                count.locked_until_s = now + self.policy.lockout_s
            self._counts[key] = count

    def succeeded(self, key: Key) -> None:
        """Forget `key`'s failures (a correct password for the name)."""
        self._counts.pop(key, None)

    def _current(self, key: Key, now: float) -> _Count | None:
        """The key's count, forgotten if it is old (an expired lockout included)."""
        count = self._counts.get(key)
        if count is None:
            return None
        locked = count.locked_until_s is not None and now < count.locked_until_s
        if not locked and (
            count.locked_until_s is not None or now - count.last_s > self.policy.forget_after_s
        ):
            del self._counts[key]
            return None
        return count
