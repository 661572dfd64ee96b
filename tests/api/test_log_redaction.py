"""Tokens never reach a log: the real service (uvicorn in a subprocess) with a live client."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets

from tests.e2e.service.station import ADMIN, StationProcess


async def test_live_token_in_the_query_is_not_logged(tmp_path):
    """uvicorn logs the websocket path with its query; the token in it is written redacted,
    both for an accepted socket and for a refused one, and no log line holds a token."""
    station = StationProcess(tmp_path, mavlink=[])
    await station.start()
    try:
        async with httpx.AsyncClient(base_url=station.url) as client:
            body = {"username": ADMIN[0], "password": ADMIN[1]}
            token = (await client.post("/api/auth/login", json=body)).json()["access_token"]
            r = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
        async with websockets.connect(f"{station.ws_url}?token={token}") as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
        forged = token[:-4] + "AAAA"
        async with websockets.connect(f"{station.ws_url}?token={forged}") as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 1008
    finally:
        await station.stop()
    log = station.log_text()
    assert '"WebSocket /ws/live?token=[redacted]" [accepted]' in log, log
    for secret in (token, forged, token.split(".")[2], forged.split(".")[2]):
        assert secret not in log
