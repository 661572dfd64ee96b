"""The centre's own logins (``centre_users``): officers and admins, each scoped to one
station or (``station`` NULL) to every station.

Passwords are hashed with :class:`groundstation.security.Passwords`; a token carries the user's
id and ``token_version``, which a logout, a new password and disabling bump. A password an
operator reset must be changed by its user at the next sign-in (``must_change_password``), as
on a station; a user may change their own at any time (:func:`change_own_password`). A
disabled user (``active`` false) cannot sign in and their tokens stop working. What an operator
does to a user (create, disable, enable, reset a password, lift a login lockout) and a user's
own change of password are recorded in ``centre_user_events`` with who did it (the centre has
no audit chain of its own; its commands to stations are recorded in ``fed_commands``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from groundstation.errors import (
    Conflict,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from groundstation.password_policy import check_password
from groundstation.security import Passwords

CentreRole = Literal["officer", "admin"]
_COLUMNS = (
    "id, username, full_name, password_hash, role, station, token_version, active, "
    "must_change_password"
)


@dataclass(frozen=True, slots=True)
class CentreUser:
    """A centre login. ``station`` None: the centre's own (sees every station)."""

    id: int
    username: str
    full_name: str
    password_hash: str
    role: str
    station: str | None
    token_version: int
    active: bool = True
    #: the password was set by an operator: nothing but choosing their own until they do
    must_change_password: bool = False

    @property
    def stations(self) -> frozenset[str] | None:
        """The stations this user may see (None: all)."""
        return None if self.station is None else frozenset({self.station})


@dataclass(frozen=True, slots=True)
class CentreUserEvent:
    """One change an operator made to a centre user."""

    at: datetime
    actor: str
    username: str
    action: str
    params: dict[str, Any]


def _user(r: Any) -> CentreUser:
    return CentreUser(
        r.id, r.username, r.full_name, r.password_hash, r.role, r.station, r.token_version,
        r.active, r.must_change_password,
    )  # fmt: skip


async def record_on(
    conn: AsyncConnection,
    actor: str,
    username: str,
    action: str,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Record a change to `username` in the transaction of `conn`."""
    await conn.execute(
        text(
            "INSERT INTO centre_user_events (actor, username, action, params) "
            "VALUES (:actor, :username, :action, CAST(:params AS JSONB))"
        ),
        {"actor": actor, "username": username, "action": action,
         "params": json.dumps(dict(params or {}))},
    )  # fmt: skip


async def create_user(
    engine: AsyncEngine,
    username: str,
    password_hash: str,
    *,
    role: CentreRole = "officer",
    station: str | None = None,
    full_name: str = "",
    actor: str | None = None,
) -> CentreUser:
    """A new centre user; Conflict if the name is taken. `actor` given: recorded as theirs."""
    params = {
        "username": username, "full_name": full_name, "hash": password_hash, "role": role,
        "station": station,
    }  # fmt: skip
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                text(
                    "INSERT INTO centre_users (username, full_name, password_hash, role, "
                    "station) VALUES (:username, :full_name, :hash, :role, :station) "
                    f"RETURNING {_COLUMNS}"
                ),
                params,
            )
            row = result.one()
            if actor is not None:
                params = {"role": role, "station": station}
                await record_on(conn, actor, username, "create", params)
    except IntegrityError as exc:
        raise Conflict(f"centre user {username!r} exists") from exc
    return _user(row)


async def user_by_name(engine: AsyncEngine, username: str) -> CentreUser | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(f"SELECT {_COLUMNS} FROM centre_users WHERE username = :u"), {"u": username}
            )
        ).first()
    return None if row is None else _user(row)


async def user_by_id(engine: AsyncEngine, user_id: int) -> CentreUser | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(f"SELECT {_COLUMNS} FROM centre_users WHERE id = :id"), {"id": user_id}
            )
        ).first()
    return None if row is None else _user(row)


async def revoke_tokens(engine: AsyncEngine, user_id: int) -> None:
    """End every token of the user (a logout)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE centre_users SET token_version = token_version + 1 WHERE id = :id"),
            {"id": user_id},
        )


async def list_users(engine: AsyncEngine, station: str | None = None) -> list[CentreUser]:
    """Every centre user (or those scoped to `station`), by username."""
    query = f"SELECT {_COLUMNS} FROM centre_users"
    if station is not None:
        query += " WHERE station = :station"
    async with engine.connect() as conn:
        rows = (await conn.execute(text(query + " ORDER BY username"), {"station": station})).all()
    return [_user(r) for r in rows]


async def set_active(engine: AsyncEngine, username: str, active: bool, actor: str) -> bool:
    """Enable or disable `username` (disabling ends their tokens); False if it already was.
    :class:`NotFound` if there is no such user. Recorded as `actor`'s."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                text("SELECT active FROM centre_users WHERE username = :u FOR UPDATE"),
                {"u": username},
            )
        ).first()
        if row is None:
            raise NotFound("centre user", username)
        if row.active == active:
            return False
        await conn.execute(
            text(
                "UPDATE centre_users SET active = :active, "
                "token_version = token_version + :bump WHERE username = :u"
            ),
            {"active": active, "bump": 0 if active else 1, "u": username},
        )
        await record_on(conn, actor, username, "enable" if active else "disable")
    return True


async def set_password(
    engine: AsyncEngine, username: str, password_hash: str, actor: str, *, generated: bool
) -> None:
    """Give `username` a new password (already hashed), which they must change at the next
    sign-in (the operator knows it), and end their tokens; :class:`NotFound` if there is no
    such user. Recorded as `actor`'s (whether it was generated, never the password)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            text(
                "UPDATE centre_users SET password_hash = :hash, must_change_password = true, "
                "token_version = token_version + 1 WHERE username = :u"
            ),
            {"hash": password_hash, "u": username},
        )
        if result.rowcount == 0:
            raise NotFound("centre user", username)
        await record_on(conn, actor, username, "password_reset", {"generated": generated})


async def change_own_password(
    engine: AsyncEngine, passwords: Passwords, user: CentreUser, current: str, new: str
) -> CentreUser:
    """`user` chooses their own password, as on a station: `current` must be theirs
    (:class:`PermissionDenied`, field ``current_password``), `new` must differ and pass the
    password policy (:class:`InvalidRequest`, field ``password``). Stored with no change
    required any more and every earlier token ended; recorded as ``password_change`` by
    ``user:<name>`` (a refusal as ``password_change_refused``). The user as now stored;
    :class:`NotAuthenticated` if they changed meanwhile (disabled, reset: the token is stale).
    """
    actor = f"user:{user.username}"
    try:
        if not await passwords.verify(user.password_hash, current):
            raise PermissionDenied("the current password is wrong", field="current_password")
        if new == current:
            raise InvalidRequest(
                "the new password must differ from the current one", field="password"
            )
        check_password(new, user.username, [user.full_name])
    except ServiceError as exc:
        refused = {"field": str(exc.fields.get("field", "")), "forced": user.must_change_password}
        await record(engine, actor, user.username, "password_change_refused", refused)
        raise
    changed = await _set_own_password(engine, user, await passwords.hash(new))
    if changed is None:
        raise NotAuthenticated("token revoked (the user changed meanwhile)")
    return changed


async def _set_own_password(
    engine: AsyncEngine, user: CentreUser, password_hash: str
) -> CentreUser | None:
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                text(
                    "UPDATE centre_users SET password_hash = :hash, must_change_password = false, "
                    "token_version = token_version + 1 WHERE id = :id AND active "
                    f"AND token_version = :version RETURNING {_COLUMNS}"
                ),
                {"hash": password_hash, "id": user.id, "version": user.token_version},
            )
        ).first()
        if row is None:
            return None
        params = {"forced": user.must_change_password}
        await record_on(conn, f"user:{user.username}", user.username, "password_change", params)
    return _user(row)


async def record(
    engine: AsyncEngine,
    actor: str,
    username: str,
    action: str,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Record a change made to `username` outside this module (a login lockout lifted)."""
    async with engine.begin() as conn:
        await record_on(conn, actor, username, action, params)


async def user_events(
    engine: AsyncEngine, username: str | None = None, limit: int = 50
) -> list[CentreUserEvent]:
    """The latest changes made to centre users (or to `username`), newest first."""
    query = "SELECT at, actor, username, action, params FROM centre_user_events"
    if username is not None:
        query += " WHERE username = :u"
    query += " ORDER BY id DESC LIMIT :limit"
    async with engine.connect() as conn:
        rows = (await conn.execute(text(query), {"u": username, "limit": limit})).all()
    return [CentreUserEvent(r.at, r.actor, r.username, r.action, dict(r.params)) for r in rows]
