"""Users in the store: create, look up, list, check a login, make sure a first admin exists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Role, User
from groundstation.errors import Conflict, NotAuthenticated, NotFound
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
) -> User:
    """Add a user (flushed, not committed); :class:`Conflict` if the name is taken."""
    check_password(password, username, [full_name])
    if await get_by_username(session, username) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=await passwords.hash(password),
        active=True,
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
