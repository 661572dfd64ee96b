"""The scheduler inside the service: APScheduler 3 on the service's event loop.

:class:`ScheduleService` keeps one APScheduler job per enabled schedule (``coalesce``,
``max_instances=1``, a short misfire grace). At fire time it:

1. picks a drone from the schedule's pool: connected, not lost, idle (no active patrol, not
   armed), healthy and charged above ``min_battery_pct``; the fullest wins;
2. checks go / no-go: wind under the limit, civil daylight from launch to planned landing at the
   plan's position;
3. with ``replan``, plans afresh from the plan's parameters on the current site (the plan is a
   template: "shoreline patrol of the patrol zone at 60 m"), stored as a new plan;
4. creates a patrol for sortie 1 of the plan and starts it through the lifecycle (its preflight
   checks are the last word); the report is filed when the patrol ends (reports.filer).

A run that cannot start is recorded (``schedule_runs``) with its reason and announced
(``alert`` + webhook). With policy ``retry`` it is tried again every ``retry_every_s`` while
within ``retry_window_s`` of its due time (recorded ``delayed``), else ``skipped``.

After a restart, runs that fell due while the station was down are never fired one by one: each
schedule's missed runs are recorded once (how many, since when), and with policy ``retry`` the
latest one is started once if still within its window.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.audit import audit
from groundstation.db.models import Patrol, PatrolState, Plan, Schedule, Vehicle
from groundstation.db.types import utcnow
from groundstation.errors import ConfigError, GroundStationError, InvalidRequest
from groundstation.reasons import Reason
from groundstation.reports.notify import Notifier
from groundstation.schedule.gonogo import (
    Candidate,
    Verdict,
    check_daylight,
    check_wind,
    pick_drone,
)
from groundstation.schedule.settings import ScheduleConfig
from groundstation.schedule.store import RunStatus, record_run, timing_of
from groundstation.schedule.triggers import due_times, make_trigger, zone
from groundstation.weather.report import WeatherVerdict

if TYPE_CHECKING:
    from groundstation.patrol.planning import PlanResult
    from groundstation.patrol.request import PlanRequest

log = logging.getLogger(__name__)

ACTIVE_STATES = ("preflight", "uploading", "launching", "flying", "returning")


class PatrolStarter(Protocol):
    """What the scheduler needs from the lifecycle's ``PatrolService`` (``Services.patrols``)."""

    bridge: Any

    async def start(
        self, patrol_id: int, user: Any, *, vehicle_id: int | None = None, resume: bool = False
    ) -> Any: ...

    async def transition(
        self, patrol_id: int, dst: PatrolState, cause: Reason, user_id: int | None = None
    ) -> Any: ...

    async def battery_estimate(self, session: Any, vehicle: Any, endurance_s: float) -> Any: ...


class ScheduleService:
    """Runs the schedules of one station."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        patrols: PatrolStarter | None,
        config: ScheduleConfig | None = None,
        wind_m_s: float | None = None,
        planner: Callable[[PlanRequest], Awaitable[PlanResult]] | None = None,
        weather: Callable[[], Sequence[WeatherVerdict]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.notifier = notifier
        self.patrols = patrols
        self.config = config or ScheduleConfig()
        self.wind_m_s = wind_m_s
        self.planner = planner
        #: the weather gate's verdicts now (gusts, rain, visibility); None: no weather source
        self.weather = weather
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._known: dict[int, tuple[Any, ...]] = {}

    def go_nogo(
        self,
        drone: Candidate,
        now: datetime,
        duration_s: float,
        lonlat: tuple[float, float],
        timezone: str,
    ) -> list[Verdict]:
        """Wind, the weather source's gusts, rain and visibility, and daylight, for one run."""
        verdicts = [check_wind(self.wind_m_s, self.config.wind_limit_m_s, drone)]
        if self.weather is not None:
            verdicts += [Verdict(w.name, w.ok, w.reason) for w in self.weather()]
        if self.config.check_daylight:
            lon, lat = lonlat
            verdicts.append(
                check_daylight(now, duration_s, lat_deg=lat, lon_deg=lon, local_tz=timezone)
            )
        return verdicts

    # --- jobs ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Catch up on runs missed while down, then schedule every enabled schedule."""
        async with self.sessions() as session:
            rows = list(await session.scalars(select(Schedule).where(Schedule.enabled)))
        self.scheduler.start()
        now = utcnow()
        for row in rows:
            await self._catch_up(row, now)
        await self.resync()
        self.scheduler.add_job(
            self.resync, "interval", seconds=self.config.resync_s, id="resync", coalesce=True,
            max_instances=1,
        )  # fmt: skip

    async def resync(self) -> int:
        """Pick up schedules changed in the store by others (the CLI); returns how many."""
        async with self.sessions() as session:
            rows = list(await session.scalars(select(Schedule)))
        current = {r.id: _definition(r) for r in rows}
        changed = [sid for sid, d in current.items() if self._known.get(sid) != d]
        changed += [sid for sid in self._known if sid not in current]
        for sid in changed:
            await self.sync(sid)
        return len(changed)

    async def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)

    async def sync(self, schedule_id: int) -> datetime | None:
        """(Re)schedule one schedule after a change; returns its next run time (None: none)."""
        job_id = f"schedule-{schedule_id}"
        async with self.sessions() as session:
            row = await session.get(Schedule, schedule_id)
            if row is None:
                self._known.pop(schedule_id, None)
            else:
                self._known[schedule_id] = _definition(row)
            if row is None or not row.enabled:
                with contextlib.suppress(Exception):
                    self.scheduler.remove_job(job_id)
                if row is not None:
                    row.next_run_at = None
                    await session.commit()
                return None
            trigger = make_trigger(timing_of(row))
            job = self.scheduler.add_job(
                self.fire, trigger, args=[schedule_id], id=job_id, replace_existing=True,
                coalesce=True, max_instances=1, misfire_grace_time=self.config.misfire_grace_s,
            )  # fmt: skip
            row.next_run_at = _next(job)
            await session.commit()
            return row.next_run_at

    def next_run(self, schedule_id: int) -> datetime | None:
        job = self.scheduler.get_job(f"schedule-{schedule_id}")
        return _next(job) if job is not None else None

    async def _catch_up(self, row: Schedule, now: datetime) -> None:
        """Record (never replay) the runs that fell due while the station was down."""
        last_known = row.next_run_at
        if last_known is None or last_known > now - timedelta(seconds=self.config.misfire_grace_s):
            return
        trigger = make_trigger(timing_of(row))
        missed = [last_known, *due_times(trigger, last_known, now)]
        latest = missed[-1]
        down = Reason(
            "station_down", {"runs": len(missed), "since": f"{last_known:%Y-%m-%d %H:%M}"}
        )
        if row.policy == "retry" and now - latest <= timedelta(seconds=row.retry_window_s):
            if len(missed) > 1:
                await self._record(row, missed[-2], "skipped", down.text, why=down)
            self._retry_job(row.id, latest, attempt=1, when=now)
            return
        await self._record(row, latest, "skipped", down.text, why=down)

    def _retry_job(self, schedule_id: int, due: datetime, attempt: int, when: datetime) -> None:
        self.scheduler.add_job(
            self.fire, DateTrigger(run_date=when, timezone=UTC),
            args=[schedule_id], kwargs={"due": due, "attempt": attempt},
            id=f"retry-{schedule_id}", replace_existing=True,
            misfire_grace_time=self.config.misfire_grace_s,
        )  # fmt: skip

    # --- a run -----------------------------------------------------------------------------

    async def fire(
        self, schedule_id: int, due: datetime | None = None, attempt: int = 1
    ) -> RunStatus | None:
        """One run of a schedule: pick, check, fly; or record why not. Returns the outcome."""
        now = utcnow()
        async with self.sessions() as session:
            row = await session.get(Schedule, schedule_id)
            if row is None or not row.enabled:
                return None
            if due is None:
                due = _due(row, now)
            plan = await session.get(Plan, row.plan_id)
            candidates = await self._candidates(session, row)
            row.next_run_at = self.next_run(schedule_id)
            await session.commit()
        if plan is None:
            return await self._cannot(
                row, due, attempt, Reason("plan_gone", {"plan_id": row.plan_id})
            )
        drone, why = pick_drone(candidates, self.config.min_battery_pct)
        if drone is None:
            return await self._cannot(row, due, attempt, Reason("no_drone", {"detail": why}))
        duration = _duration(plan, self.config.default_duration_s)
        verdicts = self.go_nogo(drone, now, duration, _position(plan), row.timezone)
        failed = [v for v in verdicts if not v.ok]
        if failed:
            return await self._cannot(
                row, due, attempt,
                Reason("no_go", {"checks": [v.name for v in failed],
                                 "detail": "; ".join(v.reason for v in failed)}),
            )  # fmt: skip
        assert self.patrols is not None  # a connected drone implies the lifecycle is there
        if row.replan:
            try:
                plan = await self._replan(plan, now, row.timezone, drone.vehicle_id)
            except GroundStationError as exc:
                return await self._cannot(
                    row, due, attempt, Reason("replan_failed", {"detail": str(exc)})
                )
        async with self.sessions() as session:
            patrol = Patrol(plan_id=plan.id, sortie=0, vehicle_id=drone.vehicle_id)
            session.add(patrol)
            await session.commit()
            patrol_id = patrol.id
        try:
            await self.patrols.start(patrol_id, None, vehicle_id=drone.vehicle_id)
        except GroundStationError as exc:
            with contextlib.suppress(GroundStationError):
                error = {"error": type(exc).__name__, "detail": str(exc)}
                await self.patrols.transition(
                    patrol_id, PatrolState.ABORTED, Reason("schedule_not_started", error)
                )
            not_started = Reason(
                "start_failed",
                {"drone": drone.name, "error": type(exc).__name__, "detail": str(exc)},
            )
            return await self._cannot(row, due, attempt, not_started, patrol_id)
        started = Reason("run_started", {"drone": drone.name, "patrol_id": patrol_id})
        await self._record(
            row, due, "started", started.text, attempt, patrol_id=patrol_id,
            vehicle_id=drone.vehicle_id, why=started,
        )  # fmt: skip
        log.info("schedule %d: patrol %d started on %s", row.id, patrol_id, drone.name)
        return "started"

    async def _replan(
        self, template: Plan, now: datetime, tz: str, vehicle_id: int | None = None
    ) -> Plan:
        """A new plan from the template's parameters on the current site (stored, returned).

        With the drone that will fly it, its sorties are split by the battery use learned from
        its flights (or its airframe's), as they are then, not as when the template was made.
        """
        from groundstation.db.models import Vehicle
        from groundstation.patrol.request import PlanRequest

        if self.planner is None:
            raise ConfigError("re-planning needs a planner, and this scheduler has none")
        try:
            request = PlanRequest.from_params(template.params)
        except InvalidRequest as exc:
            raise InvalidRequest(f"plan {template.id} has no usable parameters: {exc}") from None
        if vehicle_id is not None and self.patrols is not None:
            async with self.sessions() as session:
                vehicle = await session.get(Vehicle, vehicle_id)
                if vehicle is not None:
                    estimate = await self.patrols.battery_estimate(
                        session, vehicle, vehicle.endurance_s or request.configured_endurance_s
                    )
                    request = replace(request, vehicle_id=vehicle_id).with_battery(estimate)
        result = await self.planner(request)
        stamp = now.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")
        async with self.sessions() as session:
            plan = Plan(
                site_id=template.site_id, name=f"{template.name} ({stamp})"[:128],
                kind=template.kind, params=request.as_params(), route=result.route,
                mission_items=[s.as_dict() for s in result.sorties], stats=result.stats,
            )  # fmt: skip
            session.add(plan)
            await session.commit()
            return plan

    async def _cannot(
        self, row: Schedule, due: datetime, attempt: int, why: Reason, patrol_id: int | None = None
    ) -> RunStatus:
        reason = why.text
        now = utcnow()
        retry_at = now + timedelta(seconds=row.retry_every_s)
        name = row.name or f"schedule {row.id}"
        if row.policy == "retry" and retry_at <= due + timedelta(seconds=row.retry_window_s):
            self._retry_job(row.id, due, attempt + 1, retry_at)
            await self._record(row, due, "delayed", reason, attempt, patrol_id=patrol_id, why=why)
            await self.notifier.notify(
                "patrol_delayed", f"Scheduled patrol '{name}' delayed: {reason}", "warning",
                schedule_id=row.id, schedule=name, retry_at=retry_at.isoformat(),
                reason_code=why.code, reason_params=dict(why.params),
            )  # fmt: skip
            return "delayed"
        await self._record(row, due, "skipped", reason, attempt, patrol_id=patrol_id, why=why)
        return "skipped"

    async def _record(
        self, row: Schedule, due: datetime, status: RunStatus, reason: str, attempt: int = 1,
        *, patrol_id: int | None = None, vehicle_id: int | None = None, why: Reason | None = None,
    ) -> None:  # fmt: skip
        async with self.sessions() as session:
            await record_run(
                session, row.id, due, status, reason, attempts=attempt, patrol_id=patrol_id,
                vehicle_id=vehicle_id, why=why,
            )  # fmt: skip
            params = {"schedule_id": row.id, "patrol_id": patrol_id, "due_at": due.isoformat(),
                      "reason": reason, "attempt": attempt}  # fmt: skip
            await audit(session, None, None, "schedule.run", status, params)
        if status == "skipped":
            name = row.name or f"schedule {row.id}"
            log.warning("schedule %d skipped (due %s): %s", row.id, due.isoformat(), reason)
            await self.notifier.notify(
                "patrol_skipped", f"Scheduled patrol '{name}' skipped: {reason}", "warning",
                schedule_id=row.id, schedule=name, due_at=due.isoformat(),
                **({} if why is None else {"reason_code": why.code,
                                           "reason_params": dict(why.params)}),
            )  # fmt: skip

    async def _candidates(self, session: AsyncSession, row: Schedule) -> list[Candidate]:
        pool = list(row.vehicle_pool or ([row.vehicle_id] if row.vehicle_id else []))
        query = select(Vehicle).order_by(Vehicle.id)
        if pool:
            query = query.where(Vehicle.id.in_(pool))
        out = []
        for v in await session.scalars(query):
            busy = await session.scalar(
                select(Patrol.id).where(Patrol.vehicle_id == v.id, Patrol.state.in_(ACTIVE_STATES))
            )
            out.append(self._candidate(v, busy))
        return out

    def _candidate(self, v: Vehicle, busy: int | None) -> Candidate:
        bridge = getattr(self.patrols, "bridge", None)
        if bridge is None:
            return Candidate(v.id, v.name, connected=False, busy_with=busy)
        try:
            handle = bridge.handle_of(v.sysid)
        except GroundStationError:
            return Candidate(v.id, v.name, connected=False, busy_with=busy)
        state = handle.state
        hold = bridge.fleet.command_holds.get(v.sysid)  # another station commands it
        return Candidate(
            v.id, v.name, connected=not handle.is_lost, busy_with=busy,
            battery_pct=state.battery_pct, system_status=state.system_status, armed=state.armed,
            wind_speed_m_s=state.wind_speed_m_s, wind_dir_deg=state.wind_dir_deg,
            held=hold.reason if hold is not None else None,
        )  # fmt: skip


def _definition(row: Schedule) -> tuple[Any, ...]:
    """What, when changed, means the job must be rebuilt."""
    return (row.enabled, row.cron, tuple(row.times or ()), row.timezone, row.start_date,
            row.end_date, tuple(row.months or ()))  # fmt: skip


def _next(job: Any) -> datetime | None:
    t = getattr(job, "next_run_time", None)
    return t.astimezone(UTC) if t is not None else None


def _due(row: Schedule, now: datetime) -> datetime:
    """The due time this firing stands for: the trigger's latest time at or before now."""
    trigger = make_trigger(timing_of(row))
    times = due_times(trigger, now - timedelta(days=1), now + timedelta(seconds=1))
    return times[-1].astimezone(UTC) if times else now


def _duration(plan: Plan, default: float) -> float:
    stats = plan.stats or {}
    for key in ("makespan_s", "flight_time_s"):
        if isinstance(stats.get(key), int | float) and stats[key] > 0:
            return float(stats[key])
    return default


def _position(plan: Plan) -> tuple[float, float]:
    """A (lon, lat) for the daylight check: the planned area's centroid, else the first point."""
    feats = (plan.route or {}).get("features", [])
    for f in feats:
        if (f.get("properties") or {}).get("role") == "area" and f.get("geometry"):
            c = shape(f["geometry"]).centroid
            return float(c.x), float(c.y)
    for f in feats:
        if f.get("geometry"):
            c = shape(f["geometry"]).centroid
            return float(c.x), float(c.y)
    return 119.18, 29.05  # the Longyou station, when a plan carries no geometry
