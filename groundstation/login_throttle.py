"""The failed-login policy (``LoginSettings``), apart from where the counts are kept.

A station keeps its counts in its store (:mod:`groundstation.db.throttle`), the command centre
in its PostgreSQL (:mod:`groundstation.federation.login_throttle`); both decide with these
functions, on the counts of one username or one client address (a :class:`Count`):

- after ``free_failures`` failures in a row each further one makes the next attempt wait
  ``backoff_base_s`` doubled per failure, at most ``backoff_max_s``;
- at ``user_lockout_after`` (``address_lockout_after``) failures the key is locked for
  ``lockout_s``, or until an operator lifts it;
- failures are forgotten after ``forget_after_s`` without one, unless the key is locked.

>>> policy = LoginSettings(free_failures=3, backoff_base_s=1, backoff_max_s=60)
>>> [backoff_s(policy, n) for n in range(1, 12)]
[0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
>>> from datetime import UTC, datetime
>>> now, key = datetime(2026, 12, 6, tzinfo=UTC), ThrottleKey("user", "chief")
>>> count, _ = failed(policy, key, None, now)
>>> count.failures, refusal(policy, key, count, now) is None
(1, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from groundstation.config import LoginSettings

Kind = Literal["user", "address"]


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    """What failures are counted against: a username or a client address."""

    kind: Kind
    key: str

    @property
    def noun(self) -> str:
        return "username" if self.kind == "user" else "client address"


@dataclass(frozen=True, slots=True)
class Count:
    """The failed logins of one key, as stored."""

    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an attempt is refused before its password is checked, and for how long."""

    key: ThrottleKey
    locked: bool
    until: datetime

    def retry_after_s(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))

    def message(self, now: datetime) -> str:
        if self.locked:
            return (
                f"too many failed logins for this {self.key.noun}: locked until "
                f"{self.until:%Y-%m-%d %H:%M} UTC or until an admin unlocks it"
            )
        return (
            f"too many failed logins for this {self.key.noun}: "
            f"wait {self.retry_after_s(now)} s before trying again"
        )


@dataclass(frozen=True, slots=True)
class Lockout:
    """A lockout that a failure has just started."""

    key: ThrottleKey
    failures: int
    until: datetime


def backoff_s(policy: LoginSettings, failures: int) -> float:
    """The wait imposed after the `failures`-th failure in a row."""
    over = failures - policy.free_failures
    if over <= 0:
        return 0.0
    return float(min(policy.backoff_max_s, policy.backoff_base_s * 2 ** min(over - 1, 60)))


def lockout_after(policy: LoginSettings, key: ThrottleKey) -> int:
    """How many failures in a row lock `key`."""
    return policy.user_lockout_after if key.kind == "user" else policy.address_lockout_after


def is_locked(count: Count, now: datetime) -> bool:
    return count.locked_until is not None and count.locked_until > now


def forgotten(policy: LoginSettings, count: Count, now: datetime) -> bool:
    """Whether `count` no longer counts: not locked, and its last failure long ago."""
    old = now - count.last_failure_at > timedelta(seconds=policy.forget_after_s)
    return old and not is_locked(count, now)


def refusal(
    policy: LoginSettings, key: ThrottleKey, count: Count | None, now: datetime
) -> Refusal | None:
    """Why an attempt on `key` with these failures is refused at `now`, else None."""
    if count is None or forgotten(policy, count, now):
        return None
    if count.locked_until is not None and count.locked_until > now:
        return Refusal(key, locked=True, until=count.locked_until)
    if count.blocked_until is not None and count.blocked_until > now:
        return Refusal(key, locked=False, until=count.blocked_until)
    return None


def first_refusal(
    policy: LoginSettings, counted: Iterable[tuple[ThrottleKey, Count | None]], now: datetime
) -> Refusal | None:
    """The refusal of the first of the keys (with their counts) refused at `now`, else None."""
    for key, count in counted:
        refused = refusal(policy, key, count, now)
        if refused is not None:
            return refused
    return None


def failed(
    policy: LoginSettings, key: ThrottleKey, count: Count | None, now: datetime
) -> tuple[Count, Lockout | None]:
    """`key`'s count after one more failure at `now`, and the lockout it starts, if any."""
    if count is None or forgotten(policy, count, now):
        count = Count(0, now, None, None)
    failures = count.failures + 1
    locked_until = count.locked_until
    started = None
    if failures >= lockout_after(policy, key) and not is_locked(count, now):
        locked_until = now + timedelta(seconds=policy.lockout_s)
        started = Lockout(key, failures, locked_until)
    blocked_until = now + timedelta(seconds=backoff_s(policy, failures))
    return Count(failures, now, blocked_until, locked_until), started
