"""Pilots' choices of which drones' video is recorded: one row per drone, the latest choice.

A drone without a row follows the settings (``video.record``); a row holds over them, across
restarts, until a pilot chooses again. Who chose is kept by id and by the name shown then (the
page shows it; the audit log has the full story).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import RecordingChoice, User


@dataclass(frozen=True, slots=True)
class Choice:
    """Drone `sysid`'s recording, as a pilot chose it."""

    sysid: int
    recording: bool
    chosen_by: str
    chosen_at: datetime


def _choice(row: RecordingChoice) -> Choice:
    return Choice(row.sysid, row.recording, row.chosen_by_name, row.chosen_at)


async def recording_choices(session: AsyncSession) -> dict[int, Choice]:
    """Every drone's standing choice, by system id."""
    rows = await session.scalars(select(RecordingChoice))
    return {row.sysid: _choice(row) for row in rows}


async def choose_recording(
    session: AsyncSession, sysid: int, recording: bool, user: User, now: datetime | None = None
) -> Choice:
    """Store `user`'s choice for drone `sysid` (replacing any earlier one); not committed."""
    row = await session.get(RecordingChoice, sysid)
    if row is None:
        row = RecordingChoice(sysid=sysid)
        session.add(row)
    row.recording = recording
    row.chosen_by = user.id
    row.chosen_by_name = user.full_name or user.username
    row.chosen_at = now or datetime.now(UTC)
    await session.flush()
    return _choice(row)


async def forget_recording_choice(session: AsyncSession, sysid: int) -> bool:
    """Drop drone `sysid`'s choice (the settings decide again); whether it had one. Not
    committed."""
    row = await session.get(RecordingChoice, sysid)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
