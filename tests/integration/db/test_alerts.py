"""Stored alerts: one open per vehicle and kind, repeats update it, acknowledgement audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.alerts import (
    AlertFilter,
    acknowledge,
    alert_payload,
    clear_alert,
    list_alerts,
    open_alerts,
    raise_alert,
)
from groundstation.db.models import AuditEntry, Role, User, Vehicle
from groundstation.errors import Conflict, NotFound


async def _raise(session: AsyncSession, kind: str = "battery_low", level: str = "warning"):
    return await raise_alert(
        session, sysid=3, kind=kind, level=level, text_en=f"{kind} en", text_zh=f"{kind} 中文",
        details={"battery_pct": 28.0},
    )  # fmt: skip


async def test_a_repeat_updates_the_open_alert(session):
    """Raising the same kind again while open bumps its count and level, no new row."""
    first, new = await _raise(session)
    assert new
    again, new_again = await _raise(session, level="critical")
    assert not new_again
    assert again.id == first.id
    assert (again.count, again.level) == (2, "critical")
    await clear_alert(session, 3, "battery_low")
    rows = await open_alerts(session)
    assert [r.id for r in rows] == [first.id]
    assert rows[0].cleared_at is not None  # cleared, but still open until acknowledged


async def test_acknowledge_keeps_who_when_note_and_audits(session):
    """Acknowledging closes the alert with the user and note, once, with an audit entry."""
    user = User(username="pilot1", password_hash="x", role=Role.PILOT)
    session.add_all([user, Vehicle(sysid=3, name="drone-3")])
    await session.commit()
    row, _ = await _raise(session)
    done = await acknowledge(session, row.id, user, "landed, pack swapped")
    payload = alert_payload(done)
    assert payload["open"] is False
    assert payload["acknowledged_by"] == "pilot1"
    assert payload["ack_note"] == "landed, pack swapped"
    assert await open_alerts(session) == []
    with pytest.raises(Conflict):
        await acknowledge(session, row.id, user, "again")
    with pytest.raises(NotFound):
        await acknowledge(session, 999, user, "")
    acked = select(AuditEntry).where(AuditEntry.command == "alert.acknowledge")
    entry = await session.scalar(acked)
    assert entry is not None
    assert entry.params["note"] == "landed, pack swapped"
    again, new = await _raise(session)  # after acknowledgement a repeat is a new alert
    assert new
    assert again.id != row.id


async def test_filters(session):
    """Listing filters by kind, level and open state, newest first, with the total."""
    await _raise(session, "battery_low")
    await _raise(session, "failsafe", "critical")
    rows, total = await list_alerts(session, AlertFilter(level="critical"))
    assert total == 1
    assert rows[0].kind == "failsafe"
    rows, total = await list_alerts(session, AlertFilter(sysid=3, open=True))
    assert total == 2
    _, none = await list_alerts(session, AlertFilter(sysid=4))
    assert none == 0


async def test_a_late_reason_updates_without_counting_again(session):
    """More about the same occurrence (repeat=False) changes the texts, not the count."""
    first, _ = await _raise(session, "failsafe", "critical")
    late, new = await raise_alert(
        session, sysid=3, kind="failsafe", level="critical", text_en="RTL: Battery 1 is low",
        text_zh="电池低电量保护", details={"reason": "Battery 1 is low"}, repeat=False,
    )  # fmt: skip
    assert not new
    assert late.id == first.id
    assert late.count == 1
    assert late.details["reason"] == "Battery 1 is low"
