"""The centre's failed logins, in its PostgreSQL store (``centre_login_throttle``).

The station's policy (:mod:`groundstation.login_throttle`, ``ECOPATROL_LOGIN__*``) on the
centre's own table: per username and per client address, back-off after the free failures,
then a lockout. Kept in the store, not in the centre's memory, so a restart forgets nothing,
``ecopatrol centre-users unlock`` (another process) lifts a lockout (recorded in
``centre_user_events``), and two centre processes count together. A failure is counted under
the row's lock (``SELECT ... FOR UPDATE``), so parallel failures are all counted; the centre
serialises the attempts on one key in its process (:class:`~groundstation.keyed_locks.KeyedLocks`)
as a station does, so a burst of guesses at one process cannot slip past the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from groundstation import login_throttle as policy_of
from groundstation.config import LoginSettings
from groundstation.federation.users import record_on
from groundstation.login_throttle import Lockout, Refusal, ThrottleKey

_KEY_LEN = 255
_COLUMNS = "failures, last_failure_at, blocked_until, locked_until"


@dataclass(frozen=True, slots=True)
class Throttled:
    """A key whose logins are refused for now (locked, or backing off)."""

    key: ThrottleKey
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None
    locked_until: datetime | None


def _key(key: ThrottleKey) -> dict[str, str]:
    return {"kind": key.kind, "key": key.key[:_KEY_LEN]}


def _count(row: Any) -> policy_of.Count:
    return policy_of.Count(row.failures, row.last_failure_at, row.blocked_until, row.locked_until)


async def _get(conn: AsyncConnection, key: ThrottleKey, lock: bool = False) -> Any:
    query = f"SELECT {_COLUMNS} FROM centre_login_throttle WHERE kind = :kind AND key = :key"
    return (await conn.execute(text(query + (" FOR UPDATE" if lock else "")), _key(key))).first()


async def refusal(
    engine: AsyncEngine, keys: list[ThrottleKey], policy: LoginSettings, now: datetime
) -> Refusal | None:
    """The first of `keys` that is locked or backing off at `now`, else None."""
    async with engine.connect() as conn:
        rows = [(key, await _get(conn, key)) for key in keys]
    counted = [(key, None if row is None else _count(row)) for key, row in rows]
    return policy_of.first_refusal(policy, counted, now)


async def record_failure(
    engine: AsyncEngine, keys: list[ThrottleKey], policy: LoginSettings, now: datetime
) -> list[Lockout]:
    """Count a failed login against every key (committed); the lockouts it starts. Rows
    nobody needs any more (no lockout, last failure long forgotten) are deleted."""
    started: list[Lockout] = []
    async with engine.begin() as conn:
        for key in keys:
            await conn.execute(
                text(
                    "INSERT INTO centre_login_throttle (kind, key, failures, last_failure_at) "
                    "VALUES (:kind, :key, 0, :now) ON CONFLICT (kind, key) DO NOTHING"
                ),
                {**_key(key), "now": now},
            )
            count, lockout = policy_of.failed(policy, key, _count(await _get(conn, key, True)), now)
            await conn.execute(
                text(
                    "UPDATE centre_login_throttle SET failures = :failures, "
                    "last_failure_at = :last, blocked_until = :blocked, locked_until = :locked "
                    "WHERE kind = :kind AND key = :key"
                ),
                {**_key(key), "failures": count.failures, "last": count.last_failure_at,
                 "blocked": count.blocked_until, "locked": count.locked_until},
            )  # fmt: skip
            if lockout is not None:
                started.append(lockout)
        await conn.execute(
            text(
                "DELETE FROM centre_login_throttle WHERE last_failure_at < :old "
                "AND (locked_until IS NULL OR locked_until <= :now)"
            ),
            {"old": now - timedelta(seconds=policy.forget_after_s), "now": now},
        )
    return started


async def clear(engine: AsyncEngine, key: ThrottleKey) -> None:
    """Forget `key`'s failures (a successful login)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM centre_login_throttle WHERE kind = :kind AND key = :key"),
            _key(key),
        )


async def throttled(engine: AsyncEngine, now: datetime) -> list[Throttled]:
    """The keys locked or backing off at `now`, most recent failure first."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    f"SELECT kind, key, {_COLUMNS} FROM centre_login_throttle "
                    "WHERE locked_until > :now OR blocked_until > :now "
                    "ORDER BY last_failure_at DESC"
                ),
                {"now": now},
            )
        ).all()
    return [
        Throttled(ThrottleKey(r.kind, r.key), r.failures, r.last_failure_at, r.blocked_until,
                  r.locked_until)
        for r in rows
    ]  # fmt: skip


async def unlock(
    engine: AsyncEngine, username: str, actor: str, address: str | None = None
) -> list[Throttled]:
    """Forget the failures and lockout of `username` (and of the client `address` if given),
    recorded in ``centre_user_events`` as `actor`'s ``unlock`` in the same transaction; the
    counts lifted (none if there was nothing to lift)."""
    keys = [ThrottleKey("user", username)]
    if address is not None:
        keys.append(ThrottleKey("address", address))
    lifted: list[Throttled] = []
    async with engine.begin() as conn:
        for key in keys:
            row = (
                await conn.execute(
                    text(
                        "DELETE FROM centre_login_throttle WHERE kind = :kind AND key = :key "
                        f"RETURNING {_COLUMNS}"
                    ),
                    _key(key),
                )
            ).first()
            if row is not None:
                lifted.append(
                    Throttled(key, row.failures, row.last_failure_at, row.blocked_until,
                              row.locked_until)
                )  # fmt: skip
        params: dict[str, Any] = {
            "lifted": [
                {"kind": t.key.kind, "key": t.key.key, "failures": t.failures,
                 "locked_until": t.locked_until.isoformat() if t.locked_until else None}
                for t in lifted
            ],
        }  # fmt: skip
        if address is not None:
            params["address"] = address
        await record_on(conn, actor, username, "unlock", params)
    return lifted
