"""The centre's own logins (``centre_users``): officers and admins, each scoped to one
station or (``station`` NULL) to every station.

Passwords are hashed by the caller (:class:`groundstation.security.Passwords`); a token carries
the user's id and ``token_version``, which a logout bumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from groundstation.errors import Conflict

CentreRole = Literal["officer", "admin"]
_COLUMNS = "id, username, full_name, password_hash, role, station, token_version"


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

    @property
    def stations(self) -> frozenset[str] | None:
        """The stations this user may see (None: all)."""
        return None if self.station is None else frozenset({self.station})


def _user(r: Any) -> CentreUser:
    return CentreUser(
        r.id, r.username, r.full_name, r.password_hash, r.role, r.station, r.token_version
    )


async def create_user(
    engine: AsyncEngine,
    username: str,
    password_hash: str,
    *,
    role: CentreRole = "officer",
    station: str | None = None,
    full_name: str = "",
) -> CentreUser:
    """A new centre user; Conflict if the name is taken."""
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
