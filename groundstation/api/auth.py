"""Logging in and out, finding out who you are, and the lockouts of failed logins.

Every login attempt is first checked against the throttle of its username and of its client
address (:mod:`groundstation.db.throttle`): one that is backing off or locked is refused with 429
and a ``Retry-After`` before its password is looked at. A failure counts against both; the
username's count is forgotten on success. Attempts on one username or from one address run one
at a time (:class:`~groundstation.keyed_locks.KeyedLocks`), so a burst of parallel guesses cannot
slip past the count.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response

from groundstation.api.deps import (
    AdminUser,
    CurrentUser,
    PasswordsDep,
    RevocationsDep,
    ServicesDep,
    SessionDep,
    SettingsDep,
    TokensDep,
)
from groundstation.api.schemas import (
    LockoutPublic,
    LoginRequest,
    Page,
    TokenPublic,
    UnlockRequest,
    UserPublic,
)
from groundstation.db import throttle
from groundstation.db.audit import audit
from groundstation.db.types import utcnow
from groundstation.db.users import authenticate
from groundstation.errors import InvalidRequest, NotAuthenticated, TooManyRequests
from groundstation.keyed_locks import KeyedLocks

router = APIRouter(tags=["auth"])


def get_login_locks(services: ServicesDep) -> KeyedLocks:
    return services.login_locks


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/api/auth/login",
    responses={429: {"description": "too many failed logins: backing off or locked"}},
)
async def login(
    body: LoginRequest,
    request: Request,
    session: SessionDep,
    passwords: PasswordsDep,
    tokens: TokensDep,
    settings: SettingsDep,
    locks: Annotated[KeyedLocks, Depends(get_login_locks)],
) -> TokenPublic:
    """Exchange a username and password for a bearer token (401 if they do not match)."""
    address = client_address(request)
    keys = [throttle.ThrottleKey("user", body.username), throttle.ThrottleKey("address", address)]
    policy = settings.login
    async with locks.hold(f"user:{body.username}", f"address:{address}"):
        now = utcnow()
        refused = await throttle.refusal(session, keys, policy, now)
        if refused is not None:
            retry_after = refused.retry_after_s(now)
            raise TooManyRequests(
                refused.message(now), retry_after_s=retry_after, locked=refused.locked
            )
        try:
            user = await authenticate(session, passwords, body.username, body.password)
        except NotAuthenticated:
            await _failed(session, keys, body.username, address, settings)
            raise
        await throttle.clear(session, keys[0])
        await session.commit()
        await audit(session, user, None, "login", "ok", {"address": address})
    issued = tokens.issue(user.id, user.token_version)
    return TokenPublic(
        access_token=issued.token, expires_at=issued.expires_at, user=UserPublic.from_row(user)
    )


async def _failed(
    session: SessionDep,
    keys: list[throttle.ThrottleKey],
    username: str,
    address: str,
    settings: SettingsDep,
) -> None:
    """Count and audit a failed login, and any lockout it starts."""
    now = utcnow()
    lockouts = await throttle.record_failure(session, keys, settings.login, now)
    await throttle.prune(session, settings.login, now)
    await audit(session, None, None, "login", "failed", {"address": address}, actor=username)
    for lockout in lockouts:
        params = {
            "kind": lockout.key.kind,
            "key": lockout.key.key,
            "failures": lockout.failures,
            "until": lockout.until.isoformat(),
        }
        await audit(session, None, None, "login.lockout", "locked", params, actor=username)


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(user: CurrentUser, session: SessionDep, revocations: RevocationsDep) -> Response:
    """Revoke every token of the current user (every device and live connection is logged out)."""
    user.token_version += 1
    await audit(session, user, None, "logout", "ok")  # commits the new version with the entry
    revocations.revoke(user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/me")
async def me(user: CurrentUser) -> UserPublic:
    """The user the token belongs to."""
    return UserPublic.from_row(user)


@router.get("/api/auth/lockouts")
async def list_lockouts(session: SessionDep, _admin: AdminUser) -> Page[LockoutPublic]:
    """Usernames and client addresses whose logins are refused for now (admins only)."""
    rows = await throttle.active(session, utcnow())
    return Page(data=[LockoutPublic.from_row(r) for r in rows], count=len(rows))


@router.post("/api/auth/unlock")
async def unlock(body: UnlockRequest, session: SessionDep, admin: AdminUser) -> Page[LockoutPublic]:
    """Lift the lockout and back-off of a username or a client address (admins only).

    Answers with the failures that were forgotten (none if there were none); audited as
    ``login.unlock``.
    """
    if (body.username is None) == (body.address is None):
        raise InvalidRequest("give exactly one of username or address", field="username")
    if body.username is not None:
        key = throttle.ThrottleKey("user", body.username)
    else:
        assert body.address is not None
        key = throttle.ThrottleKey("address", body.address)
    row = await throttle.unlock(session, key, admin)
    lifted = [LockoutPublic.from_row(row)] if row is not None else []
    return Page(data=lifted, count=len(lifted))
