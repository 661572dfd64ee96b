"""Schedules and their runs in the store: create, change, list, remove, and the run log.

The API and the CLI both go through these functions, so validation (the trigger is built once
to check the timing, the plan and vehicles must exist) happens in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import Plan, Schedule, ScheduleRun, Vehicle
from groundstation.errors import InvalidRequest, NotFound
from groundstation.reasons import Reason
from groundstation.schedule.triggers import TriggerSpec, validate

Policy = Literal["skip", "retry"]
RunStatus = Literal["started", "delayed", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A schedule as asked for (API body or CLI options)."""

    plan_id: int
    name: str = ""
    cron: str = ""
    times: Sequence[str] = ()
    timezone: str = "Asia/Shanghai"
    start_date: str | None = None
    end_date: str | None = None
    months: Sequence[int] = ()
    vehicle_pool: Sequence[int] = field(default_factory=tuple)
    policy: Policy = "skip"
    retry_window_s: int = 1800
    retry_every_s: int = 300
    enabled: bool = True
    replan: bool = False

    def timing(self) -> TriggerSpec:
        return TriggerSpec(
            cron=self.cron, times=tuple(self.times), timezone=self.timezone,
            start_date=self.start_date, end_date=self.end_date, months=tuple(self.months),
        )  # fmt: skip


def timing_of(row: Schedule) -> TriggerSpec:
    """The trigger spec of a stored schedule."""
    return TriggerSpec(
        cron=row.cron, times=tuple(row.times or ()), timezone=row.timezone,
        start_date=row.start_date, end_date=row.end_date, months=tuple(row.months or ()),
    )  # fmt: skip


async def _check(session: AsyncSession, spec: ScheduleSpec) -> None:
    validate(spec.timing())
    if spec.policy not in ("skip", "retry"):
        raise InvalidRequest(f"policy must be skip or retry, got {spec.policy!r}", field="policy")
    if spec.retry_window_s < 0 or spec.retry_every_s <= 0:
        raise InvalidRequest("retry_window_s must be >= 0 and retry_every_s > 0", field="policy")
    if await session.get(Plan, spec.plan_id) is None:
        raise NotFound("plan", spec.plan_id)
    for vid in spec.vehicle_pool:
        if await session.get(Vehicle, vid) is None:
            raise NotFound("vehicle", vid)


async def create_schedule(
    session: AsyncSession, spec: ScheduleSpec, created_by: int | None = None
) -> Schedule:
    """Validate and store a schedule (committed)."""
    await _check(session, spec)
    pool = list(spec.vehicle_pool)
    row = Schedule(
        plan_id=spec.plan_id, name=spec.name, cron=spec.cron.strip(), times=list(spec.times),
        timezone=spec.timezone, start_date=spec.start_date, end_date=spec.end_date,
        months=sorted(set(spec.months)), vehicle_pool=pool,
        vehicle_id=pool[0] if len(pool) == 1 else None, policy=spec.policy,
        retry_window_s=spec.retry_window_s, retry_every_s=spec.retry_every_s,
        enabled=spec.enabled, replan=spec.replan, created_by=created_by,
    )  # fmt: skip
    session.add(row)
    await session.commit()
    return row


def spec_of(row: Schedule) -> ScheduleSpec:
    return ScheduleSpec(
        plan_id=row.plan_id, name=row.name, cron=row.cron, times=tuple(row.times or ()),
        timezone=row.timezone, start_date=row.start_date, end_date=row.end_date,
        months=tuple(row.months or ()), vehicle_pool=tuple(row.vehicle_pool or ()),
        policy=row.policy, retry_window_s=row.retry_window_s,  # type: ignore[arg-type]
        retry_every_s=row.retry_every_s, enabled=row.enabled, replan=row.replan,
    )  # fmt: skip


async def update_schedule(
    session: AsyncSession, row: Schedule, changes: dict[str, Any]
) -> Schedule:
    """Apply `changes` (field -> value), validate the result, store it (committed)."""
    known = {f.name for f in fields(ScheduleSpec)}
    unknown = set(changes) - known
    if unknown:
        raise InvalidRequest(f"unknown schedule fields: {', '.join(sorted(unknown))}")
    spec = ScheduleSpec(**{**{f: getattr(spec_of(row), f) for f in known}, **changes})
    await _check(session, spec)
    for name in known:
        value = getattr(spec, name)
        setattr(row, name, list(value) if isinstance(value, tuple) else value)
    row.cron = spec.cron.strip()
    row.vehicle_id = spec.vehicle_pool[0] if len(spec.vehicle_pool) == 1 else None
    await session.commit()
    return row


async def get_schedule(session: AsyncSession, schedule_id: int) -> Schedule:
    row = await session.get(Schedule, schedule_id)
    if row is None:
        raise NotFound("schedule", schedule_id)
    return row


async def remove_schedule(session: AsyncSession, row: Schedule) -> None:
    """Remove a schedule and (by cascade) its run log (committed)."""
    await session.delete(row)
    await session.commit()


async def list_schedules(session: AsyncSession) -> list[Schedule]:
    return list(await session.scalars(select(Schedule).order_by(Schedule.id)))


async def record_run(
    session: AsyncSession,
    schedule_id: int,
    due_at: datetime,
    status: RunStatus,
    reason: str,
    *,
    attempts: int = 1,
    patrol_id: int | None = None,
    vehicle_id: int | None = None,
    why: Reason | None = None,
) -> ScheduleRun:
    """Store one run of a schedule (committed); `why` is `reason` as a code, for the page."""
    run = ScheduleRun(
        schedule_id=schedule_id, due_at=due_at, status=status, reason=reason, attempts=attempts,
        patrol_id=patrol_id, vehicle_id=vehicle_id, reason_code=why.code if why else "",
        reason_params=dict(why.params) if why else {},
    )  # fmt: skip
    session.add(run)
    await session.commit()
    return run


async def list_runs(
    session: AsyncSession, schedule_id: int | None = None, limit: int = 100
) -> list[ScheduleRun]:
    query = select(ScheduleRun).order_by(ScheduleRun.at.desc(), ScheduleRun.id.desc()).limit(limit)
    if schedule_id is not None:
        query = query.where(ScheduleRun.schedule_id == schedule_id)
    return list(await session.scalars(query))


async def skipped_runs(
    session: AsyncSession, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Runs skipped or failed that were due in ``[start, end)`` (for the daily summary)."""
    rows = await session.execute(
        select(ScheduleRun, Schedule.name)
        .join(Schedule, Schedule.id == ScheduleRun.schedule_id)
        .where(ScheduleRun.due_at >= start, ScheduleRun.due_at < end)
        .where(ScheduleRun.status.in_(["skipped", "failed"]))
        .order_by(ScheduleRun.due_at)
    )
    return [
        {
            "schedule_id": run.schedule_id,
            "schedule": name or f"schedule {run.schedule_id}",
            "due_at": run.due_at.isoformat(),
            "status": run.status,
            "reason": run.reason,
            "reason_code": run.reason_code,
            "reason_params": run.reason_params or {},
        }
        for run, name in rows.all()
    ]
