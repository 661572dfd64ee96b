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
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from groundstation import errors, logredact
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
from groundstation.api.inputs import StrictJsonBodies, json_safe
from groundstation.api.limits import MULTIPART_OVERHEAD, BodySizeLimit
from groundstation.config import Settings
from groundstation.services import Services, build_services
from routes.errors import PlanningError

log = logging.getLogger(__name__)

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
    app.add_exception_handler(errors.GroundStationError, _domain_error)
    app.add_exception_handler(PlanningError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
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


def status_for(exc: errors.GroundStationError | PlanningError) -> int:
    """The HTTP status a domain error maps to (a plan that cannot be made: 422)."""
    if isinstance(exc, PlanningError):
        return 422
    if isinstance(exc, errors.ServiceError):
        return exc.status
    if isinstance(exc, errors.UnknownVehicle):
        return 404
    if isinstance(exc, errors.LinkTimeout):
        return 504
    if isinstance(exc, errors.CommandError | errors.MissionError | errors.VehicleHeld):
        return 409
    if isinstance(exc, errors.UnknownMode | errors.InvalidLinkUrl):
        return 422
    return 500


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.GroundStationError | PlanningError)
    status = status_for(exc)
    body: dict[str, object] = {"detail": str(exc), "error": type(exc).__name__}
    fields = exc.fields if isinstance(exc, errors.ServiceError) else {}
    if isinstance(exc, PlanningError):
        fields = exc.details
    if fields:
        body["fields"] = {k: v for k, v in fields.items() if _jsonable(v)}
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if isinstance(exc, errors.TooManyRequests) and "retry_after_s" in exc.fields:
        headers["Retry-After"] = str(exc.fields["retry_after_s"])
    return JSONResponse(json_safe(body), status_code=status, headers=headers or None)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, but safe to serialise: the input it echoes may hold NaN or surrogates."""
    assert isinstance(exc, RequestValidationError)
    detail = json_safe(jsonable_encoder(json_safe(exc.errors())))
    return JSONResponse({"detail": detail}, status_code=422)


def _jsonable(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list)


def _version() -> str:
    try:
        return version("ecopatrol")
    except PackageNotFoundError:
        return "0"
