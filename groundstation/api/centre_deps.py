"""What the centre's routes depend on: the centre's services and the signed-in centre user.

The centre serves the station's page and a small API of its own (``groundstation.centre_app``);
its users are ``centre_users`` (:mod:`groundstation.federation.users`), each scoped to one
station or to all. ``CentreUserDep`` refuses a user who must first change the password an
operator reset (403 ``password_change_required``, as on a station); ``SignedInCentreUser``
lets them through, for ``/api/me``, logging out and the change itself. :func:`scope` is the
one place a route learns which stations a user may see, intersected with the stations the
request asks for: routes pass it on to every read, so a station's officer is never answered
with another station's data.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from groundstation.config import Settings
from groundstation.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied
from groundstation.federation.centre import Centre
from groundstation.federation.feed import CentreFeed
from groundstation.federation.users import CentreUser, user_by_id
from groundstation.keyed_locks import KeyedLocks
from groundstation.security import Passwords, Revocations, TokenClaims, TokenCodec
from groundstation.web.tile_proxy import TileFetcher


@dataclass(frozen=True, slots=True)
class CentreServices:
    """The running centre: its store, live feed, tokens, and broker client (None in tests
    that feed the store directly)."""

    settings: Settings
    engine: AsyncEngine
    feed: CentreFeed
    tokens: TokenCodec
    passwords: Passwords
    revocations: Revocations
    #: attempts on one username or from one address, one at a time (the counts are stored)
    login_locks: KeyedLocks
    centre: Centre | None = None
    #: fetches internet base-map tiles for the page; None when ``basemap.internet`` is off
    tiles: TileFetcher | None = None


def centre_services(connection: HTTPConnection) -> CentreServices:
    found: CentreServices = connection.app.state.centre
    return found


def centre_tile_fetcher(connection: HTTPConnection) -> TileFetcher | None:
    """The centre's fetcher of internet base-map tiles (``api.basemaps``'s tile route)."""
    return centre_services(connection).tiles


CentreServicesDep = Annotated[CentreServices, Depends(centre_services)]
_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/login")


async def token_user(services: CentreServices, claims: TokenClaims) -> CentreUser:
    """The centre user a decoded token belongs to, else NotAuthenticated; whether they must
    change their password first is the caller's business."""
    user = await user_by_id(services.engine, claims.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("user unknown or disabled")
    if user.token_version != claims.version:
        raise NotAuthenticated("token revoked (logged out)")
    return user


async def user_for_claims(services: CentreServices, claims: TokenClaims) -> CentreUser:
    """:func:`token_user`, and :class:`PasswordChangeRequired` while the user must change
    the password an operator set."""
    user = await token_user(services, claims)
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


async def signed_in_centre_user(
    services: CentreServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CentreUser:
    """The token's user, even one who must change their password first."""
    if credentials is None:
        raise NotAuthenticated("missing bearer token")
    return await token_user(services, services.tokens.decode(credentials.credentials))


SignedInCentreUser = Annotated[CentreUser, Depends(signed_in_centre_user)]


async def current_centre_user(user: SignedInCentreUser) -> CentreUser:
    """The token's user, refused (403 ``password_change_required``) while they must change
    the password an operator set: every route but ``/api/me``, logout and the change."""
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


CentreUserDep = Annotated[CentreUser, Depends(current_centre_user)]


def scope(user: CentreUser, asked: Collection[str] | None = None) -> frozenset[str] | None:
    """The stations `user` may be shown, narrowed to `asked` (None: every station).

    A scoped user asking for another station gets PermissionDenied, not an empty answer.

    >>> u = CentreUser(1, "a", "", "", "officer", "river-a", 0)
    >>> sorted(scope(u)), sorted(scope(u, ["river-a"]))
    (['river-a'], ['river-a'])
    >>> scope(CentreUser(2, "c", "", "", "officer", None, 0)) is None
    True
    """
    mine = user.stations
    if not asked:
        return mine
    wanted = frozenset(asked)
    if mine is not None and not wanted <= mine:
        raise PermissionDenied(
            f"{user.username} may see station {user.station} only", station=user.station
        )
    return wanted
