"""Logging in and out, finding out who you are, and the lockouts of failed logins.

Every login attempt is first checked against the throttle of its username and of its client
address (:mod:`groundstation.db.throttle`): one that is backing off or locked is refused with 429
and a ``Retry-After`` before its password is looked at. A failure counts against both; the
username's count is forgotten on success. Attempts on one username or from one address run one
at a time (:class:`~groundstation.keyed_locks.KeyedLocks`), so a burst of parallel guesses cannot
slip past the count.

A user whose password an admin set (a reset, a generated one) signs in as usual but must choose
their own before anything else (``POST /api/auth/password``; every other route answers 403
``password_change_required``, see :mod:`groundstation.api.deps`); any user may change theirs
there at any time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response

from groundstation.api.deps import (
    AdminUser,
    PasswordsDep,
    RevocationsDep,
    ServicesDep,
    SessionDep,
    SettingsDep,
    SignedInUser,
    TokensDep,
)
from groundstation.api.schemas import (
    LockoutPublic,
    LoginRequest,
    Page,
    PasswordChange,
    TokenPublic,
    UnlockRequest,
    UserPublic,
)
from groundstation.db import throttle
from groundstation.db.audit import audit
from groundstation.db.types import utcnow
from groundstation.db.users import authenticate, set_own_password
from groundstation.errors import InvalidRequest, NotAuthenticated, ServiceError, TooManyRequests
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
async def logout(user: SignedInUser, session: SessionDep, revocations: RevocationsDep) -> Response:
    """Revoke every token of the current user (every device and live connection is logged out)."""
    user.token_version += 1
    await audit(session, user, None, "logout", "ok")  # commits the new version with the entry
    revocations.revoke(user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/me")
async def me(user: SignedInUser) -> UserPublic:
    """The user the token belongs to (``must_change_password``: nothing else is allowed until
    they choose their own password)."""
    return UserPublic.from_row(user)


@router.post("/api/auth/password")
async def change_password(
    body: PasswordChange,
    user: SignedInUser,
    session: SessionDep,
    passwords: PasswordsDep,
    tokens: TokensDep,
    revocations: RevocationsDep,
) -> TokenPublic:
    """Choose one's own password: the current one, and a new one the password policy accepts
    (403 if the current one is wrong, 422 if the new one is refused).

    Clears ``must_change_password``; every token of the user, this one too, is revoked and a
    new one answered. Audited as ``user.password_change``, refusals too.
    """
    forced = user.must_change_password
    try:
        await set_own_password(session, passwords, user, body.current_password, body.password)
    except ServiceError as exc:  # refused before anything changed
        refused = {"field": str(exc.fields.get("field", "")), "forced": forced}
        await audit(session, user, None, "user.password_change", "refused", refused)
        raise
    params = {"user_id": user.id, "username": user.username, "forced": forced}
    await audit(session, user, None, "user.password_change", "ok", params)  # commits it
    revocations.revoke(user.id)
    issued = tokens.issue(user.id, user.token_version)
    return TokenPublic(
        access_token=issued.token, expires_at=issued.expires_at, user=UserPublic.from_row(user)
    )


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
