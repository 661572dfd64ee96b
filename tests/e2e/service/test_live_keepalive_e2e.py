"""A live client that stops reading is dropped within ``live_stuck_s`` by the keep-alive ping, as
docs/live-protocol.md says (uvicorn's default 20 s + 20 s dropped it only after ~40 s); a client
that answers pings stays.

The station runs as ``ecopatrol serve`` (real uvicorn) with ``live_stuck_s`` = 1 s. The silent
client is a raw socket that does the websocket handshake, then reads what comes but never
answers a ping, like a frozen tab whose TCP stack still acknowledges.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os

import httpx
import pytest
import websockets

from tests.e2e.service.station import ADMIN, StationProcess

pytestmark = pytest.mark.e2e

STUCK_S = 1.0
GUARD_S = 15.0  # well under uvicorn's default 40 s: the test fails if those still apply

PING, CLOSE = 0x9, 0x8


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    head = await reader.readexactly(2)
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return opcode, await reader.readexactly(length)


async def token_for(station: StationProcess) -> str:
    async with httpx.AsyncClient(base_url=station.url) as client:
        r = await client.post("/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        return str(r.json()["access_token"])


@pytest.fixture
async def station(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOPATROL_LIVE_STUCK_S", str(STUCK_S))
    station = StationProcess(tmp_path, [])
    await station.start()
    try:
        yield station
    finally:
        await station.stop()


async def test_a_client_that_never_answers_pings_is_dropped(station):
    token = await token_for(station)
    reader, writer = await asyncio.open_connection("127.0.0.1", station.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/live?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{station.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    status = await reader.readuntil(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 101"), status
    opcodes: list[int] = []
    close_payload = b""
    try:
        async with asyncio.timeout(GUARD_S):
            while True:
                try:
                    opcode, payload = await read_frame(reader)
                except asyncio.IncompleteReadError:
                    break  # the station closed the connection
                opcodes.append(opcode)
                if opcode == CLOSE:
                    close_payload = payload
    finally:
        writer.close()
    assert PING in opcodes, "the station sent no keep-alive ping"
    assert CLOSE in opcodes
    assert int.from_bytes(close_payload[:2], "big") == 1011
    assert close_payload[2:] == b"keepalive ping timeout"


async def test_a_client_that_answers_pings_stays_connected(station):
    """Several keep-alive periods later the client (whose library answers pings) still gets a
    pong for its own ping: only silent clients are dropped."""
    token = await token_for(station)
    async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        await asyncio.sleep(4 * STUCK_S)
        await ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(GUARD_S):
            while json.loads(await ws.recv())["type"] != "pong":
                pass
