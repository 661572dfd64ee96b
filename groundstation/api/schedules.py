"""Schedules: pilots create, change and disable them; anyone signed in lists them and their runs.

``next_run_at`` comes from the running scheduler (the map page's side panel shows it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from groundstation.api.deps import PilotUser, ServicesDep, SessionDep, current_user
from groundstation.api.inputs import Id, InputModel
from groundstation.db.audit import audit
from groundstation.db.models import Schedule, ScheduleRun
from groundstation.errors import InvalidRequest
from groundstation.schedule.store import (
    ScheduleSpec,
    create_schedule,
    get_schedule,
    list_runs,
    list_schedules,
    remove_schedule,
    update_schedule,
)
from groundstation.services import Services

router = APIRouter(
    prefix="/api/schedules", tags=["schedules"], dependencies=[Depends(current_user)]
)


class ScheduleCreate(InputModel):
    plan_id: Id
    name: str = Field("", max_length=128)
    cron: str = Field("", max_length=64, description="5 crontab fields, or empty with times")
    times: list[str] = Field(default_factory=list, description='"HH:MM" or "HH:MM:SS" each')
    timezone: str = "Asia/Shanghai"
    start_date: str | None = Field(None, description="YYYY-MM-DD, inclusive")
    end_date: str | None = Field(None, description="YYYY-MM-DD, inclusive")
    months: list[int] = Field(default_factory=list, description="season: months 1-12")
    vehicle_pool: list[Id] = Field(default_factory=list, description="vehicle ids; empty = any")
    policy: Literal["skip", "retry"] = "skip"
    retry_window_s: int = Field(1800, ge=0, le=86_400)
    retry_every_s: int = Field(300, gt=0, le=86_400)
    enabled: bool = True
    replan: bool = Field(False, description="plan afresh from the plan's parameters each run")


class ScheduleUpdate(InputModel):
    plan_id: Id | None = None
    name: str | None = Field(None, max_length=128)
    cron: str | None = Field(None, max_length=64)
    times: list[str] | None = None
    timezone: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    months: list[int] | None = None
    vehicle_pool: list[Id] | None = None
    policy: Literal["skip", "retry"] | None = None
    retry_window_s: int | None = Field(None, ge=0, le=86_400)
    retry_every_s: int | None = Field(None, gt=0, le=86_400)
    enabled: bool | None = None
    replan: bool | None = None


#: Fields a change may set to null (to clear them); the others keep their value when left out.
CLEARABLE = frozenset({"start_date", "end_date"})


class SchedulePublic(ScheduleCreate):
    id: int
    next_run_at: datetime | None
    created_at: datetime


class RunPublic(BaseModel):
    id: int
    schedule_id: int
    due_at: datetime
    at: datetime
    status: str
    reason: str = Field(description="why, in English")
    reason_code: str = Field(description="the same as a code for the page (groundstation.reasons)")
    reason_params: dict[str, Any]
    attempts: int
    patrol_id: int | None
    vehicle_id: int | None


def _public(row: Schedule, next_run_at: datetime | None) -> SchedulePublic:
    return SchedulePublic(
        id=row.id, plan_id=row.plan_id, name=row.name, cron=row.cron, times=list(row.times or []),
        timezone=row.timezone, start_date=row.start_date, end_date=row.end_date,
        months=list(row.months or []), vehicle_pool=list(row.vehicle_pool or []),
        policy=row.policy, retry_window_s=row.retry_window_s,
        retry_every_s=row.retry_every_s, enabled=row.enabled, replan=row.replan,
        next_run_at=next_run_at,
        created_at=row.created_at,
    )  # fmt: skip


def _run_public(run: ScheduleRun) -> RunPublic:
    return RunPublic(
        id=run.id, schedule_id=run.schedule_id, due_at=run.due_at, at=run.at, status=run.status,
        reason=run.reason, reason_code=run.reason_code or "",
        reason_params=run.reason_params or {}, attempts=run.attempts, patrol_id=run.patrol_id,
        vehicle_id=run.vehicle_id,
    )  # fmt: skip


async def _sync(services: Services, row: Schedule) -> datetime | None:
    next_run: datetime | None = await services.schedules.sync(row.id)
    return next_run


def _next(services: Services, row: Schedule) -> datetime | None:
    if not row.enabled:
        return None
    next_run: datetime | None = services.schedules.next_run(row.id)
    return next_run


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_schedule(
    services: ServicesDep, session: SessionDep, user: PilotUser, body: ScheduleCreate
) -> SchedulePublic:
    """Store a schedule and put it on the scheduler."""
    spec = ScheduleSpec(**body.model_dump())
    row = await create_schedule(session, spec, created_by=user.id)
    params = {"schedule_id": row.id, "plan_id": row.plan_id, "name": row.name}
    await audit(session, user, None, "schedule.create", "ok", params)
    return _public(row, await _sync(services, row))


@router.get("")
async def get_schedules(services: ServicesDep, session: SessionDep) -> list[SchedulePublic]:
    """Every schedule, with its next run time if it is enabled."""
    return [_public(r, _next(services, r)) for r in await list_schedules(session)]


@router.get("/runs")
async def get_all_runs(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[RunPublic]:
    """The latest runs of every schedule (started, delayed, skipped), newest first."""
    return [_run_public(r) for r in await list_runs(session, None, limit)]


@router.get("/{schedule_id}")
async def get_one(services: ServicesDep, session: SessionDep, schedule_id: Id) -> SchedulePublic:
    row = await get_schedule(session, schedule_id)
    return _public(row, _next(services, row))


@router.patch("/{schedule_id}")
async def change_schedule(
    services: ServicesDep,
    session: SessionDep,
    user: PilotUser,
    schedule_id: Id,
    body: ScheduleUpdate,
) -> SchedulePublic:
    """Change a schedule (``{"enabled": false}`` disables it); rescheduled at once."""
    row = await get_schedule(session, schedule_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in CLEARABLE:
            raise InvalidRequest(f"{name} cannot be null: leave it out to keep it", field=name)
    row = await update_schedule(session, row, changes)
    params = {"schedule_id": row.id, "changes": body.model_dump(exclude_unset=True, mode="json")}
    await audit(session, user, None, "schedule.update", "ok", params)
    return _public(row, await _sync(services, row))


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_schedule(
    services: ServicesDep, session: SessionDep, user: PilotUser, schedule_id: Id
) -> None:
    """Remove a schedule and its run log."""
    row = await get_schedule(session, schedule_id)
    params = {"schedule_id": schedule_id, "plan_id": row.plan_id, "name": row.name}
    await remove_schedule(session, row)
    await audit(session, user, None, "schedule.delete", "ok", params)
    await services.schedules.sync(schedule_id)


@router.get("/{schedule_id}/runs")
async def get_runs(
    session: SessionDep, schedule_id: Id, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[RunPublic]:
    await get_schedule(session, schedule_id)
    return [_run_public(r) for r in await list_runs(session, schedule_id, limit)]
