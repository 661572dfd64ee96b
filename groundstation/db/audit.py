"""The audit log: every command sent to a drone, with who sent it, when, and what came back.

Logins are audited here too: failures, lockouts, unlocks and logouts (``login``, ``login.lockout``,
``login.unlock``, ``logout``), with no vehicle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import AuditEntry, User, Vehicle


async def audit(
    session: AsyncSession,
    user: User | None,
    vehicle: Vehicle | int | None,
    command: str,
    result: str,
    params: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> AuditEntry:
    """Record one command and its result, and commit it at once.

    `vehicle` is the registered :class:`Vehicle` or, for a drone heard on the link but not in
    the registry, its MAVLink system id. `user` None means the station itself (a schedule),
    or `actor` when given (the name someone tried to log in as, the CLI).
    The entry is committed immediately so that it survives whatever the caller does next.
    """
    vehicle_id: int | None = None
    sysid: int | None = None
    if isinstance(vehicle, Vehicle):
        vehicle_id, sysid = vehicle.id, vehicle.sysid
    else:
        sysid = vehicle
    entry = AuditEntry(
        user_id=user.id if user else None,
        username=(actor or (user.username if user else "station"))[:64],
        vehicle_id=vehicle_id,
        vehicle_sysid=sysid,
        command=command,
        params=dict(params or {}),
        result=result[:255],
    )
    session.add(entry)
    await session.commit()
    return entry
