"""How a station carries out and audits the centre's commands (its own rules, its own chain).

:class:`FleetExecutor` sends an accepted ``rtl`` or ``pause`` to the vehicle exactly as a
pilot's button does (``api.vehicle_commands``); ``dispatch`` is refused until the patrol
service can start a patrol for the centre. :class:`ChainAuditor` writes every command and the
station's answer into the station's hash-chained audit log, as ``federation.<kind>`` by
``centre:<officer>``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.audit import audit
from groundstation.errors import GroundStationError
from groundstation.federation.protocol import Command, CommandAck
from groundstation.link import Fleet


class FleetExecutor:
    """Carries out a command the station accepted, on its own fleet."""

    def __init__(self, fleet: Fleet | None) -> None:
        self.fleet = fleet

    async def __call__(self, command: Command) -> tuple[str, str | None]:
        if command.kind == "dispatch":
            return "refused", "dispatch from the centre is not supported yet"
        if self.fleet is None:
            return "refused", "the station has no fleet"
        try:
            vehicle = self.fleet.vehicle(command.sysid)
            if command.kind == "rtl":
                await vehicle.rtl()
            else:
                await vehicle.pause()
        except GroundStationError as exc:
            return "failed", str(exc)
        return "done", None


class ChainAuditor:
    """Writes the centre's commands and the station's answers into the audit chain."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, command: Command, ack: CommandAck) -> None:
        result = ack.result if ack.reason is None else f"{ack.result}: {ack.reason}"
        async with self.sessions() as session:
            await audit(
                session,
                None,
                command.sysid,
                f"federation.{command.kind}",
                result,
                {"command_id": command.id, "issued_by": command.issued_by, **command.params},
                actor=f"centre:{command.issued_by}",
            )
