"""The command centre as a web service: ``create_centre_app`` (the centre's composition root).

The same package in a centre role (``ecopatrol centre``): the station's live page and its
files (``api.web``), the centre's API (``api.centre_routes``) and live stream
(``api.centre_live``) over the merged store, and the station's base maps (``api.basemaps``,
from the centre's own ``ECOPATROL_BASEMAP__*`` settings). Its lifespan brings the store to the
newest schema (the centre's Alembic chain), then, when a broker login is given, runs the subscriber
(:class:`~groundstation.federation.centre.Centre`), whose every newly stored event goes to the
live feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.api import basemaps, centre_commands, centre_live, centre_routes, web
from groundstation.api.centre_deps import (
    CentreServices,
    centre_tile_fetcher,
    current_centre_user,
)
from groundstation.api.deps import current_user, get_settings
from groundstation.api.error_handlers import add_error_handlers
from groundstation.config import DbSettings, Settings
from groundstation.federation.centre import Centre
from groundstation.federation.feed import CentreFeed
from groundstation.federation.store import CentreStore
from groundstation.keyed_locks import KeyedLocks
from groundstation.security import (
    Passwords,
    Revocations,
    TokenCodec,
    load_or_create_secret,
    make_hasher,
)
from groundstation.web.tile_proxy import TileFetcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BrokerLogin:
    """How the centre reaches the broker (``ECOPATROL_FEDERATION__*`` and ``--username``)."""

    host: str
    port: int
    username: str
    password: str
    ca_file: Path | None


def create_centre_app(settings: Settings, db_url: str, broker: BrokerLogin | None) -> FastAPI:
    """The centre's app over the store at `db_url`; `broker` None: no subscriber (the store
    is fed by someone else, as in tests)."""
    settings = settings.resolved()
    app = FastAPI(
        title="ecopatrol centre", lifespan=_lifespan(settings, db_url, broker), docs_url=None,
        redoc_url=None,
    )  # fmt: skip
    app.state.settings = settings
    app.dependency_overrides[get_settings] = lambda: settings  # the page's files and tiles
    # the station's base-map routes, for the centre's signed-in users (ECOPATROL_BASEMAP__*)
    app.dependency_overrides[current_user] = current_centre_user
    app.dependency_overrides[basemaps.get_tile_fetcher] = centre_tile_fetcher
    add_error_handlers(app)
    app.include_router(centre_routes.router)  # before web: its /web/config.json says "centre"
    app.include_router(centre_commands.router)
    app.include_router(centre_live.router)
    app.include_router(basemaps.router)
    app.include_router(web.router)
    return app


def _lifespan(
    settings: Settings, db_url: str, broker: BrokerLogin | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_async_engine(DbSettings(url=db_url).async_url)
        try:
            store = CentreStore(engine)
            await store.setup()
            secret = (
                settings.jwt_secret.get_secret_value()
                if settings.jwt_secret is not None
                else await asyncio.to_thread(load_or_create_secret, settings.data_dir)
            )
            feed = CentreFeed()
            tiles = (
                TileFetcher(settings.basemap.fetch_timeout_s) if settings.basemap.internet else None
            )
            centre = None
            if broker is not None:
                centre = Centre(
                    store, host=broker.host, port=broker.port, password=broker.password,
                    ca_file=broker.ca_file, username=broker.username, listeners=[feed.publish],
                    frame_listeners=[feed.frame_received],
                )  # fmt: skip
            app.state.centre = CentreServices(
                settings=settings,
                engine=engine,
                feed=feed,
                tokens=TokenCodec(secret=secret, ttl_s=settings.token_ttl_s),
                passwords=Passwords(make_hasher(settings.password_hash_profile)),
                revocations=Revocations(),
                login_locks=KeyedLocks(),
                centre=centre,
                tiles=tiles,
            )
            task = asyncio.create_task(centre.run(), name="centre") if centre else None
            try:
                yield
            finally:
                feed.close_all()
                if tiles is not None:
                    await tiles.aclose()
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
        finally:
            await engine.dispose()

    return lifespan
