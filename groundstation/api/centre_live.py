"""The centre's ``/ws/live``: the station page's live stream, with every station's drones,
patrols, incidents and alerts, each client seeing only the stations its user may see.

Authentication as on a station (``?token=`` or a first ``{"type": "auth", "token": ...}``
message; 1008 when missing, refused, revoked or expired; reason ``password_change_required``
for a user who must first change the password an operator set). ``?station=`` (repeatable) narrows
the stream to some stations, within the user's scope (asking for another station: 1008).
The client is subscribed to the feed *before* the snapshot is read, so nothing stored in
between is missed (it may arrive twice; the page applies both by id). The messages and their
times (``station_at``, ``centre_at``) are described in :mod:`groundstation.federation.feed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from groundstation.api.centre_deps import (
    CentreServices,
    CentreServicesDep,
    scope,
    user_for_claims,
)
from groundstation.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied
from groundstation.federation import picture
from groundstation.federation.feed import FeedClient
from groundstation.federation.users import CentreUser
from groundstation.security import TokenClaims

router = APIRouter(tags=["centre"])

CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013
AUTH_TIMEOUT_S = 10.0
#: How often an open stream checks that its user is still enabled with the same token version.
RECHECK_S = 15.0


async def _authenticate(
    services: CentreServices, websocket: WebSocket, token: str | None
) -> tuple[CentreUser, TokenClaims] | None:
    """The token's user, None when it is missing or refused; :class:`PasswordChangeRequired`
    for a user who must change their password first."""
    if token is None:
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_S):
                first = await websocket.receive_text()
            message = json.loads(first)
        except (TimeoutError, WebSocketDisconnect, json.JSONDecodeError, KeyError):
            return None
        if not isinstance(message, dict) or message.get("type") != "auth":
            return None
        token = message.get("token")
        if not isinstance(token, str):
            return None
    try:
        claims = services.tokens.decode(token)
        return await user_for_claims(services, claims), claims
    except NotAuthenticated:
        return None


async def snapshot(
    services: CentreServices, user: CentreUser, stations: frozenset[str] | None
) -> dict[str, Any]:
    """What is true now for `user`, within `stations` (None: all)."""
    engine = services.engine
    return {
        "v": 1,
        "type": "snapshot",
        "ts": datetime.now(UTC).isoformat(),
        "data": {
            "user": {
                "id": user.id, "username": user.username, "role": user.role,
                "full_name": user.full_name, "station": user.station,
            },
            "stations": await picture.stations(engine, stations),
            "vehicles": await picture.vehicles(engine, stations),
            "patrols": await picture.patrols(engine, stations),
            "incidents": await picture.incidents(engine, stations),
            "alerts": await picture.alerts(engine, stations),
        },
    }  # fmt: skip


@router.websocket("/ws/live")
async def live(
    websocket: WebSocket,
    services: CentreServicesDep,
    token: str | None = None,
    station: list[str] | None = Query(None),  # noqa: B008  # FastAPI's query declaration
) -> None:
    await websocket.accept()
    try:
        found = await _authenticate(services, websocket, token)
    except PasswordChangeRequired:
        await websocket.close(code=CLOSE_POLICY, reason=PasswordChangeRequired.CODE)
        return
    if found is None:
        await websocket.close(code=CLOSE_POLICY, reason="authentication required")
        return
    user, claims = found
    try:
        stations = scope(user, station)
    except PermissionDenied as exc:
        await websocket.close(code=CLOSE_POLICY, reason=str(exc)[:120])
        return
    why: list[str] = []
    with (
        services.feed.subscription(stations) as client,
        services.revocations.watch(user.id) as revoked,
    ):
        try:
            await websocket.send_text(
                json.dumps(await snapshot(services, user, stations), default=str)
            )
        except (WebSocketDisconnect, OSError):
            return
        await _first_of(
            _relay(websocket, client),
            _read(websocket),
            client.closed.wait(),
            _token_end(services, revoked, claims, why),
        )
        reason = why[0] if why else client.close_reason
    code = CLOSE_POLICY if why else CLOSE_TRY_AGAIN if reason else None
    if code is not None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(code=code, reason=reason or "")


async def _relay(websocket: WebSocket, client: FeedClient) -> None:
    while True:
        await websocket.send_text(await client.queue.get())


async def _read(websocket: WebSocket) -> None:
    """Answer pings; return when the client goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if _is_ping(message.get("text")):
            now = datetime.now(UTC).isoformat()
            await websocket.send_text(json.dumps({"v": 1, "type": "pong", "ts": now, "data": {}}))


def _is_ping(text: str | None) -> bool:
    """``{"type": "ping"}`` (the page's keep-alive), however it is spaced.

    >>> _is_ping('{"type":"ping"}'), _is_ping('{"type": "auth"}'), _is_ping("[")
    (True, False, False)
    """
    if not text or len(text) > 100:
        return False
    try:
        return bool(json.loads(text) == {"type": "ping"})
    except json.JSONDecodeError:
        return False


async def _token_end(
    services: CentreServices, revoked: asyncio.Event, claims: TokenClaims, why: list[str]
) -> None:
    """Return when the token is revoked or expires, saying which in `why`.

    A logout in this process sets `revoked` at once; a change made from the CLI in another
    process (``ecopatrol centre-users disable`` or ``reset-password``) is seen in the store
    within ``RECHECK_S``.
    """
    left_s = (claims.expires_at - datetime.now(UTC)).total_seconds()
    try:
        async with asyncio.timeout(max(0.0, left_s)):
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RECHECK_S):
                        await revoked.wait()
                    break
                if not await _still_valid(services, claims):
                    break
        why.append("token revoked")
    except TimeoutError:
        why.append("token expired")


async def _still_valid(services: CentreServices, claims: TokenClaims) -> bool:
    """Whether the token's user is still there, enabled, with the token's version."""
    try:
        await user_for_claims(services, claims)
    except (NotAuthenticated, PasswordChangeRequired):
        return False
    return True


async def _first_of(*coros: Any) -> None:
    """Run `coros` until the first ends, then cancel the rest (a client leaving is normal)."""
    tasks = [asyncio.ensure_future(_quiet(c)) for c in coros]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _quiet(coro: Any) -> None:
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):
        await coro
