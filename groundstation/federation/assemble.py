"""A station's federation parts, put together for ``services.build_services``.

The link to the centre (:class:`~.station.StationLink`, its outbox and command executor), who
commands each vehicle (:class:`~.authority.Authority`, beside the outbox), the handover desk
wired to both, the offers its pilots make by hand (:class:`~.pilot_handover.PilotHandovers`)
and, when the station has a zone, the :class:`~.handover.ZoneWatch` that offers drones nearing
its edge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.config import FederationSettings
from groundstation.federation.authority import Authority
from groundstation.federation.execute import ChainAuditor, EdgeReturn, FleetExecutor
from groundstation.federation.handover import HandoverDesk, Zone, ZoneWatch
from groundstation.federation.outbox import Outbox
from groundstation.federation.pilot_handover import PilotHandovers
from groundstation.federation.station import StationLink
from groundstation.link import Fleet
from groundstation.telemetry.fleet_bridge import FleetBridge
from groundstation.telemetry.hub import Hub


@dataclass(frozen=True, slots=True)
class StationFederation:
    """What a federated station runs: its link, who commands what, handovers."""

    link: StationLink
    authority: Authority
    desk: HandoverDesk
    zone_watch: ZoneWatch | None
    pilot: PilotHandovers


def fleet_can_take(fleet: Fleet | None) -> Callable[[int], str | None]:
    """Why this station cannot take a vehicle now: it must hear it on its own MAVLink link,
    admitted, not lost, its frames from its address and, with a key, signed with it."""

    def can_take(sysid: int) -> str | None:
        if fleet is None:
            return "the station has no MAVLink link"
        handle = fleet.vehicles.get(sysid)
        if handle is None:
            return f"vehicle {sysid} is not heard on this station's link"
        if handle.is_lost:
            return f"vehicle {sysid}: link lost"
        link = fleet.link_of(sysid)
        hold = link.link_hold_reason(sysid)
        if hold is not None:
            return f"vehicle {sysid}: {hold}"
        if (
            fleet.admission.key_of(sysid) is not None
            and not link.guards[sysid].key_confirmed.is_set()
        ):
            return f"vehicle {sysid}: no frame signed with its key heard yet"
        return None

    return can_take


def station_federation(
    settings: FederationSettings,
    data_dir: Path,
    stack: contextlib.ExitStack | contextlib.AsyncExitStack,
    sessions: async_sessionmaker[AsyncSession],
    fleet: Fleet | None,
    bridge: FleetBridge | None,
    hub: Hub,
) -> StationFederation:
    """Build the parts (their files are closed by `stack`)."""
    outbox = Outbox(data_dir / "federation-outbox.db")
    stack.callback(outbox.close)
    authority = Authority(
        data_dir / "federation-control.db", settings.station_id, fleet, guests=settings.guest_sysids
    )
    stack.callback(authority.close)
    auditor = ChainAuditor(sessions)
    link = StationLink(
        settings,
        outbox,
        FleetExecutor(fleet, sessions, bridge, hub),
        auditor,
        vehicles=lambda: len(fleet.vehicles) if fleet is not None else 0,
    )
    desk = HandoverDesk(
        settings.station_id,
        authority,
        link.send_to_station,
        link.emit,
        auditor.step,
        fleet_can_take(fleet),
        on_duty=lambda: settings.accept_commands,
        timeout_s=settings.handover_timeout_s,
    )
    link.handovers = desk.receive
    link.commands_vehicle = authority.commands
    watch = None
    if fleet is not None and settings.zone_radius_m is not None:
        assert settings.zone_lat_deg is not None
        assert settings.zone_lon_deg is not None
        zone = Zone(settings.zone_lat_deg, settings.zone_lon_deg, settings.zone_radius_m)
        watch = ZoneWatch(
            desk,
            fleet,
            zone,
            settings.neighbours,
            EdgeReturn(fleet, sessions, hub),
            margin_m=settings.handover_margin_m,
            retry_s=settings.handover_retry_s,
        )
    return StationFederation(
        link, authority, desk, watch, PilotHandovers(desk, settings.neighbours)
    )
