"""FastAPI dependencies: the station's services (``ServicesDep``), the current user, role checks.

Role checks live here, once, as dependencies; routes declare what they need with the
``Annotated`` aliases instead of testing roles themselves:

- ``SignedInUser``: any active user with a valid token, even one who must first change the
  password an admin set (only for ``/api/me``, logging out and changing one's password);
- ``CurrentUser``: the same, once any such password change is done (everything else);
- ``PilotUser``: pilots (drones and patrols);
- ``OfficerUser``: officers (managing incidents);
- ``AdminUser``: admins (users, audit log).

An admin passes every role check: the station's administrator can stand in for anyone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from groundstation.api.inputs import INT64_MAX
from groundstation.config import Settings
from groundstation.db.models import Role, User
from groundstation.db.users import user_or_none
from groundstation.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied
from groundstation.security import Passwords, Revocations, TokenClaims, TokenCodec
from groundstation.services import Services
from groundstation.telemetry.hub import Hub


def services(connection: HTTPConnection) -> Services:
    """The running station's services (requests and websockets alike)."""
    found: Services = connection.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_hub(services: ServicesDep) -> Hub:
    return services.hub


def get_tokens(services: ServicesDep) -> TokenCodec:
    return services.tokens


def get_revocations(services: ServicesDep) -> Revocations:
    return services.revocations


def get_passwords(services: ServicesDep) -> Passwords:
    return services.passwords


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """One short session per request; rolled back if the route did not commit."""
    async with services.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
HubDep = Annotated[Hub, Depends(get_hub)]
TokensDep = Annotated[TokenCodec, Depends(get_tokens)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
RevocationsDep = Annotated[Revocations, Depends(get_revocations)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/login")


async def token_user(session: AsyncSession, claims: TokenClaims) -> User:
    """The active user a decoded token belongs to, else :class:`NotAuthenticated`; whether
    they must change their password first is the caller's business."""
    if claims.user_id > INT64_MAX:  # a forged or foreign token: no row has such an id
        raise NotAuthenticated("invalid token subject")
    user = await user_or_none(session, claims.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("user unknown or disabled")
    if user.token_version != claims.version:
        raise NotAuthenticated("token revoked (logged out, or password or role changed)")
    return user


def require_own_password(user: User) -> User:
    """`user`, unless they must first change a password an admin set
    (:class:`PasswordChangeRequired`, 403)."""
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


async def user_for_claims(session: AsyncSession, claims: TokenClaims) -> User:
    """The active user a decoded token belongs to, else :class:`NotAuthenticated`;
    :class:`PasswordChangeRequired` while they must change their password."""
    return require_own_password(await token_user(session, claims))


async def user_for_token(session: AsyncSession, tokens: TokenCodec, token: str) -> User:
    """:func:`user_for_claims` of a token."""
    return await user_for_claims(session, tokens.decode(token))


async def signed_in_user(
    session: SessionDep,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The token's user, even one who must change their password first."""
    if credentials is None:
        raise NotAuthenticated("missing bearer token")
    return await token_user(session, tokens.decode(credentials.credentials))


SignedInUser = Annotated[User, Depends(signed_in_user)]


async def current_user(user: SignedInUser) -> User:
    """The token's user, refused (403 ``password_change_required``) while they must change
    the password an admin set: every route but ``/api/me``, logout and the change itself."""
    return require_own_password(user)


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through users with one of `roles` (or admins)."""
    allowed = frozenset(roles) | {Role.ADMIN}
    names = " or ".join(sorted(r.value for r in allowed))

    async def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise PermissionDenied(f"requires role {names}", role=user.role.value)
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]
PilotUser = Annotated[User, Depends(require_role(Role.PILOT))]
OfficerUser = Annotated[User, Depends(require_role(Role.OFFICER))]
