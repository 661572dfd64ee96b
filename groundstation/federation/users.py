"""The centre's own logins (``centre_users``): officers and admins, each scoped to one
station or (``station`` NULL) to every station.

Passwords are hashed by the caller (:class:`groundstation.security.Passwords`); a token carries
the user's id and ``token_version``, which a logout, a new password and disabling bump. A
disabled user (``active`` false) cannot sign in and their tokens stop working. What an operator
does to a user (create, disable, enable, reset a password, lift a login lockout) is recorded in
``centre_user_events`` with who did it (the centre has no audit chain of its own; its commands
to stations are recorded in ``fed_commands``).
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

from groundstation.errors import Conflict, NotFound

CentreRole = Literal["officer", "admin"]
_COLUMNS = "id, username, full_name, password_hash, role, station, token_version, active"


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
        r.active,
    )  # fmt: skip


async def _record(
    conn: AsyncConnection,
    actor: str,
    username: str,
    action: str,
    params: Mapping[str, Any] | None = None,
) -> None:
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
                await _record(conn, actor, username, "create", params)
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
        await _record(conn, actor, username, "enable" if active else "disable")
    return True


async def set_password(
    engine: AsyncEngine, username: str, password_hash: str, actor: str, *, generated: bool
) -> None:
    """Give `username` a new password (already hashed) and end their tokens; :class:`NotFound`
    if there is no such user. Recorded as `actor`'s (whether it was generated, never the
    password)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            text(
                "UPDATE centre_users SET password_hash = :hash, "
                "token_version = token_version + 1 WHERE username = :u"
            ),
            {"hash": password_hash, "u": username},
        )
        if result.rowcount == 0:
            raise NotFound("centre user", username)
        await _record(conn, actor, username, "password_reset", {"generated": generated})


async def record(
    engine: AsyncEngine,
    actor: str,
    username: str,
    action: str,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Record a change made to `username` outside this module (a login lockout lifted)."""
    async with engine.begin() as conn:
        await _record(conn, actor, username, action, params)


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
