"""The station's FastAPI application, built by :func:`create_app` from a `Settings` object.

Nothing happens at import. ``create_app`` only assembles routes and handlers; the lifespan
builds the station's services (:func:`groundstation.services.build_services`, which says in
what order), keeps them as ``app.state.services`` for ``api.deps.ServicesDep``, enters the
caller's `hooks` on them, and undoes it all in reverse at shutdown. A hook is a callable
``hook(services)`` returning an async context manager; it can add snapshot sources to
``services.live_sources`` and publish on ``services.hub``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from groundstation import logredact
from groundstation.api import (
    alerts,
    attachments,
    audit,
    auth,
    basemaps,
    fleet_trust,
    handover,
    incidents,
    live,
    openapi,
    patrols,
    plans,
    sites,
    users,
    vehicle_commands,
    vehicles,
    video,
    web,
    whep,
)
from groundstation.api import evidence as evidence_api
from groundstation.api import freshness as freshness_api
from groundstation.api import reports as reports_api
from groundstation.api import schedules as schedules_api
from groundstation.api import weather as weather_api
from groundstation.api.error_handlers import add_error_handlers
from groundstation.api.inputs import StrictJsonBodies
from groundstation.api.limits import MULTIPART_OVERHEAD, BodySizeLimit
from groundstation.config import Settings
from groundstation.services import Services, build_services

ServicesHook = Callable[[Services], AbstractAsyncContextManager[None]]


def create_app(settings: Settings | None = None, *, hooks: Sequence[ServicesHook] = ()) -> FastAPI:
    """Assemble the station service; `settings` None reads them from the environment now."""
    settings = (settings or Settings()).resolved()
    logredact.install()
    app = FastAPI(
        title="ecopatrol station",
        version=_version(),
        summary="Ground-control station for ecological police drone patrols",
        lifespan=_lifespan(settings, hooks),
        docs_url=None,  # served by api/web.py from node_modules, not from a CDN
        redoc_url=None,  # ReDoc has no package the station installs; /docs covers it
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(StrictJsonBodies)  # inside the size limit: it reads whole bodies
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_photo_bytes + MULTIPART_OVERHEAD)
    add_error_handlers(app)
    openapi.install(app)
    app.include_router(fleet_trust.router)  # before vehicles: /api/vehicles/heard is not an id
    for module in (auth, users, vehicles, incidents, attachments, audit, alerts, sites, live, web):
        app.include_router(module.router)
    for flight in (plans, patrols, vehicle_commands, handover):
        app.include_router(flight.router)
    domains = (freshness_api, reports_api, schedules_api, evidence_api, weather_api, video, whep)
    for module in domains:
        app.include_router(module.router)
    app.include_router(basemaps.router)
    return app


def services_of(app: FastAPI) -> Services:
    """The services of a running app (inside its lifespan: a test's ``TestClient`` block)."""
    services: Services = app.state.services
    return services


def _lifespan(
    settings: Settings, hooks: Sequence[ServicesHook]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sources = live.default_snapshot_sources()
        async with (
            build_services(settings, snapshot_sources=sources) as s,
            contextlib.AsyncExitStack() as stack,
        ):
            for hook in hooks:
                await stack.enter_async_context(hook(s))
            app.state.services = s
            yield

    return lifespan


def _version() -> str:
    try:
        return version("ecopatrol")
    except PackageNotFoundError:
        return "0"
