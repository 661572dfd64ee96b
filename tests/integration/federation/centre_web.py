"""The centre's web service (``create_centre_app``) in the test's event loop, on a loopback
port, with uvicorn as ``ecopatrol centre`` runs it; and its users."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.centre_app import BrokerLogin, create_centre_app
from groundstation.config import DbSettings, Settings
from groundstation.errors import Conflict
from groundstation.federation.users import create_user
from groundstation.security import Passwords, make_hasher
from tests.integration.federation.broker import Mosquitto

PASSWORD = "reed-kingfisher-42"
#: username -> the one station the user sees (None: the centre's own, sees all)
USERS: dict[str, str | None] = {"chief": None, "officer-a": "river-a", "officer-b": "river-b"}


@dataclass
class CentreWeb:
    url: str
    tokens: dict[str, str]

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/live"

    def client(self, user: str) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=20)


def broker_login(broker: Mosquitto) -> BrokerLogin:
    return BrokerLogin(
        host="127.0.0.1", port=broker.port, username="centre",
        password=broker.logins["centre"], ca_file=broker.ca,
    )  # fmt: skip


async def add_users(db_url: str) -> None:
    """The test users (those already there, from an earlier start on this store, kept)."""
    engine = create_async_engine(DbSettings(url=db_url).async_url)
    try:
        hashed = await Passwords(make_hasher("cheapest")).hash(PASSWORD)
        for name, station in USERS.items():
            with contextlib.suppress(Conflict):
                await create_user(engine, name, hashed, station=station)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def running_centre_web(
    db_url: str, tmp_path: Path, broker: BrokerLogin | None
) -> AsyncIterator[CentreWeb]:
    """The centre's app on a free port (store migrated, users added, each signed in)."""
    settings = Settings(
        data_dir=tmp_path / "centre", jwt_secret=SecretStr("c" * 48),
        password_hash_profile="cheapest",
    )  # fmt: skip
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_centre_app(settings, db_url, broker)
    config = uvicorn.Config(app, ws="websockets-sansio", log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        await add_users(db_url)
        url = f"http://127.0.0.1:{port}"
        tokens = {}
        async with httpx.AsyncClient(base_url=url) as client:
            for name in USERS:
                r = await client.post(
                    "/api/auth/login", json={"username": name, "password": PASSWORD}
                )
                assert r.status_code == 200, r.text
                tokens[name] = r.json()["access_token"]
        yield CentreWeb(url, tokens)
    finally:
        server.should_exit = True
        await task
        sock.close()


class LiveReader:
    """A live websocket's messages as they come (the snapshot first)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    async def until(self, check: Any, timeout_s: float = 20.0) -> list[dict[str, Any]]:
        """Read until `check(messages)` holds; the messages so far."""
        async with asyncio.timeout(timeout_s):
            while not check(self.messages):
                self.messages.append(json.loads(await self.ws.recv()))
        return self.messages

    async def quiet(self, for_s: float) -> None:
        """Keep reading for `for_s` seconds (what else arrives in that time)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(for_s):
                while True:
                    self.messages.append(json.loads(await self.ws.recv()))


@contextlib.asynccontextmanager
async def live(web: CentreWeb, user: str, query: str = "") -> AsyncIterator[LiveReader]:
    url = f"{web.ws_url}?token={web.tokens[user]}{query}"
    async with websockets.connect(url) as ws:
        reader = LiveReader(ws)
        await reader.until(lambda m: m and m[0]["type"] == "snapshot")
        yield reader
