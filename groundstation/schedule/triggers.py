"""When a schedule fires: APScheduler triggers from a cron expression or a list of times.

No hand-written cron parsing: a cron expression goes to APScheduler's ``CronTrigger`` (five
crontab fields), a list of "HH:MM" (or "HH:MM:SS") times becomes one ``CronTrigger`` per time,
joined by an ``OrTrigger``. The time zone (Asia/Shanghai by default), the date range and the
season (months) are part of the trigger, so the next run time it reports is a real one.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> spec = TriggerSpec(times=("07:30", "15:00"), months=(6, 7, 8, 9))
>>> t = make_trigger(spec)
>>> after = datetime(2026, 5, 31, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> t.get_next_fire_time(None, after).isoformat()
'2026-06-01T07:30:00+08:00'
>>> make_trigger(TriggerSpec(cron="0 25 * * *"))
Traceback (most recent call last):
...
groundstation.errors.InvalidRequest: invalid cron expression '0 25 * * *': ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from groundstation.errors import InvalidRequest

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """The timing part of a schedule (the domain twin of the table's columns)."""

    cron: str = ""
    times: Sequence[str] = ()
    timezone: str = "Asia/Shanghai"
    start_date: str | None = None
    end_date: str | None = None
    months: Sequence[int] = ()


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {name!r}", field="timezone") from None


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{field} {value!r} is not a YYYY-MM-DD date", field=field) from None


def validate(spec: TriggerSpec) -> None:
    """Raise :class:`InvalidRequest` naming the first thing wrong with `spec`."""
    make_trigger(spec)


def make_trigger(spec: TriggerSpec) -> Any:
    """The APScheduler trigger of `spec`."""
    tz = zone(spec.timezone)
    if bool(spec.cron.strip()) == bool(spec.times):
        raise InvalidRequest("give either a cron expression or a list of times", field="cron")
    bad = [m for m in spec.months if not (isinstance(m, int) and 1 <= m <= 12)]
    if bad:
        raise InvalidRequest(f"months must be 1-12, got {bad}", field="months")
    first, last = _date(spec.start_date, "start_date"), _date(spec.end_date, "end_date")
    if first and last and last < first:
        raise InvalidRequest("end_date is before start_date", field="end_date")
    kwargs: dict[str, Any] = {"timezone": tz}
    if first:
        kwargs["start_date"] = datetime.combine(first, time(0), tz)
    if last:
        kwargs["end_date"] = datetime.combine(last + timedelta(days=1), time(0), tz)
    month = ",".join(str(m) for m in sorted(set(spec.months))) or None
    if spec.cron.strip():
        fields = spec.cron.split()
        if len(fields) != 5:
            raise InvalidRequest(
                f"invalid cron expression {spec.cron!r}: expected 5 fields "
                "(minute hour day month day-of-week)",
                field="cron",
            )
        minute, hour, day, cron_month, dow = fields
        if month and cron_month != "*":
            raise InvalidRequest(
                "give the season either in the cron month or in months", field="months"
            )
        try:
            return CronTrigger(
                minute=minute, hour=hour, day=day, month=month or cron_month, day_of_week=dow,
                **kwargs,
            )  # fmt: skip
        except ValueError as exc:
            raise InvalidRequest(
                f"invalid cron expression {spec.cron!r}: {exc}", field="cron"
            ) from None
    triggers = []
    for t in spec.times:
        m = _HHMM.match(str(t))
        if m is None:
            raise InvalidRequest(f"time {t!r} is not HH:MM (or HH:MM:SS)", field="times")
        second = int(m[3]) if m[3] else 0
        triggers.append(
            CronTrigger(hour=int(m[1]), minute=int(m[2]), second=second, month=month, **kwargs)
        )
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def due_times(trigger: Any, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
    """The fire times of `trigger` in ``(after, until]``, at most `limit` of them."""
    out: list[datetime] = []
    prev: datetime | None = None
    t = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while t is not None and t <= until and len(out) < limit:
        out.append(t)
        prev = t
        t = trigger.get_next_fire_time(prev, t + timedelta(microseconds=1))
    return out
