"""Alert queries: raise (or update the open one), clear, list, acknowledge.

An alert is open until a user acknowledges it. There is at most one open alert per vehicle
(``sysid``) and kind: :func:`raise_alert` on an open one updates it (``count`` + 1, the newest
texts and details, ``last_at``, the higher level, ``cleared_at`` reset) rather than adding a
row, so a flickering condition does not flood the list. Acknowledging keeps who, when and the
note on the row and writes an ``alert.acknowledge`` entry to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.audit import audit
from groundstation.db.models import Alert, User, Vehicle
from groundstation.db.types import utcnow
from groundstation.errors import Conflict, NotFound

_RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """What :func:`list_alerts` keeps; None matches everything."""

    sysid: int | None = None
    vehicle_id: int | None = None
    patrol_id: int | None = None
    kind: str | None = None
    level: str | None = None
    open: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


async def open_alert(session: AsyncSession, sysid: int | None, kind: str) -> Alert | None:
    """The open alert of this vehicle and kind, if there is one."""
    found: Alert | None = await session.scalar(
        select(Alert)
        .where(Alert.sysid == sysid, Alert.kind == kind, Alert.acknowledged_at.is_(None))
        .order_by(Alert.id.desc())
        .limit(1)
    )
    return found


async def raise_alert(
    session: AsyncSession,
    *,
    sysid: int | None,
    kind: str,
    level: str,
    text_en: str,
    text_zh: str,
    details: Mapping[str, Any] | None = None,
    vehicle_id: int | None = None,
    patrol_id: int | None = None,
    at: datetime | None = None,
    repeat: bool = True,
) -> tuple[Alert, bool]:
    """Store an alert, or update the open one of the same vehicle and kind; commits.

    `repeat` False: more about the same occurrence (its reason came late): the open alert's
    texts and details are updated but it is not counted again. Returns the row and whether
    it is new.
    """
    at = at or utcnow()
    row = await open_alert(session, sysid, kind)
    new = row is None
    if row is None:
        row = Alert(
            sysid=sysid, vehicle_id=vehicle_id, patrol_id=patrol_id, kind=kind, level=level,
            text_en=text_en, text_zh=text_zh, details=dict(details or {}), first_at=at,
            last_at=at, count=1,
        )  # fmt: skip
        session.add(row)
    elif repeat:
        row.count += 1
        row.last_at = at
        row.cleared_at = None
    if not new:
        row.text_en, row.text_zh = text_en, text_zh
        row.details = dict(details or {})
        if _RANK.get(level, 0) > _RANK.get(row.level, 0):
            row.level = level
        row.vehicle_id = row.vehicle_id or vehicle_id
        row.patrol_id = patrol_id or row.patrol_id
    await session.commit()
    return row, new


async def clear_alert(
    session: AsyncSession, sysid: int | None, kind: str, at: datetime | None = None
) -> Alert | None:
    """Note that the condition behind the open alert went away (it stays open); commits."""
    row = await open_alert(session, sysid, kind)
    if row is not None and row.cleared_at is None:
        row.cleared_at = at or utcnow()
        await session.commit()
    return row


def _filtered(f: AlertFilter) -> Select[Alert]:
    q = select(Alert)
    if f.sysid is not None:
        q = q.where(Alert.sysid == f.sysid)
    if f.vehicle_id is not None:
        q = q.where(Alert.vehicle_id == f.vehicle_id)
    if f.patrol_id is not None:
        q = q.where(Alert.patrol_id == f.patrol_id)
    if f.kind is not None:
        q = q.where(Alert.kind == f.kind)
    if f.level is not None:
        q = q.where(Alert.level == f.level)
    if f.open is True:
        q = q.where(Alert.acknowledged_at.is_(None))
    elif f.open is False:
        q = q.where(Alert.acknowledged_at.is_not(None))
    if f.since is not None:
        q = q.where(Alert.last_at >= f.since)
    if f.until is not None:
        q = q.where(Alert.first_at <= f.until)
    return q


async def list_alerts(
    session: AsyncSession, f: AlertFilter = AlertFilter(), *, limit: int = 100, offset: int = 0
) -> tuple[Sequence[Alert], int]:
    """Alerts matching `f`, newest first, and how many match in all."""
    q = _filtered(f)
    total = await session.scalar(select(func.count()).select_from(q.subquery()))
    rows = await session.scalars(
        q.order_by(Alert.last_at.desc(), Alert.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def open_alerts(session: AsyncSession, limit: int = 500) -> Sequence[Alert]:
    """Every open alert, newest first (the live snapshot's ``alerts``)."""
    rows, _ = await list_alerts(session, AlertFilter(open=True), limit=limit)
    return rows


async def acknowledge(session: AsyncSession, alert_id: int, user: User, note: str) -> Alert:
    """Close an alert: who, when and the note are kept, and audited; commits.

    :class:`NotFound` for no such alert, :class:`Conflict` if it was acknowledged already.
    """
    row = await session.get(Alert, alert_id)
    if row is None:
        raise NotFound("alert", alert_id)
    if row.acknowledged_at is not None:
        raise Conflict(
            f"alert {alert_id} was acknowledged by {row.acknowledged_by_name} already",
            alert_id=alert_id,
        )
    row.acknowledged_at = utcnow()
    row.acknowledged_by = user.id
    row.acknowledged_by_name = user.username
    row.ack_note = note
    await session.commit()
    vehicle = await session.get(Vehicle, row.vehicle_id) if row.vehicle_id else row.sysid
    await audit(
        session, user, vehicle, "alert.acknowledge", f"{row.kind} ({row.level})",
        {"alert_id": row.id, "note": note, "count": row.count},
    )  # fmt: skip
    return row


def alert_payload(a: Alert) -> dict[str, Any]:
    """The ``alert`` message data on the live stream and the API's alert shape."""
    return {
        "id": a.id,
        "sysid": a.sysid,
        "vehicle_id": a.vehicle_id,
        "patrol_id": a.patrol_id,
        "kind": a.kind,
        "level": a.level,
        "text": a.text_en,
        "text_zh": a.text_zh,
        "details": a.details,
        "first_at": a.first_at.isoformat(),
        "last_at": a.last_at.isoformat(),
        "count": a.count,
        "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
        "open": a.acknowledged_at is None,
        "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
        "acknowledged_by": a.acknowledged_by_name,
        "ack_note": a.ack_note,
    }
