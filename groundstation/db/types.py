"""Column types shared by the models: timezone-aware UTC timestamps on every backend.

SQLite has no timezone-aware timestamp type and hands back naive datetimes; PostgreSQL's
``timestamptz`` hands back aware ones. :class:`UTCDateTime` makes both behave the same: it refuses
naive datetimes on the way in and returns aware UTC datetimes on the way out.

>>> from datetime import datetime, timezone
>>> UTCDateTime().process_result_value(datetime(2026, 5, 1, 8, 0), None).tzinfo
datetime.timezone.utc
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only kind of time stored)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
