"""``/ws/live``: the live stream (see docs/live-protocol.md for the message schema).

A client authenticates with ``?token=…`` or, within ``live_auth_timeout_s``, a first message
``{"type": "auth", "token": "…"}``; otherwise the socket is closed with code 1008 (reason
``password_change_required`` for a user who must first change a password an admin set). The
same code closes it later when the token is revoked (a logout, a new password or role) or
expires. Then it is subscribed to the hub *before* the snapshot is read, so nothing published
in between is missed (a change may arrive twice: once in the snapshot, once as an event;
clients apply both by id).

Four tasks in one task group serve a client: the relay (queue -> socket, the only place that
awaits a send; vehicle frames waiting together go as one ``vehicle.frames`` message), the reader
(answers pings, and notices at once when the socket closes), the hub's verdict (overflow,
stuck, shutdown) and the token's end (revoked or expired). Whichever ends first cancels the
others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine, Sequence
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.api.deps import ServicesDep, user_for_claims
from groundstation.api.inputs import InvalidJson, loads
from groundstation.api.live_protocol import LiveUser, Pong, Snapshot
from groundstation.api.schemas import IncidentPublic
from groundstation.config import Settings
from groundstation.db.incidents import unresolved_incidents
from groundstation.db.models import User
from groundstation.db.patrols import open_patrols
from groundstation.db.types import utcnow
from groundstation.db.vehicles import vehicles_by_sysid
from groundstation.errors import NotAuthenticated, PasswordChangeRequired
from groundstation.patrol.config import patrol_payload
from groundstation.security import TokenClaims
from groundstation.services import Services, SnapshotSource
from groundstation.telemetry.events import wire_texts
from groundstation.telemetry.hub import ClientClosed, ClientQueue, make_message
from groundstation.telemetry.messages import PatrolStatus, VehicleFrame

router = APIRouter(tags=["live"])

CLOSE_POLICY = 1008  # authentication missing or refused
CLOSE_GOING_AWAY = 1001  # the station is shutting down
CLOSE_TRY_AGAIN = 1013  # too slow (overflow) or stuck: reconnect for a fresh snapshot
CLOSE_INVALID = 1007  # a message that is JSON-like but not strict JSON (too deep, NaN ...)


class Refused(Exception):
    """The client sent something that ends the connection: close with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close reason is at most 123 bytes (RFC 6455 5.5)


def _parse(text: str) -> Any:
    """The message as JSON; :class:`Refused` if it is not strict JSON, ValueError if not JSON."""
    try:
        return loads(text)
    except InvalidJson as exc:
        raise Refused(CLOSE_INVALID, f"invalid JSON: {exc.msg}") from None


def keepalive_s(settings: Settings) -> float:
    """uvicorn's ``ws_ping_interval`` and ``ws_ping_timeout`` for the live stream: a ping every
    ``live_stuck_s / 2`` and as long again for its pong, so a client that stops reading (a
    frozen tab, a dead link: its pongs stop) is dropped within ``live_stuck_s``, as
    docs/live-protocol.md says. uvicorn's defaults (20 s + 20 s) dropped it after about 40 s.

    >>> keepalive_s(Settings(live_stuck_s=10))
    5.0
    """
    return settings.live_stuck_s / 2


async def snapshot_vehicles(session: AsyncSession) -> list[VehicleFrame]:
    """The registry, before the link runs: every drone offline."""
    rows = await vehicles_by_sysid(session)
    return [VehicleFrame.offline(v.sysid, v.id, v.name) for v in rows]


async def snapshot_patrols(session: AsyncSession) -> list[PatrolStatus]:
    return [patrol_payload(p) for p in await open_patrols(session)]


async def snapshot_incidents(session: AsyncSession) -> list[IncidentPublic]:
    return [IncidentPublic.from_row(i) for i in await unresolved_incidents(session)]


def default_snapshot_sources() -> dict[str, SnapshotSource]:
    """The store's view; the fleet replaces ``vehicles`` with live state once the link runs."""
    return {
        "vehicles": snapshot_vehicles,
        "patrols": snapshot_patrols,
        "incidents": snapshot_incidents,
    }


async def _authenticate(
    services: Services, websocket: WebSocket, token: str | None
) -> tuple[User, TokenClaims] | None:
    settings = services.settings
    if token is None:
        try:
            async with asyncio.timeout(settings.live_auth_timeout_s):
                first = await _receive_text(websocket)
        except (TimeoutError, WebSocketDisconnect):
            return None
        if first is None:
            return None
        try:
            message = _parse(first)
        except json.JSONDecodeError:
            return None
        if not isinstance(message, dict) or message.get("type") != "auth":
            return None
        token = message.get("token")
        if not isinstance(token, str):
            return None
    async with services.sessions() as session:
        try:
            claims = services.tokens.decode(token)
            return await user_for_claims(session, claims), claims
        except NotAuthenticated:
            return None
        except PasswordChangeRequired:
            raise Refused(CLOSE_POLICY, PasswordChangeRequired.CODE) from None


async def _snapshot(services: Services, user: User) -> Snapshot:
    parts: dict[str, Sequence[BaseModel]] = {}
    async with services.sessions() as session:
        for name, source in services.live_sources.items():
            parts[name] = await source(session)
    user_ = LiveUser(
        id=user.id, username=user.username, role=user.role, full_name=user.full_name or ""
    )
    return Snapshot.model_validate({"user": user_, **parts})


async def _relay(websocket: WebSocket, client: ClientQueue) -> None:
    """Send what is due, vehicle frames waiting together as one ``vehicle.frames`` message."""
    while True:
        for text in wire_texts(await client.get_due()):
            await websocket.send_text(text)


async def _receive_text(websocket: WebSocket) -> str | None:
    """The next text frame; None for a binary one; WebSocketDisconnect when the client left."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if isinstance(text, str) else None


async def _read(websocket: WebSocket, refusals: list[Refused]) -> None:
    """Answer pings, ignore anything else; return when the client goes away, or after noting
    in `refusals` a message that is not strict JSON."""
    while True:
        try:
            text = await _receive_text(websocket)
        except WebSocketDisconnect:
            return
        if text is None:
            continue
        try:
            message = _parse(text)
        except Refused as refused:
            refusals.append(refused)
            return
        except json.JSONDecodeError:
            continue
        if message == {"type": "ping"}:
            await websocket.send_text(make_message("pong", Pong()).text)


@router.websocket("/ws/live")
async def live(websocket: WebSocket, services: ServicesDep, token: str | None = None) -> None:
    await websocket.accept()
    try:
        found = await _authenticate(services, websocket, token)
    except Refused as refused:
        await websocket.close(code=refused.code, reason=refused.reason)
        return
    if found is None:
        await websocket.close(code=CLOSE_POLICY, reason="authentication required")
        return
    user, claims = found
    hub, revocations = services.hub, services.revocations
    token_end: list[str] = []
    with hub.subscription() as client, revocations.watch(user.id) as revoked:
        snapshot = await _snapshot(services, user)
        try:
            await websocket.send_text(make_message("snapshot", snapshot).text)
        except (WebSocketDisconnect, OSError):
            return  # gone before the snapshot arrived
        refusals: list[Refused] = []
        await _first_of(
            _relay(websocket, client),
            _read(websocket, refusals),
            client.wait_closed(),
            _token_end(revoked, claims, token_end),
        )
        reason = token_end[0] if token_end else client.close_reason
    codes = {"shutdown": CLOSE_GOING_AWAY, "overflow": CLOSE_TRY_AGAIN, "stuck": CLOSE_TRY_AGAIN}
    codes |= {"token revoked": CLOSE_POLICY, "token expired": CLOSE_POLICY}
    if refusals:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(code=refusals[0].code, reason=refusals[0].reason)
    elif reason in codes:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(code=codes[reason], reason=reason)


async def _token_end(revoked: asyncio.Event, claims: TokenClaims, why: list[str]) -> None:
    """Return when the token is revoked or expires, saying which in `why`."""
    left_s = (claims.expires_at - utcnow()).total_seconds()
    try:
        async with asyncio.timeout(max(0.0, left_s)):
            await revoked.wait()
        why.append("token revoked")
    except TimeoutError:
        why.append("token expired")


async def _first_of(*coros: Coroutine[Any, Any, object]) -> None:
    """Run `coros` together until the first one ends, then cancel the rest.

    Ends quietly for the normal ways a connection ends (the client left, the hub closed it);
    any other error propagates.
    """
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_quiet(c)) for c in coros]

        def stop(_: asyncio.Task[None]) -> None:
            for task in tasks:
                task.cancel()

        for task in tasks:
            task.add_done_callback(stop)


async def _quiet(coro: Coroutine[Any, Any, object]) -> None:
    with contextlib.suppress(ClientClosed, WebSocketDisconnect, OSError):
        await coro
