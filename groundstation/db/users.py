"""Users in the store: create, look up, list, change, check a login, make sure a first admin
exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Role, User
from groundstation.errors import (
    Conflict,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from groundstation.password_policy import check_password
from groundstation.security import Passwords


async def create_user(
    session: AsyncSession,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    must_change_password: bool = False,
) -> User:
    """Add a user (flushed, not committed); :class:`Conflict` if the name is taken.

    `must_change_password`: the password was made for them (generated, read out by an admin):
    they must choose their own at the first sign-in."""
    check_password(password, username, [full_name])
    if await get_by_username(session, username) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=await passwords.hash(password),
        active=True,
        must_change_password=must_change_password,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the name meanwhile
        raise Conflict(f"user {username!r} already exists", field="username") from exc
    return user


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return (
        await session.execute(select(User).where(User.username == username))
    ).scalar_one_or_none()


async def user_or_none(session: AsyncSession, user_id: int) -> User | None:
    """The user with this id, or None."""
    return await session.get(User, user_id)


async def get_user(session: AsyncSession, user_id: int) -> User:
    """The user with this id, else :class:`NotFound`."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def users_by_name(session: AsyncSession, role: Role | None = None) -> Sequence[User]:
    """Every user (or those with `role`), by username."""
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    return (await session.execute(query)).scalars().all()


async def change_user(
    session: AsyncSession,
    passwords: Passwords,
    user: User,
    changes: Mapping[str, Any],
    *,
    admin: User | None = None,
) -> bool:
    """Apply an admin's changes (only the fields given) and commit; True if they revoke the
    user's tokens (a new password, role or active flag), which the caller then announces.

    :class:`Conflict` if they would demote or disable the last active admin; a new password
    must pass the policy. A new password `admin` sets for someone else must be changed by its
    user at the next sign-in (``must_change_password``): the admin has seen it.
    """
    changes = dict(changes)
    demotes_admin = (
        user.role == Role.ADMIN
        and user.active
        and (changes.get("role") not in (None, Role.ADMIN) or changes.get("active") is False)
    )
    if demotes_admin and await count_admins(session) <= 1:
        raise Conflict("cannot demote or disable the last active admin", user_id=user.id)
    revoke = changes.get("password") is not None or any(
        changes.get(name) not in (None, getattr(user, name)) for name in ("role", "active")
    )
    if "password" in changes:
        password = changes.pop("password")
        if password is not None:
            check_password(password, user.username, [changes.get("full_name") or user.full_name])
            user.password_hash = await passwords.hash(password)
            user.must_change_password = admin is not None and admin.id != user.id
    for name, value in changes.items():
        if value is not None or name == "full_name":
            setattr(user, name, value if value is not None else "")
    if revoke:
        user.token_version += 1
    await session.commit()
    return revoke


async def set_own_password(
    session: AsyncSession, passwords: Passwords, user: User, current: str, new: str
) -> None:
    """The user chooses their own password (not committed): `current` must be theirs
    (:class:`PermissionDenied`, field ``current_password``), `new` must differ from it and pass
    the policy (:class:`InvalidRequest`, field ``password``). Clears ``must_change_password``
    and bumps the token version, which revokes every token issued before.
    """
    if not await passwords.verify(user.password_hash, current):
        raise PermissionDenied("the current password is wrong", field="current_password")
    if new == current:
        raise InvalidRequest("the new password must differ from the current one", field="password")
    check_password(new, user.username, [user.full_name])
    user.password_hash = await passwords.hash(new)
    user.must_change_password = False
    user.token_version += 1


async def authenticate(
    session: AsyncSession, passwords: Passwords, username: str, password: str
) -> User:
    """The active user with these credentials, else :class:`NotAuthenticated` (same message).

    An unknown name costs one hash check too (see :meth:`Passwords.verify`), so how long the
    answer takes does not tell whether the user exists.
    """
    user = await get_by_username(session, username)
    ok = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise NotAuthenticated("wrong username or password")
    return user


async def count_admins(session: AsyncSession) -> int:
    query = select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    return int((await session.execute(query)).scalar_one())


async def ensure_first_admin(
    session: AsyncSession, passwords: Passwords, username: str, password: str
) -> User | None:
    """Create `username` as admin if the store has no active admin yet; else do nothing."""
    if await count_admins(session) > 0:
        return None
    user = await create_user(
        session, passwords, username=username, password=password, role=Role.ADMIN
    )
    await session.commit()
    return user
