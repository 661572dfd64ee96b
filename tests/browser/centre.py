"""A real command centre for browser tests: ``create_centre_app`` under uvicorn on a loopback
port, on its own event loop in a background thread (Playwright's sync API owns the test
thread), over a PostgreSQL + PostGIS store. Stations' events are put in as the centre's
subscriber puts them: stored, then handed to the live feed.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.api.centre_deps import CentreServices
from groundstation.centre_app import create_centre_app
from groundstation.config import DbSettings, Settings
from groundstation.federation.protocol import Envelope
from groundstation.federation.store import CentreStore
from groundstation.federation.users import create_user, set_password
from groundstation.password_policy import generate_password
from groundstation.security import Passwords, make_hasher
from tests.browser.station import PASSWORD, START_TIMEOUT_S, _listening_socket


@dataclass
class LiveCentre:
    db_url: str
    data_dir: Path
    port: int = 0
    app: FastAPI | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: uvicorn.Server | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None
    _seq: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveCentre:
        self._thread = threading.Thread(target=self._run, name="live-centre", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError("the centre did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the centre failed to start: {self._error!r}") from self._error
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the test thread by start()
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        settings = Settings(
            data_dir=self.data_dir, jwt_secret=SecretStr("c" * 48),
            password_hash_profile="cheapest",
        )  # fmt: skip
        sock = _listening_socket()
        self.port = sock.getsockname()[1]
        self.app = create_centre_app(settings, self.db_url, broker=None)
        config = uvicorn.Config(self.app, ws="websockets-sansio", log_level="warning")
        self._server = uvicorn.Server(config)
        task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        self._ready.set()
        await task
        sock.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _call(self, coro: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def _services(self) -> CentreServices:
        assert self.app is not None
        services: CentreServices = self.app.state.centre
        return services

    def add_user(self, username: str, station: str | None) -> None:
        async def add() -> None:
            engine = create_async_engine(DbSettings(url=self.db_url).async_url)
            try:
                hashed = await Passwords(make_hasher("cheapest")).hash(PASSWORD)
                await create_user(engine, username, hashed, station=station, full_name=username)
            finally:
                await engine.dispose()

        self._call(add())

    def reset_password(self, username: str) -> str:
        """As ``ecopatrol centre-users reset-password`` does: a one-time password, to be
        changed at the next sign-in."""
        password = generate_password()

        async def reset() -> None:
            engine = create_async_engine(DbSettings(url=self.db_url).async_url)
            try:
                hashed = await Passwords(make_hasher("cheapest")).hash(password)
                await set_password(engine, username, hashed, "cli:test", generated=True)
            finally:
                await engine.dispose()

        self._call(reset())
        return password

    def emit(self, station: str, kind: str, data: dict[str, Any]) -> None:
        """A station's event, as the subscriber handles it: stored, then to the live feed."""

        async def put() -> None:
            services = self._services()
            self._seq[station] = self._seq.get(station, 0) + 1
            env = Envelope(station=station, seq=self._seq[station], kind=kind, data=data)
            stored = await CentreStore(services.engine).store_event(env)
            assert stored is not None
            await services.feed.publish(stored)

        self._call(put())
