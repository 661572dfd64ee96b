"""How a station carries out and audits the centre's commands (its own rules, its own chain).

:class:`FleetExecutor` sends an accepted ``rtl`` or ``pause`` to the vehicle exactly as a
pilot's button does (``api.vehicle_commands``), and a ``dispatch`` through the station's own
dispatch path (:mod:`groundstation.patrol.dispatch`): the centre's incident is recorded in the
station's store, then the named drone, if the station finds it free, is armed, taken off if on
the ground, and sent there to hold; the ACK names the station's incident. :class:`ChainAuditor`
writes every command and the station's answer into the station's hash-chained audit log, as
``federation.<kind>`` by ``centre:<officer>`` (a dispatch also writes the dispatch's own
``dispatch`` entry, as a pilot's does).
"""

from __future__ import annotations

import dataclasses

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.audit import audit
from groundstation.db.incidents import report_incident
from groundstation.db.models import IncidentType
from groundstation.db.vehicles import vehicle_with_sysid
from groundstation.errors import Conflict, GroundStationError, VehicleHeld
from groundstation.federation.protocol import Command, CommandAck, DispatchParams, Handover
from groundstation.federation.station import Outcome
from groundstation.link import Fleet
from groundstation.patrol.dispatch import DispatchOrder, dispatch_to_incident
from groundstation.telemetry.events import alert
from groundstation.telemetry.fleet_bridge import FleetBridge
from groundstation.telemetry.hub import Hub


def held_outcome(fleet: Fleet, exc: VehicleHeld) -> Outcome:
    """A command the link would not send: another station commands the vehicle, or held."""
    if exc.sysid in fleet.command_holds:
        return Outcome("refused", exc.reason, "handed_over")
    return Outcome("refused", exc.reason, "vehicle_busy")


class FleetExecutor:
    """Carries out a command the station accepted, on its own fleet."""

    def __init__(
        self,
        fleet: Fleet | None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        bridge: FleetBridge | None = None,
        hub: Hub | None = None,
    ) -> None:
        self.fleet = fleet
        self.sessions = sessions
        self.bridge = bridge
        self.hub = hub

    async def __call__(self, command: Command) -> Outcome:
        if self.fleet is None:
            return Outcome("refused", "the station has no fleet", "no_fleet")
        if command.kind == "dispatch":
            return await self._dispatch(command)
        try:
            vehicle = self.fleet.vehicle(command.sysid)
            if command.kind == "rtl":
                await vehicle.rtl()
            else:
                await vehicle.pause()
        except VehicleHeld as exc:
            return held_outcome(self.fleet, exc)
        except GroundStationError as exc:
            return Outcome("failed", str(exc), "vehicle_refused")
        return Outcome("done")

    async def _dispatch(self, command: Command) -> Outcome:
        try:
            params = DispatchParams.model_validate(command.params)
            kind = IncidentType(params.incident_type)
        except (ValidationError, ValueError) as exc:
            return Outcome("refused", f"bad dispatch parameters: {exc}", "bad_params")
        if self.fleet is None or self.sessions is None or self.bridge is None:
            return Outcome("refused", "the station has no fleet", "no_fleet")
        actor = f"centre:{command.issued_by}"
        async with self.sessions() as session:
            vehicle = await vehicle_with_sysid(session, command.sysid)
            if vehicle is None:
                reason = f"no registered vehicle with system id {command.sysid}"
                return Outcome("refused", reason, "unknown_vehicle")
            fields = {
                "type": kind,
                "lat_deg": params.lat_deg,
                "lon_deg": params.lon_deg,
                "description": params.description or f"dispatched by the centre ({actor})",
            }
            incident = await report_incident(session, fields, reported_by=None)
            refs = {"incident_id": incident.id, "vehicle": vehicle.name}
            order = DispatchOrder(alt_rel_m=params.alt_rel_m, vehicle_id=vehicle.id)
            try:
                await dispatch_to_incident(
                    session, self.bridge, None, incident.id, order, actor=actor
                )
            except VehicleHeld as exc:
                return dataclasses.replace(held_outcome(self.fleet, exc), refs=refs)
            except Conflict as exc:
                return Outcome("refused", str(exc), "vehicle_busy", refs)
            except GroundStationError as exc:
                return Outcome("failed", str(exc), "vehicle_refused", refs)
        if self.hub is not None:
            text = f"{vehicle.name} dispatched by the centre ({command.issued_by})"
            self.hub.publish(alert("info", text, kind="dispatch", sysid=command.sysid))
        return Outcome("done", None, None, refs)


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
                {
                    "command_id": command.id,
                    "issued_by": command.issued_by,
                    "code": ack.code,
                    **ack.refs,
                    **command.params,
                },
                actor=f"centre:{command.issued_by}",
            )

    async def step(self, step: str, handover: Handover, result: str) -> None:
        """One step of a handover, as ``federation.handover.<step>`` by the station."""
        params = {
            "handover_id": handover.id,
            "giver": handover.giver,
            "taker": handover.taker,
            "reason": handover.reason,
            "code": handover.code,
        }
        async with self.sessions() as session:
            await audit(
                session, None, handover.sysid, f"federation.handover.{step}", result, params
            )


class EdgeReturn:
    """Returns a drone that reached the zone's edge with no station taking it: RTL as a
    pilot's button does, audited (``federation.handover.rtl``) and announced."""

    def __init__(
        self, fleet: Fleet, sessions: async_sessionmaker[AsyncSession], hub: Hub | None
    ) -> None:
        self.fleet, self.sessions, self.hub = fleet, sessions, hub

    async def __call__(self, sysid: int, why: str) -> None:
        try:
            await self.fleet.vehicle(sysid).rtl()
            result = "done"
        except GroundStationError as exc:
            result = f"failed: {exc}"
        async with self.sessions() as session:
            await audit(session, None, sysid, "federation.handover.rtl", result, {"why": why})
        if self.hub is not None:
            text = f"vehicle {sysid} returns home: {why}"
            self.hub.publish(alert("warning", text, kind="handover", sysid=sysid))
