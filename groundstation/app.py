"""The station's FastAPI application, built by :func:`create_app` from a `Settings` object.

Nothing happens at import. ``create_app`` only assembles routes and handlers; the lifespan does
the work, in order:

1. check the database file, make the data folder private, and bring the database to the
   newest schema (Alembic, in a worker thread);
2. open the async engine, the session factory, the token codec and the live hub on ``app.state``;
3. create the first admin from the settings if there is no admin yet (the demo's way in);
4. enter every lifespan hook, in order: the fleet on the settings' MAVLink endpoints (if any),
   the caller's `hooks`, then the patrol service (which reattaches open patrols);

and undoes it in reverse at shutdown. A hook is a callable ``hook(app)`` returning an async
context manager; it can add snapshot sources to ``app.state.live_sources`` and publish on
``app.state.hub``.
"""

from __future__ import annotations

import asyncio
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
    attachments,
    audit,
    auth,
    fleet_trust,
    incidents,
    live,
    openapi,
    patrols,
    plans,
    sites,
    users,
    vehicle_commands,
    vehicles,
    web,
)
from groundstation.api import evidence as evidence_api
from groundstation.api import freshness as freshness_api
from groundstation.api import reports as reports_api
from groundstation.api import schedules as schedules_api
from groundstation.api.inputs import StrictJsonBodies, json_safe
from groundstation.api.limits import MULTIPART_OVERHEAD, BodySizeLimit
from groundstation.api.sites import SiteCache
from groundstation.config import Settings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.db.users import ensure_first_admin
from groundstation.freshness.hook import freshness_hook
from groundstation.keyed_locks import KeyedLocks
from groundstation.patrol.planner_pool import planner_pool
from groundstation.patrol.service import patrol_hook
from groundstation.reports.filer import report_hook
from groundstation.schedule.service import schedule_hook
from groundstation.security import (
    Passwords,
    Revocations,
    TokenCodec,
    load_or_create_secret,
    make_hasher,
)
from groundstation.telemetry.fleet_bridge import fleet_hook
from groundstation.telemetry.hub import Hub
from routes.errors import PlanningError

log = logging.getLogger(__name__)

LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(settings: Settings | None = None, *, hooks: Sequence[LifespanHook] = ()) -> FastAPI:
    """Assemble the station service; `settings` None reads them from the environment now."""
    settings = (settings or Settings()).resolved()
    logredact.install()
    app = FastAPI(
        title="ecopatrol station",
        version=_version(),
        summary="Ground-control station for ecological police drone patrols",
        lifespan=_lifespan,
        docs_url=None,  # served by api/web.py from node_modules, not from a CDN
        redoc_url=None,  # ReDoc has no package the station installs; /docs covers it
    )
    app.state.settings = settings
    link_hooks: list[LifespanHook] = [fleet_hook] if settings.link.mavlink else []
    app.state.lifespan_hooks = [
        *link_hooks,
        *hooks,
        patrol_hook,
        report_hook,
        schedule_hook,
        freshness_hook,
        _audit_checkpoints,
    ]
    app.state.live_sources = live.default_snapshot_sources()
    app.state.site_cache = SiteCache()
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
    for module in (auth, users, vehicles, incidents, attachments, audit, sites, live, web):
        app.include_router(module.router)
    for flight in (plans, patrols, vehicle_commands):
        app.include_router(flight.router)
    for module in (freshness_api, reports_api, schedules_api, evidence_api):
        app.include_router(module.router)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    try:
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        app.state.passwords = Passwords(make_hasher(settings.password_hash_profile))
        await asyncio.to_thread(app.state.passwords.dummy_hash)
        app.state.revocations = Revocations()
        app.state.login_locks = KeyedLocks()
        app.state.upload_locks = KeyedLocks()
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        if secret is None:
            secret = await asyncio.to_thread(load_or_create_secret, settings.data_dir)
        app.state.tokens = TokenCodec(secret=secret, ttl_s=settings.token_ttl_s)
        app.state.hub = Hub(
            queue_size=settings.live_queue_size,
            stuck_s=settings.live_stuck_s,
            max_rate_hz=settings.live_max_rate_hz,
            batch_interval_s=settings.live_batch_ms / 1000,
        )
        await _first_admin(app, settings)
        async with contextlib.AsyncExitStack() as stack:
            app.state.planner = await stack.enter_async_context(
                planner_pool(settings.site, settings.planning)
            )
            for hook in app.state.lifespan_hooks:
                await stack.enter_async_context(hook(app))
            try:
                yield
            finally:
                app.state.hub.close()
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _audit_checkpoints(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan hook: the station's evidence key, and the audit chain signed every interval."""
    from groundstation.evidence.checkpointer import Checkpointer
    from groundstation.evidence.keys import load_or_create_key

    settings: Settings = app.state.settings
    path = settings.evidence.key_path(settings.data_dir)
    key = await asyncio.to_thread(load_or_create_key, path)
    journal = settings.evidence.journal_path(settings.data_dir)
    every_s = settings.evidence.checkpoint_every_s
    checkpointer = Checkpointer(app.state.sessions, key, every_s, journal)
    task = asyncio.create_task(checkpointer.run(), name="audit checkpoints")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await checkpointer.run_once()


async def _first_admin(app: FastAPI, settings: Settings) -> None:
    if settings.admin_username is None or settings.admin_password is None:
        return
    async with app.state.sessions() as session:
        created = await ensure_first_admin(
            session,
            app.state.passwords,
            settings.admin_username,
            settings.admin_password.get_secret_value(),
        )
    if created is not None:
        log.warning("created first admin %r from the settings", created.username)


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
