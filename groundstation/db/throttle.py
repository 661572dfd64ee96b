"""Failed logins in the store: back-off and lockout per username and per client address.

Kept in the store, not in memory, so a restart does not reset an attack's count and
``ecopatrol users unlock`` (another process) can lift a lockout. The caller serialises the
attempts on one key (see :class:`groundstation.keyed_locks.KeyedLocks`), so check-then-count here
needs no row locks.

>>> policy = LoginSettings(free_failures=3, backoff_base_s=1, backoff_max_s=60)
>>> [backoff_s(policy, n) for n in range(1, 12)]
[0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.config import LoginSettings
from groundstation.db.audit import audit
from groundstation.db.models import LoginThrottle, User

Kind = Literal["user", "address"]
_KEY_LEN = 255


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    kind: Kind
    key: str

    @property
    def noun(self) -> str:
        return "username" if self.kind == "user" else "client address"


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


def _lockout_after(policy: LoginSettings, key: ThrottleKey) -> int:
    return policy.user_lockout_after if key.kind == "user" else policy.address_lockout_after


async def get(session: AsyncSession, key: ThrottleKey) -> LoginThrottle | None:
    query = select(LoginThrottle).where(
        LoginThrottle.kind == key.kind, LoginThrottle.key == key.key[:_KEY_LEN]
    )
    return (await session.execute(query)).scalar_one_or_none()


def _forgotten(row: LoginThrottle, policy: LoginSettings, now: datetime) -> bool:
    locked = row.locked_until is not None and row.locked_until > now
    return not locked and now - row.last_failure_at > timedelta(seconds=policy.forget_after_s)


async def refusal(
    session: AsyncSession, keys: list[ThrottleKey], policy: LoginSettings, now: datetime
) -> Refusal | None:
    """The first of `keys` that is locked or backing off at `now`, else None."""
    for key in keys:
        row = await get(session, key)
        if row is None or _forgotten(row, policy, now):
            continue
        if row.locked_until is not None and row.locked_until > now:
            return Refusal(key, locked=True, until=row.locked_until)
        if row.blocked_until is not None and row.blocked_until > now:
            return Refusal(key, locked=False, until=row.blocked_until)
    return None


async def record_failure(
    session: AsyncSession, keys: list[ThrottleKey], policy: LoginSettings, now: datetime
) -> list[Lockout]:
    """Count a failed login against every key (flushed, not committed); the lockouts it starts."""
    started: list[Lockout] = []
    for key in keys:
        row = await get(session, key)
        if row is None:
            row = LoginThrottle(kind=key.kind, key=key.key[:_KEY_LEN], failures=0)
            session.add(row)
        elif _forgotten(row, policy, now):
            row.failures, row.blocked_until, row.locked_until = 0, None, None
        row.failures += 1
        row.last_failure_at = now
        row.blocked_until = now + timedelta(seconds=backoff_s(policy, row.failures))
        lock_over = row.locked_until is None or row.locked_until <= now
        if row.failures >= _lockout_after(policy, key) and lock_over:
            row.locked_until = now + timedelta(seconds=policy.lockout_s)
            started.append(Lockout(key, row.failures, row.locked_until))
    await session.flush()
    return started


async def clear(session: AsyncSession, key: ThrottleKey) -> bool:
    """Forget the failures of `key` (a successful login, an admin's unlock); whether any were."""
    result = await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.kind == key.kind, LoginThrottle.key == key.key[:_KEY_LEN]
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def active(session: AsyncSession, now: datetime) -> list[LoginThrottle]:
    """The keys locked or backing off at `now`, most recent failure first."""
    query = (
        select(LoginThrottle)
        .where(or_(LoginThrottle.locked_until > now, LoginThrottle.blocked_until > now))
        .order_by(LoginThrottle.last_failure_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def prune(session: AsyncSession, policy: LoginSettings, now: datetime) -> None:
    """Delete the rows nobody needs any more (no lockout, last failure long forgotten)."""
    old = now - timedelta(seconds=policy.forget_after_s)
    await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < old,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
    )


async def unlock(
    session: AsyncSession, key: ThrottleKey, admin: User | None, actor: str | None = None
) -> LoginThrottle | None:
    """Forget `key`'s failures and lockout, audited as `admin` (or `actor`), and commit.

    Returns the row as it was, None if there was nothing to lift.
    """
    row = await get(session, key)
    if row is not None:
        session.expunge(row)
    await clear(session, key)
    result = "lifted" if row is not None else "nothing to lift"
    params = {"kind": key.kind, "key": key.key}
    await audit(session, admin, None, "login.unlock", result, params, actor=actor)
    return row
