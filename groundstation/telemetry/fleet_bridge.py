"""The fleet in the service: vehicle frames and link alerts to the hub, drones to the registry.

The station (``groundstation.services``) opens a :class:`~groundstation.link.Fleet` on the
settings' MAVLink endpoints (:func:`open_fleet`) and runs a :class:`FleetBridge` beside it, which

- admits only the registry's vehicles (a row is a pilot's acceptance) with the signing keys of
  the enrolled ones; a system not in the registry is listed as heard (``unknown_vehicles`` in
  the live snapshot, ``GET /api/vehicles/heard``) and never gets a row by itself;
- publishes each state change as a ``vehicle.frame`` (the hub coalesces and rate-limits them);
- publishes ``lost`` / ``regained`` as an ``alert`` (plus a frame carrying the link state), and
  the link guard's events (unknown vehicle heard, address changed, frames dropped) as alerts
  that are also written to the audit log (user ``station``);
- answers the live snapshot's ``vehicles`` from live state (registry drones never heard are
  listed with link status ``offline``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.config import TLOG_DIR, Settings
from groundstation.db.audit import audit
from groundstation.db.models import Vehicle
from groundstation.errors import UnknownVehicle
from groundstation.link import Backoff, Fleet, FleetEvent, LinkConfig, VehicleHandle, VehicleState
from groundstation.link.admission import Admission
from groundstation.link.vehicle import flight_time_s
from groundstation.signing_keys import key_for, station_key
from groundstation.telemetry.events import AlertLevel, alert, vehicle_frame
from groundstation.telemetry.hub import Hub, LiveMessage
from groundstation.telemetry.messages import (
    CommandedBy,
    HeardVehicle,
    VehicleFrame,
    VehicleSafety,
)

log = logging.getLogger(__name__)

REGISTER_RETRY_S = 2.0

#: Link guard events: alert level, and whether they go to the audit log too.
_GUARD_ALERTS: dict[str, AlertLevel] = {
    "unknown_heard": "warning",
    "address_changed": "critical",
    "address_rebound": "warning",
    "frames_dropped": "warning",
}


def frame_of(
    state: VehicleState,
    vehicle_id: int | None,
    name: str | None,
    security: Mapping[str, Any] | None = None,
    safety: VehicleSafety | None = None,
    commanded_by: CommandedBy | None = None,
) -> VehicleFrame:
    """The ``vehicle.frame`` payload of a vehicle state; ValueError (pydantic's ValidationError)
    if a value is not strict JSON (NaN) or out of its range.

    Validated from a plain dict: for a whole frame, pydantic's one pass over a dict costs about
    what ``json.dumps`` did, where building the nested models one by one cost a quarter more.
    """
    pos = state.position
    link, telemetry = state.link, state.telemetry
    return VehicleFrame.model_validate(
        {
            "sysid": state.sysid,
            "vehicle_id": vehicle_id,
            "name": name,
            "lat_deg": pos.lat_deg if pos else None,
            "lon_deg": pos.lon_deg if pos else None,
            "alt_rel_m": round(pos.alt_rel_m, 2) if pos else None,
            "alt_msl_m": round(pos.alt_msl_m, 2) if pos else None,
            "heading_deg": state.heading_deg,
            "speed_m_s": state.speed_m_s,
            "battery_pct": state.battery_pct,
            "voltage_v": state.voltage_v,
            "mode": state.mode,
            "armed": state.armed,
            "gps_fix": state.gps_fix,
            "landed_state": state.landed_state,
            "mission_seq": state.mission_seq,
            "paused": state.paused,
            "link": {
                "status": link.status,
                "last_heard_s": link.last_heard_s,
                "loss_pct": link.loss_pct,
                "security": security,
            },
            "telemetry": {
                "status": telemetry.status,
                "rejected": telemetry.rejected,
                "last_field": telemetry.last_field,
            },
            "safety": safety,
            "satellites": state.satellites,
            "hdop": state.hdop,
            "home_lat_deg": state.home.lat_deg if state.home else None,
            "home_lon_deg": state.home.lon_deg if state.home else None,
            "mission_total": state.mission_total,
            "flight_time_s": flight_time_s(state),
            "wind_speed_m_s": state.wind_speed_m_s,
            "wind_dir_deg": state.wind_dir_deg,
            "radio_rssi_pct": state.radio_rssi_pct,
            "radio_remrssi_pct": state.radio_remrssi_pct,
            "commanded_by": commanded_by,
        }
    )


def _bad_telemetry_alert(state: VehicleState, name: str | None) -> LiveMessage:
    field = state.telemetry.last_field
    return alert(
        "warning",
        f"{name or f'system {state.sysid}'}: impossible telemetry dropped ({field})",
        sysid=state.sysid,
        kind="bad_telemetry",
        field=field,
    )


class FleetBridge:
    """Keeps the registry, the hub and the live snapshot in step with the fleet."""

    def __init__(self, fleet: Fleet, hub: Hub, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.fleet = fleet
        self.hub = hub
        self.sessions = sessions
        self.vehicle_ids: dict[int, int] = {}  # sysid -> vehicles.id
        self.names: dict[int, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: the safety watch's margin of a vehicle, for its frames (None: no watch)
        self.safety_of: Callable[[int], VehicleSafety | None] | None = None
        #: True while the safety watch stores and sends link and telemetry alerts itself
        self.stored_alerts = False

    async def run(self) -> None:
        """Watch for new vehicles and fleet events until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._events())
            async for sysid in self.fleet.new_vehicles():
                group.create_task(self._vehicle(sysid), name=f"frames {sysid}")

    async def register(self, sysid: int) -> int | None:
        """The registry id of `sysid` (None if it has no row: vehicles get rows only when a
        pilot accepts or adds them, never from what they send)."""
        known = self.vehicle_ids.get(sysid)
        if known is not None:
            return known
        async with self.sessions() as session:
            row = await session.scalar(select(Vehicle).where(Vehicle.sysid == sysid))
            if row is None:
                return None
            self.vehicle_ids[sysid], self.names[sysid] = row.id, row.name
            return row.id

    def forget(self, sysid: int) -> None:
        """Drop the cached registry id (the row was deleted or renamed)."""
        self.vehicle_ids.pop(sysid, None)
        self.names.pop(sysid, None)

    async def _vehicle(self, sysid: int) -> None:
        while True:
            try:
                vehicle_id = await self.register(sysid)
                break
            except SQLAlchemyError as exc:  # a locked or unreachable store: frames wait for it
                log.warning("vehicle %d not registered yet: %s", sysid, exc)
                await asyncio.sleep(REGISTER_RETRY_S)
        handle = self.fleet.vehicle(sysid)
        states = handle.states()
        telemetry = "ok"
        try:
            async for st in states:
                name = self.names.get(sysid)
                if st.telemetry.status != telemetry:
                    telemetry = st.telemetry.status
                    if telemetry == "bad" and not self.stored_alerts:
                        self.hub.publish(_bad_telemetry_alert(st, name))
                vid = self.vehicle_ids.get(sysid, vehicle_id)
                try:
                    frame = frame_of(
                        st, vid, name, self.security_of(sysid), self.safety_for(sysid),
                        self.commanded_by(sysid),
                    )  # fmt: skip
                except ValueError as exc:  # not JSON (NaN): a value the link's checks missed
                    log.error("vehicle %d: frame not published: %s", sysid, exc)
                else:
                    self.hub.publish(vehicle_frame(frame))
        finally:
            await states.aclose()  # type: ignore[attr-defined]

    async def _events(self) -> None:
        async for ev in self.fleet.events():
            name = self.names.get(ev.sysid, f"system {ev.sysid}")
            if ev.kind in _GUARD_ALERTS:
                await self._guard_alert(ev, name)
            elif ev.kind in ("lost", "regained") and self.stored_alerts:
                continue  # the safety watch stores and sends them
            elif ev.kind == "lost":
                self.hub.publish(
                    alert("warning", f"{name}: link lost", sysid=ev.sysid, kind="link_lost")
                )
            elif ev.kind == "regained":
                self.hub.publish(
                    alert("info", f"{name}: link regained", sysid=ev.sysid, kind="link_regained")
                )

    async def _guard_alert(self, ev: FleetEvent, name: str) -> None:
        text = ev.text if ev.kind == "unknown_heard" else f"{name}: {ev.text}"
        self.hub.publish(
            alert(_GUARD_ALERTS[ev.kind], text, sysid=ev.sysid, kind=ev.kind, reason=ev.text)
        )
        try:
            async with self.sessions() as session:
                row = await session.scalar(select(Vehicle).where(Vehicle.sysid == ev.sysid))
                await audit(session, None, row or ev.sysid, f"link.{ev.kind}", ev.text)
        except SQLAlchemyError as exc:  # the alert went out; the store may be busy
            log.warning("link alert not audited: %s", exc)

    def safety_for(self, sysid: int) -> VehicleSafety | None:
        """The safety watch's margin of `sysid` (None: no watch, or no margin)."""
        return self.safety_of(sysid) if self.safety_of is not None else None

    def commanded_by(self, sysid: int) -> CommandedBy | None:
        """The station that commands `sysid` when it is not this one (the fleet's command
        hold), or None when this station does."""
        hold = self.fleet.command_holds.get(sysid)
        return None if hold is None else CommandedBy(station=hold.commander)

    def security_of(self, sysid: int) -> dict[str, Any] | None:
        """The link guard's view of a vehicle (address, hold, dropped frames), if it is heard."""
        try:
            return self.fleet.security(sysid)
        except UnknownVehicle:
            return None

    async def snapshot_heard(self, session: AsyncSession) -> list[HeardVehicle]:
        """The snapshot's ``unknown_vehicles``: systems heard that no pilot has accepted."""
        return [
            HeardVehicle.model_validate(seen.public())
            for seen in sorted(self.fleet.heard.values(), key=attrgetter("sysid"))
        ]

    def handle_of(self, sysid: int) -> VehicleHandle:
        """The link's handle of `sysid`; :class:`UnknownVehicle` if never heard."""
        return self.fleet.vehicle(sysid)

    async def snapshot_vehicles(self, session: AsyncSession) -> list[VehicleFrame]:
        """The snapshot's ``vehicles``: live frames, then registry drones never heard."""
        out: list[VehicleFrame] = []
        heard = set()
        for sysid, handle in sorted(self.fleet.vehicles.items()):
            heard.add(sysid)
            vid, name = self.vehicle_ids.get(sysid), self.names.get(sysid)
            try:
                security, safety = self.security_of(sysid), self.safety_for(sysid)
                by = self.commanded_by(sysid)
                out.append(frame_of(handle.state, vid, name, security, safety, by))
            except ValueError as exc:  # as in _vehicle: a value the link's checks missed
                log.error("vehicle %d: left out of the snapshot: %s", sysid, exc)
        for row in await session.scalars(select(Vehicle).order_by(Vehicle.sysid)):
            if row.sysid not in heard:
                by = self.commanded_by(row.sysid)
                out.append(VehicleFrame.offline(row.sysid, row.id, row.name, by))
        return out


def fleet_from_settings(settings: Settings, vehicles: Sequence[Vehicle] = ()) -> Fleet:
    """The fleet on the configured endpoints, admitting the registry's vehicles only, each
    enrolled one with its own signing key."""
    link = settings.link
    key = station_key(settings)
    keys = {v.sysid: key_for(key, v.sysid, v.signing_generation) for v in vehicles}
    admission = Admission(
        open_fleet=False,
        require_signing=link.require_signing,
        rebind_after_s=link.rebind_after_s,
        accepted=[v.sysid for v in vehicles],
        keys={sysid: k for sysid, k in keys.items() if k is not None},
    )
    return Fleet(
        [LinkConfig(url=url) for url in link.mavlink],
        lost_after_s=link.link_lost_s,
        system_id=link.system_id,
        backoff=Backoff(first_s=link.reconnect_first_s, cap_s=link.reconnect_max_s),
        admission=admission,
        tlog_dir=settings.data_dir / TLOG_DIR if link.tlog else None,
    )


async def open_fleet(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Fleet:
    """The fleet of :func:`fleet_from_settings` for the vehicles in the registry now (not yet
    entered: the caller runs it with ``async with``)."""
    async with sessions() as session:
        vehicles = list(await session.scalars(select(Vehicle)))
    return fleet_from_settings(settings, vehicles)
