"""The station's services: one typed object, built in one place, in the order they depend.

:func:`build_services` is the composition root. It reads nothing from the environment: every
part gets what it needs passed in, from the `Settings` and from the parts built before it, and
the order below is the start-up order (shutdown runs it backwards):

1. the database: migrated to the newest schema (Alembic, in a worker thread), then the async
   engine and its session factory;
2. security: password hashing, revocations, the login and upload locks, the token codec;
3. the live hub, and the first admin from the settings if there is no admin yet;
4. the planning workers;
5. the fleet on the settings' MAVLink endpoints (if any) and its bridge to the hub and store,
   and the safety watch on it (the site's landable points, water and no-fly zones loaded);
   the weather source (polled, and a pilot's entries);
6. the patrol service, which reattaches the open patrols (to the fleet, if there is one);
7. the notifier and the report filer; the scheduler (which starts patrols and notifies);
8. the evidence key and the audit chain's checkpointer;
9. the remaining background tasks: the weather poll, video, the report filer, the freshness
   refresh, the audit checkpoints, and (``federation.enabled``) the link to the command centre
   with its outbox and the live hub's forwarder (docs/federation.md). The fleet bridge and the
   safety watch start as soon as they exist (step 5): the link's events are theirs from the
   start, not lost while patrols reattach.

At shutdown the hub closes first (live clients are told), then every background task stops, the
audit chain's head is signed once more, and the rest stops in reverse. The FastAPI app keeps
the one :class:`Services` and routes reach it through ``api.deps.ServicesDep``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from groundstation.config import Settings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.db.users import ensure_first_admin
from groundstation.evidence.checkpointer import Checkpointer
from groundstation.evidence.keys import load_or_create_key
from groundstation.federation.assemble import StationFederation, station_federation
from groundstation.federation.freshness_feed import publish_freshness
from groundstation.freshness.refresh import FreshnessSlot, refresh_loop
from groundstation.keyed_locks import KeyedLocks
from groundstation.link import Fleet
from groundstation.patrol.config import patrol_config
from groundstation.patrol.planner_pool import PlannerPool, planner_pool
from groundstation.patrol.service import PatrolService
from groundstation.reports.filer import ReportFiler
from groundstation.reports.notify import Notifier
from groundstation.safety.service import SafetyService
from groundstation.safety.site_facts import load_facts
from groundstation.schedule.service import ScheduleService
from groundstation.schedule.settings import schedule_config
from groundstation.security import (
    Passwords,
    Revocations,
    TokenCodec,
    load_or_create_secret,
    make_hasher,
)
from groundstation.signing_keys import station_key
from groundstation.site_cache import SiteCache
from groundstation.tasks import BackgroundTasks
from groundstation.telemetry.fleet_bridge import FleetBridge, open_fleet
from groundstation.telemetry.hub import Hub
from groundstation.video.service import VideoService
from groundstation.weather.source import WeatherService
from groundstation.web.tile_proxy import TileFetcher

log = logging.getLogger(__name__)

#: One part of the live snapshot (a field of ``api.live_protocol.Snapshot``): reads the
#: current state of one kind of thing.
SnapshotSource = Callable[[AsyncSession], Awaitable[Sequence[BaseModel]]]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Services:
    """Everything the station runs, for the service's lifetime."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    passwords: Passwords
    revocations: Revocations
    tokens: TokenCodec
    login_locks: KeyedLocks
    upload_locks: KeyedLocks
    hub: Hub
    planner: PlannerPool
    site_cache: SiteCache
    #: the live snapshot's parts by name; the fleet's live state replaces the store's vehicles
    live_sources: dict[str, SnapshotSource]
    #: the fleet and its bridge, None when the settings name no MAVLink endpoint
    fleet: Fleet | None
    bridge: FleetBridge | None
    #: the station's MAVLink signing key, from which vehicle keys derive (None without a fleet)
    station_key: bytes | None
    patrols: PatrolService
    notifier: Notifier
    reports: ReportFiler
    schedules: ScheduleService
    freshness: FreshnessSlot
    checkpoints: Checkpointer
    #: the vehicle monitors and stored alerts (None without a fleet, or switched off)
    safety: SafetyService | None
    weather: WeatherService
    tasks: BackgroundTasks
    #: cameras, live video, photos and recordings; None when ``video.enabled`` is off
    video: VideoService | None
    #: the link to the command centre and the handovers; None when ``federation.enabled`` is off
    federation: StationFederation | None = None
    #: fetches internet base-map tiles for the page; None when ``basemap.internet`` is off
    tiles: TileFetcher | None = None


@contextlib.asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    snapshot_sources: Mapping[str, SnapshotSource],
) -> AsyncIterator[Services]:
    """Start every service of the station on `settings` (resolved), stop them on exit.

    `snapshot_sources` are the live snapshot's parts read from the store (``api.live``'s); the
    fleet, if any, replaces ``vehicles`` with its live state and adds ``unknown_vehicles``.
    """
    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        sessions = make_sessionmaker(engine)

        passwords = Passwords(make_hasher(settings.password_hash_profile))
        await asyncio.to_thread(passwords.dummy_hash)
        revocations = Revocations()
        login_locks, upload_locks = KeyedLocks(), KeyedLocks()
        tokens = TokenCodec(secret=await _token_secret(settings), ttl_s=settings.token_ttl_s)

        hub = Hub(
            queue_size=settings.live_queue_size,
            stuck_s=settings.live_stuck_s,
            max_rate_hz=settings.live_max_rate_hz,
            batch_interval_s=settings.live_batch_ms / 1000,
        )
        await _first_admin(settings, sessions, passwords)

        planner = await stack.enter_async_context(planner_pool(settings.site, settings.planning))
        # entered here so a task can start as soon as its service exists; stopped first (below)
        tasks = await stack.enter_async_context(BackgroundTasks())

        live_sources = dict(snapshot_sources)
        fleet: Fleet | None = None
        bridge: FleetBridge | None = None
        key: bytes | None = None
        if settings.link.mavlink:
            fleet = await open_fleet(settings, sessions)
            key = station_key(settings)
            await stack.enter_async_context(fleet)
            stack.push_async_callback(tasks.close)  # the tasks on the fleet stop before it does
            bridge = FleetBridge(fleet, hub, sessions)
            live_sources["vehicles"] = bridge.snapshot_vehicles
            live_sources["unknown_vehicles"] = bridge.snapshot_heard
            tasks.start(bridge.run(), name="fleet bridge")

        safety: SafetyService | None = None
        if fleet is not None and bridge is not None and settings.safety.enabled:
            facts = await asyncio.to_thread(load_facts, settings.site, settings.safety.rally_points)
            safety = SafetyService(
                settings.safety, hub, sessions, facts,
                default_endurance_s=patrol_config(settings.patrol).default_endurance_s,
                learn_min_flights=settings.patrol.learn_min_flights,
                learn_min_minutes=settings.patrol.learn_min_minutes,
            )  # fmt: skip
            live_sources["alerts"] = safety.snapshot_alerts
            bridge.safety_of = safety.frame_extra
            bridge.stored_alerts = True
            tasks.start(safety.run(fleet), name="safety watch")
        tiles = None
        if settings.basemap.internet:
            fetcher = TileFetcher(settings.basemap.fetch_timeout_s)
            tiles = await stack.enter_async_context(fetcher)
        wx = settings.weather
        weather = WeatherService(
            wx.source, wx.limits(), poll_s=wx.poll_s, timeout_s=wx.timeout_s,
            manual_max_s=wx.manual_max_s,
        )  # fmt: skip

        patrols = PatrolService(
            sessions, hub, bridge, patrol_config(settings.patrol), weather=weather.verdicts
        )
        if safety is not None:  # a return the watch commands is told to the patrol it ends
            safety.note_command = patrols.note_command
        await patrols.recover()
        stack.push_async_callback(patrols.close)

        notifier = Notifier(hub, settings.reports.webhook_url, settings.reports.webhook_timeout_s)
        reports = ReportFiler(
            sessions,
            notifier,
            poll_s=settings.reports.poll_s,
            hfov_deg=settings.freshness.hfov_deg,
        )
        schedules = ScheduleService(
            sessions,
            notifier,
            patrols,
            schedule_config(settings.schedule),
            wind_m_s=settings.patrol.wind_m_s,
            planner=planner.plan,
            weather=weather.verdicts,
        )
        await schedules.start()
        stack.push_async_callback(schedules.shutdown)

        key_path = settings.evidence.key_path(settings.data_dir)
        evidence_key = await asyncio.to_thread(load_or_create_key, key_path)
        checkpoints = Checkpointer(
            sessions,
            evidence_key,
            settings.evidence.checkpoint_every_s,
            settings.evidence.journal_path(settings.data_dir),
        )
        stack.push_async_callback(checkpoints.run_once)  # the head signed as the station stops

        freshness = FreshnessSlot()
        site_cache = SiteCache()
        federation = (  # its files outlive the tasks
            station_federation(
                settings.federation, settings.data_dir, stack, sessions, fleet, bridge, hub
            )
            if settings.federation.enabled
            else None
        )
        tasks.start(weather.run(), name="weather poll")
        video: VideoService | None = None
        if settings.video.enabled:
            video = VideoService(settings.video, settings.data_dir, sessions, fleet, hub)
            tasks.start(video.run(), name="video")
        tasks.start(reports.run(), name="report filer")
        tasks.start(
            refresh_loop(freshness, sessions, settings.freshness.refresh_s),
            name="freshness refresh",
        )
        tasks.start(checkpoints.run(), name="audit checkpoints")
        if federation is not None:
            tasks.start(federation.link.run(), name="federation link")
            tasks.start(federation.link.forward_hub(hub), name="federation forwarder")
            tasks.start(
                publish_freshness(freshness, site_cache, federation.link, sessions, settings),
                name="federation freshness",
            )  # fmt: skip
            if federation.zone_watch is not None:
                tasks.start(federation.zone_watch.run(), name="federation zone watch")
            stack.push_async_callback(federation.pilot.close)  # before the authority's file
        stack.push_async_callback(tasks.close)  # at shutdown every task stops before the rest

        try:
            yield Services(
                settings=settings,
                engine=engine,
                sessions=sessions,
                passwords=passwords,
                revocations=revocations,
                tokens=tokens,
                login_locks=login_locks,
                upload_locks=upload_locks,
                hub=hub,
                planner=planner,
                site_cache=site_cache,
                live_sources=live_sources,
                fleet=fleet,
                bridge=bridge,
                station_key=key,
                patrols=patrols,
                notifier=notifier,
                reports=reports,
                schedules=schedules,
                freshness=freshness,
                checkpoints=checkpoints,
                safety=safety,
                weather=weather,
                tasks=tasks,
                video=video,
                federation=federation,
                tiles=tiles,
            )
        finally:
            hub.close()


async def _token_secret(settings: Settings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    return await asyncio.to_thread(load_or_create_secret, settings.data_dir)


async def _first_admin(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], passwords: Passwords
) -> None:
    """Create the first admin from the settings if there is no admin yet (the demo's way in)."""
    if settings.admin_username is None or settings.admin_password is None:
        return
    async with sessions() as session:
        created = await ensure_first_admin(
            session, passwords, settings.admin_username, settings.admin_password.get_secret_value()
        )
    if created is not None:
        log.warning("created first admin %r from the settings", created.username)
