"""Failed logins in the store: back-off and lockout per username and per client address.

Kept in the store, not in memory, so a restart does not reset an attack's count and
``ecopatrol users unlock`` (another process) can lift a lockout. The policy itself is
:mod:`groundstation.login_throttle`'s (the command centre keeps its counts with the same one).
The caller serialises the attempts on one key (see :class:`groundstation.keyed_locks.KeyedLocks`),
so check-then-count here needs no row locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation import login_throttle as policy_of
from groundstation.config import LoginSettings
from groundstation.db.audit import audit
from groundstation.db.models import LoginThrottle, User
from groundstation.login_throttle import Lockout, Refusal, ThrottleKey, backoff_s

__all__ = ["Lockout", "Refusal", "ThrottleKey", "backoff_s"]

_KEY_LEN = 255


async def get(session: AsyncSession, key: ThrottleKey) -> LoginThrottle | None:
    query = select(LoginThrottle).where(
        LoginThrottle.kind == key.kind, LoginThrottle.key == key.key[:_KEY_LEN]
    )
    return (await session.execute(query)).scalar_one_or_none()


def _count(row: LoginThrottle) -> policy_of.Count:
    return policy_of.Count(row.failures, row.last_failure_at, row.blocked_until, row.locked_until)


async def refusal(
    session: AsyncSession, keys: list[ThrottleKey], policy: LoginSettings, now: datetime
) -> Refusal | None:
    """The first of `keys` that is locked or backing off at `now`, else None."""
    rows = [(key, await get(session, key)) for key in keys]
    counted = [(key, None if row is None else _count(row)) for key, row in rows]
    return policy_of.first_refusal(policy, counted, now)


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
            count, lockout = policy_of.failed(policy, key, None, now)
        else:
            count, lockout = policy_of.failed(policy, key, _count(row), now)
        row.failures, row.last_failure_at = count.failures, count.last_failure_at
        row.blocked_until, row.locked_until = count.blocked_until, count.locked_until
        if lockout is not None:
            started.append(lockout)
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
