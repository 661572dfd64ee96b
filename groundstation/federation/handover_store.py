"""The centre's record of handovers between stations (docs/federation.md, Handover).

Every handover message the centre reads (the offer, the answer, the release, and each
station's ``handover.taken`` / ``handover.kept``) moves the handover's row in
``fed_handovers`` forward; a release or a take sets ``fed_control``: the station the drone
was handed to. The two stations' messages may arrive in any order: a row's state only moves
to a higher rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from groundstation.federation.protocol import Envelope, Handover

#: message kind -> (state, rank)
STATES: dict[str, tuple[str, int]] = {
    "handover.offer": ("offered", 1),
    "handover.accept": ("accepted", 2),
    "handover.refuse": ("refused", 2),
    "handover.kept": ("kept", 3),
    "handover.release": ("released", 3),
    "handover.taken": ("taken", 4),
}


@dataclass(frozen=True, slots=True)
class HandoverRecord:
    """A handover as the centre saw it: how far it went and why it stopped."""

    id: str
    sysid: int
    giver: str
    taker: str
    state: str
    reason: str | None
    code: str | None


async def record_handover(conn: AsyncConnection, env: Envelope, now: datetime) -> None:
    """Move the handover of `env` forward (in the caller's transaction)."""
    h = Handover.model_validate(env.data)
    state, rank = STATES[env.kind]
    await conn.execute(
        text(
            "INSERT INTO fed_handovers (id, sysid, giver, taker, state, rank, reason, code, "
            "offered_at, updated_at) VALUES (:id, :sysid, :giver, :taker, :state, :rank, "
            ":reason, :code, :at, :now) ON CONFLICT (id) DO UPDATE SET state = :state, "
            "rank = :rank, reason = :reason, code = :code, updated_at = :now "
            "WHERE fed_handovers.rank < :rank"
        ),
        {
            "id": h.id, "sysid": h.sysid, "giver": h.giver, "taker": h.taker, "state": state,
            "rank": rank, "reason": h.reason, "code": h.code, "at": env.at, "now": now,
        },
    )  # fmt: skip
    if state in ("released", "taken"):
        await conn.execute(
            text(
                "INSERT INTO fed_control (sysid, station, handover_id, since) "
                "VALUES (:sysid, :taker, :id, :at) ON CONFLICT (sysid) DO UPDATE SET "
                "station = :taker, handover_id = :id, since = :at "
                "WHERE fed_control.since <= :at"
            ),
            {"sysid": h.sysid, "taker": h.taker, "id": h.id, "at": env.at},
        )


async def handovers(
    engine: AsyncEngine, sysid: int | None = None, limit: int = 100
) -> list[HandoverRecord]:
    """The handovers the centre saw (of one drone, or all), newest first."""
    where = "WHERE sysid = :sysid" if sysid is not None else ""
    params: dict[str, Any] = {"sysid": sysid, "limit": limit}
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, sysid, giver, taker, state, reason, code FROM fed_handovers "
                f"{where} ORDER BY updated_at DESC LIMIT :limit"
            ),
            params,
        )
        return [
            HandoverRecord(r.id, r.sysid, r.giver, r.taker, r.state, r.reason, r.code) for r in rows
        ]


async def commander(engine: AsyncEngine, sysid: int) -> str | None:
    """The station a drone was last handed to (None: never handed over)."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT station FROM fed_control WHERE sysid = :sysid"), {"sysid": sysid}
        )
    return None if found is None else str(found)
