"""``ecopatrol schedule add|list|disable``: unattended patrols, straight into the store.

A running station picks changes up within its resync interval (30 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from groundstation.cli._common import fail, load_settings
from groundstation.config import Settings

app = typer.Typer(help="Schedule unattended patrols.", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option(help="database URL (default: from settings)")]
DataDirOption = Annotated[Path | None, typer.Option(help="the station's data folder")]
T = TypeVar("T")


def _run(settings: Settings, job: Callable[[Any], Awaitable[T]]) -> T:
    from groundstation.db.migrate import upgrade_to_head
    from groundstation.db.session import make_async_engine, make_sessionmaker
    from groundstation.errors import GroundStationError

    async def main() -> T:
        await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
        engine = make_async_engine(settings.db)
        try:
            async with make_sessionmaker(engine)() as session:
                return await job(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except GroundStationError as exc:
        fail(str(exc))


def _months(text: str | None) -> list[int]:
    """'6-9' or '6,7,8' -> [6, 7, 8, 9]."""
    if not text:
        return []
    out: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.partition("-")
            out += list(range(int(a), int(b or a) + 1))
    except ValueError:
        fail(f"--months {text!r}: expected e.g. 6-9 or 6,7,8")
    return out


@app.command("add")
def add(
    plan: Annotated[int, typer.Option(help="id of the plan to fly")],
    cron: Annotated[str, typer.Option(help="5-field cron, e.g. '0 14-17 * * *'")] = "",
    time: Annotated[list[str] | None, typer.Option(help="HH:MM, repeatable")] = None,
    name: Annotated[str, typer.Option(help="a name people recognise")] = "",
    tz: Annotated[str, typer.Option(help="time zone of the times")] = "Asia/Shanghai",
    start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--until", help="last day, YYYY-MM-DD")] = None,
    months: Annotated[str | None, typer.Option(help="season, e.g. 6-9")] = None,
    drone: Annotated[
        list[int] | None, typer.Option(help="vehicle id of the pool, repeatable")
    ] = None,
    policy: Annotated[str, typer.Option(help="skip or retry")] = "skip",
    retry_window: Annotated[int, typer.Option(help="seconds after due to keep retrying")] = 1800,
    replan: Annotated[
        bool, typer.Option(help="use the plan as a template: plan afresh at every run")
    ] = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Add a schedule: a plan flown at cron or listed times, with a drone pool."""
    from groundstation.schedule.store import ScheduleSpec, create_schedule

    if policy not in ("skip", "retry"):
        fail(f"--policy {policy!r}: expected skip or retry")
    spec = ScheduleSpec(
        plan_id=plan, name=name, cron=cron, times=tuple(time or ()), timezone=tz,
        start_date=start, end_date=end, months=tuple(_months(months)),
        vehicle_pool=tuple(drone or ()), policy=policy,  # type: ignore[arg-type]
        retry_window_s=retry_window, replan=replan,
    )  # fmt: skip
    row = _run(load_settings(db=db, data_dir=data_dir), lambda s: create_schedule(s, spec))
    typer.echo(f"schedule {row.id} added")


@app.command("list")
def list_(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """List schedules: id, name, plan, timing, season, pool, policy, enabled, next run."""
    from datetime import UTC, datetime

    from groundstation.schedule.store import list_schedules, timing_of
    from groundstation.schedule.triggers import make_trigger

    rows = _run(load_settings(db=db, data_dir=data_dir), list_schedules)
    if not rows:
        typer.echo("no schedules")
    now = datetime.now(UTC)
    for r in rows:
        when = r.cron or ", ".join(r.times or [])
        season = ",".join(map(str, r.months or [])) or "all year"
        pool = ",".join(map(str, r.vehicle_pool or [])) or "any"
        nxt = make_trigger(timing_of(r)).get_next_fire_time(None, now) if r.enabled else None
        typer.echo(
            f"{r.id}  {r.name or '-'}  plan {r.plan_id}  {when} ({r.timezone})  months {season}"
            f"  pool {pool}  {r.policy}  {'enabled' if r.enabled else 'disabled'}"
            f"  next {nxt.isoformat(timespec='minutes') if nxt else '-'}"
        )


@app.command("disable")
def disable(
    schedule_id: Annotated[int, typer.Argument(help="the schedule's id")],
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Disable a schedule (it stays stored; enable it again through the API)."""
    from groundstation.schedule.store import get_schedule, update_schedule

    async def job(session: Any) -> None:
        row = await get_schedule(session, schedule_id)
        await update_schedule(session, row, {"enabled": False})

    _run(load_settings(db=db, data_dir=data_dir), job)
    typer.echo(f"schedule {schedule_id} disabled")
