"""The centre's HTTP API: sign in, and every station's drones, incidents, free drones and
freshness, each answer limited to the stations the user may see (:func:`centre_deps.scope`).

The paths the live page reads on a station keep their meaning here (``/api/auth/login``,
``/api/me``, ``/api/freshness``, ``/web/config.json``); the centre's own are under
``/api/centre/``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from groundstation.api.centre_deps import (
    CentreServicesDep,
    CentreUserDep,
    SignedInCentreUser,
    scope,
)
from groundstation.api.schemas import LoginRequest, PasswordChange
from groundstation.errors import InvalidRequest, NotAuthenticated, TooManyRequests
from groundstation.federation import login_throttle, picture, spatial
from groundstation.federation.users import (
    CentreUser,
    change_own_password,
    revoke_tokens,
    user_by_name,
)
from groundstation.federation.view import incident_view
from groundstation.login_throttle import ThrottleKey

log = logging.getLogger(__name__)
router = APIRouter(tags=["centre"])

#: as the station's page (api.web; a router module may not import another)
DEFAULT_LANG = "zh-CN"
TIME_ZONE = "Asia/Shanghai"

StationsQuery = Annotated[
    list[str] | None, Query(description="only these stations (within the user's scope)")
]


class CentreUserPublic(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    station: str | None = Field(description="the one station this user sees; null: all")
    must_change_password: bool = Field(
        description="signed in with a password an operator reset: only changing it is allowed"
    )

    @classmethod
    def of(cls, u: CentreUser) -> CentreUserPublic:
        return cls(
            id=u.id, username=u.username, full_name=u.full_name, role=u.role, station=u.station,
            must_change_password=u.must_change_password,
        )  # fmt: skip


class CentreToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: CentreUserPublic


class AreaQuery(BaseModel):
    """An area as a GeoJSON Polygon or MultiPolygon (WGS84)."""

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


@router.get("/web/config.json")
async def web_config() -> dict[str, Any]:
    """What the page needs before login: that it talks to a centre, language, time zone (base
    maps come after login, from ``/api/map/basemaps``, as on a station)."""
    return {"role": "centre", "default_lang": DEFAULT_LANG, "time_zone": TIME_ZONE}


@router.post(
    "/api/auth/login",
    responses={429: {"description": "too many failed logins: backing off or locked"}},
)
async def login(body: LoginRequest, request: Request, services: CentreServicesDep) -> CentreToken:
    """A bearer token for a centre user (401 if the name and password do not match; 429
    while failed logins of the name or the address back off or are locked, as on a station,
    counted in the centre's store: ``ecopatrol centre-users unlock`` lifts a lockout)."""
    address = request.client.host if request.client else "unknown"
    keys = [ThrottleKey("user", body.username), ThrottleKey("address", address)]
    policy, engine = services.settings.login, services.engine
    async with services.login_locks.hold(f"user:{body.username}", f"address:{address}"):
        now = datetime.now(UTC)
        refused = await login_throttle.refusal(engine, keys, policy, now)
        if refused is not None:
            raise TooManyRequests(
                refused.message(now), retry_after_s=refused.retry_after_s(now),
                locked=refused.locked,
            )  # fmt: skip
        user = await user_by_name(engine, body.username)
        hashed = user.password_hash if user is not None else services.passwords.dummy_hash()
        ok = await services.passwords.verify(hashed, body.password)
        if not ok or user is None or not user.active:
            for lockout in await login_throttle.record_failure(
                engine, keys, policy, datetime.now(UTC)
            ):
                log.warning(
                    "centre login: %s %r locked until %s after %d failures",
                    lockout.key.noun, lockout.key.key, lockout.until.isoformat(),
                    lockout.failures,
                )  # fmt: skip
            raise NotAuthenticated("wrong username or password")
        await login_throttle.clear(engine, keys[0])
    issued = services.tokens.issue(user.id, user.token_version)
    return CentreToken(
        access_token=issued.token, expires_at=issued.expires_at, user=CentreUserPublic.of(user)
    )


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(user: SignedInCentreUser, services: CentreServicesDep) -> Response:
    """End every token of the user, and close their live connections."""
    await revoke_tokens(services.engine, user.id)
    services.revocations.revoke(user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/me")
async def me(user: SignedInCentreUser) -> CentreUserPublic:
    """The user the token belongs to (``must_change_password``: nothing else is allowed until
    they choose their own password)."""
    return CentreUserPublic.of(user)


@router.post("/api/auth/password")
async def change_password(
    body: PasswordChange, user: SignedInCentreUser, services: CentreServicesDep
) -> CentreToken:
    """Choose one's own password, as on a station: the current one, and a new one the password
    policy accepts (403 if the current one is wrong, 422 if the new one is refused).

    Clears ``must_change_password``; every token of the user, this one too, ends and a new one
    is answered. Recorded in ``centre_user_events``, refusals too.
    """
    changed = await change_own_password(
        services.engine, services.passwords, user, body.current_password, body.password
    )
    services.revocations.revoke(user.id)
    issued = services.tokens.issue(changed.id, changed.token_version)
    return CentreToken(
        access_token=issued.token, expires_at=issued.expires_at, user=CentreUserPublic.of(changed)
    )


@router.get("/api/centre/stations")
async def stations(user: CentreUserDep, services: CentreServicesDep) -> list[str]:
    """The stations the user may see that the centre has heard from (the page's filter)."""
    return await picture.stations(services.engine, scope(user))


@router.get("/api/centre/vehicles")
async def vehicles(
    user: CentreUserDep, services: CentreServicesDep, station: StationsQuery = None
) -> list[dict[str, Any]]:
    """Each vehicle's latest frame (``sysid`` is the centre's key; ``station_sysid`` the
    station's)."""
    return await picture.vehicles(services.engine, scope(user, station))


@router.get("/api/centre/incidents")
async def incidents(
    user: CentreUserDep,
    services: CentreServicesDep,
    station: StationsQuery = None,
    resolved: bool = False,
) -> list[dict[str, Any]]:
    """The incidents not resolved (``resolved=true``: all), oldest first."""
    return await picture.incidents(services.engine, scope(user, station), resolved=resolved)


@router.get("/api/centre/incidents/area")
async def incidents_in_bbox(
    user: CentreUserDep,
    services: CentreServicesDep,
    bbox: Annotated[str, Query(description="west,south,east,north in degrees (WGS84)")],
    station: StationsQuery = None,
    resolved: bool = False,
) -> list[dict[str, Any]]:
    """The incidents inside a box, oldest first."""
    w, s, e, n = _bbox(bbox)
    area = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    return await _in_area(services, user, area, station, resolved)


@router.post("/api/centre/incidents/area")
async def incidents_in_polygon(
    body: AreaQuery,
    user: CentreUserDep,
    services: CentreServicesDep,
    station: StationsQuery = None,
    resolved: bool = False,
) -> list[dict[str, Any]]:
    """The incidents inside a GeoJSON polygon, oldest first."""
    return await _in_area(services, user, body.model_dump(), station, resolved)


async def _in_area(
    services: CentreServicesDep,
    user: CentreUser,
    area: dict[str, Any],
    station: list[str] | None,
    resolved: bool,
) -> list[dict[str, Any]]:
    found = await spatial.incidents_in_area(
        services.engine, area, stations=scope(user, station), include_resolved=resolved
    )
    return [incident_view(s, key, data) for key, s, data in found]


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidRequest("bbox: four numbers, west,south,east,north", field="bbox") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise InvalidRequest("bbox: west < east and south < north, in degrees", field="bbox")
    return w, s, e, n


class FreeDronePublic(BaseModel):
    station: str
    sysid: int = Field(description="the station's system id")
    name: str | None
    distance_m: float
    battery_pct: float | None


@router.get("/api/centre/nearest-free")
async def nearest_free(
    user: CentreUserDep,
    services: CentreServicesDep,
    lat_deg: Annotated[float, Query(ge=-90, le=90)],
    lon_deg: Annotated[float, Query(ge=-180, le=180)],
    limit: Annotated[int, Query(ge=1, le=50)] = 1,
    min_battery_pct: Annotated[float, Query(ge=0, le=100)] = 50.0,
    station: StationsQuery = None,
) -> list[FreeDronePublic]:
    """The free drones (disarmed, charged) of the stations, nearest first."""
    found = await spatial.nearest_free(
        services.engine, lat_deg, lon_deg, min_battery_pct=min_battery_pct, limit=limit,
        stations=scope(user, station),
    )  # fmt: skip
    return [FreeDronePublic(**asdict(d)) for d in found]


_MAX_AGE = "the station's page sends it; here each station's own max_age_h applies"


@router.get("/api/freshness")
async def freshness(
    user: CentreUserDep,
    services: CentreServicesDep,
    station: StationsQuery = None,
    max_age_h: Annotated[
        float | None,
        Query(gt=0, description="the station page sends it; each station's own applies"),
    ] = None,
) -> dict[str, Any]:
    """Every station's freshness merged over the whole river (GeoJSON; each station classes
    its cells with its own ``max_age_h``, listed in ``properties.stations``)."""
    return await spatial.merged_freshness(services.engine, stations=scope(user, station))
