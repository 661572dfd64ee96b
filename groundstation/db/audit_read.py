"""Reading the audit log (written by :func:`groundstation.db.audit.audit`): a filtered page,
the same filters in chain order for an export, and the kinds of action logged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.models import AuditEntry

EXPORT_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to read; every field None matches all.

    `action` is a command (``user.create``) or a family (``user``: every ``user.*``); `text`
    is looked for, case-insensitively, in the username, command, result and parameters.
    """

    vehicle_sysid: int | None = None
    username: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    text: str | None = None


def _filtered(f: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if f.vehicle_sysid is not None:
        query = query.where(AuditEntry.vehicle_sysid == f.vehicle_sysid)
    if f.username is not None:
        query = query.where(AuditEntry.username == f.username)
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at <= f.until)
    if f.action:
        query = query.where(
            or_(
                AuditEntry.command == f.action,
                AuditEntry.command.startswith(f"{f.action}.", autoescape=True),
            )
        )
    if f.text:
        needle = f.text.casefold()
        # parameters are stored as JSON text, where non-ASCII reads \\uXXXX: look for both
        escaped = json.dumps(needle)[1:-1]
        columns = [AuditEntry.username, AuditEntry.command, AuditEntry.result]
        matches = [func.lower(c).contains(needle, autoescape=True) for c in columns]
        params = func.lower(cast(AuditEntry.params, String))
        matches += [params.contains(n, autoescape=True) for n in {needle, escaped}]
        query = query.where(or_(*matches))
    return query


async def audit_page(
    session: AsyncSession, f: AuditFilter, *, limit: int, offset: int
) -> tuple[Sequence[AuditEntry], int]:
    """One page of entries, newest first, and how many match the filters in all."""
    query = _filtered(f)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return rows.all(), int(total or 0)


async def audit_in_chain_order(
    sessions: async_sessionmaker[AsyncSession], f: AuditFilter
) -> AsyncIterator[AuditEntry]:
    """Every matching entry, oldest first (by chain number), read EXPORT_CHUNK rows per short
    session so that a long export holds no transaction open."""
    chunk = EXPORT_CHUNK
    last = 0
    while True:
        async with sessions() as session:
            query = _filtered(f).where(AuditEntry.seq > last)
            rows = (await session.scalars(query.order_by(AuditEntry.seq).limit(chunk))).all()
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        last = rows[-1].seq


async def audit_actions(session: AsyncSession) -> list[str]:
    """The commands the log holds, sorted (for a filter's choices)."""
    rows = await session.scalars(select(AuditEntry.command).distinct().order_by(AuditEntry.command))
    return list(rows.all())
