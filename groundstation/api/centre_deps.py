"""What the centre's routes depend on: the centre's services and the signed-in centre user.

The centre serves the station's page and a small API of its own (``groundstation.centre_app``);
its users are ``centre_users`` (:mod:`groundstation.federation.users`), each scoped to one
station or to all. :func:`scope` is the one place a route learns which stations a user may
see, intersected with the stations the request asks for: routes pass it on to every read, so
a station's officer is never answered with another station's data.
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
from groundstation.errors import NotAuthenticated, PermissionDenied
from groundstation.federation.centre import Centre
from groundstation.federation.feed import CentreFeed
from groundstation.federation.login_guard import LoginGuard
from groundstation.federation.users import CentreUser, user_by_id
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
    login_guard: LoginGuard
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


async def user_for_claims(services: CentreServices, claims: TokenClaims) -> CentreUser:
    """The centre user a decoded token belongs to, else NotAuthenticated."""
    user = await user_by_id(services.engine, claims.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("user unknown or disabled")
    if user.token_version != claims.version:
        raise NotAuthenticated("token revoked (logged out)")
    return user


async def current_centre_user(
    services: CentreServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CentreUser:
    if credentials is None:
        raise NotAuthenticated("missing bearer token")
    return await user_for_claims(services, services.tokens.decode(credentials.credentials))


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
