"""The safety watch in the station: every connected vehicle watched, alerts stored and sent,
and the return commanded when the reach-the-shore margin runs out.

:class:`SafetyService` follows the fleet: for each vehicle it runs a
:class:`~groundstation.safety.watch.VehicleWatch` over the vehicle's states (whatever it is
doing: a patrol, a dispatch, guided flight, on the ground) and listens to the fleet's events
for mode changes and STATUSTEXTs. Every raised finding is stored (:mod:`groundstation.db.alerts`:
a repeat of an open alert updates it) and published as an ``alert`` on the live hub with its
row's id, both texts and the patrol the vehicle flies, if any; a cleared one updates the row.

At the critical margin the station commands the return itself (RTL when the station is the
cheapest landable point, else a go-to to the cheaper rally point and a landing there), stores
why as an ``auto_return`` alert and an audit entry (user ``station``), unless the pilot has
taken manual control (an unrequested switch to a pilot mode), which is said as an alert too.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.alerts import alert_payload, clear_alert, open_alerts, raise_alert
from groundstation.db.audit import audit
from groundstation.db.models import TERMINAL_PATROL_STATES, Patrol, Plan, Vehicle
from groundstation.errors import LinkError
from groundstation.link import Fleet, FleetEvent, VehicleHandle, VehicleState
from groundstation.patrol.battery import estimate_for
from groundstation.patrol.mission_facts import SortieFacts
from groundstation.safety.config import SafetySettings
from groundstation.safety.margin import EnergyRates, Margin, point_of_no_return, wind_to
from groundstation.safety.rules import PILOT_MODES, Finding
from groundstation.safety.site_facts import SiteFacts
from groundstation.safety.watch import Change, VehicleWatch
from groundstation.telemetry.events import alert
from groundstation.telemetry.hub import Hub
from groundstation.telemetry.messages import Alert as AlertPayload
from groundstation.telemetry.messages import VehicleSafety

log = logging.getLogger(__name__)

#: STATUSTEXTs kept per vehicle, and for how long they explain a mode change (seconds): those
#: before it, and those up to LATE_TEXT_S after it.
TEXTS_KEPT = 8
TEXT_WINDOW_S = 10.0
LATE_TEXT_S = 5.0
#: Within this many metres of a rally point the go-to is done and the vehicle lands.
ARRIVED_M = 15.0
#: Modes in which a vehicle is already on its way down or home: the watch does not add a return.
RETURN_MODES = frozenset({"RTL", "SMART_RTL", "LAND"})
#: How often (seconds) a flying vehicle's patrol and point of no return are worked out again.
ROUTE_EVERY_S = 5.0


class CommandNoter(Protocol):
    """Tells the patrol service the station sent a command (``PatrolService.note_command``)."""

    def __call__(self, sysid: int, command: str, username: str, *, source: str = ...) -> None: ...


@dataclass(slots=True)
class Registry:
    """What the store says about a vehicle (nothing for one heard but not accepted)."""

    vehicle_id: int | None = None
    name: str | None = None
    airframe: str | None = None
    endurance_s: float | None = None


@dataclass(slots=True)
class Tracked:
    """One vehicle's watch and what the service remembers about it."""

    watch: VehicleWatch
    registry: Registry
    texts: deque[tuple[float, str]]
    manual: bool = False
    returning: str | None = None  # why the station commanded the return, while it flies it
    #: the patrol it flies and that sortie's waypoints (lon, lat), looked up now and then
    patrol_id: int | None = None
    route: SortieFacts | None = None
    route_checked: float = -math.inf
    #: the point of no return along the rest of the route (lat, lon), if there is one
    pnr: tuple[float, float] | None = None
    #: an unrequested mode change just told (old, new, when): a STATUSTEXT arriving within
    #: LATE_TEXT_S after it still explains it (ArduCopter may send it after the HEARTBEAT)
    explaining: tuple[str, str, float] | None = None


class SafetyService:
    """Watches every vehicle of a fleet; stores and publishes its alerts."""

    def __init__(
        self,
        settings: SafetySettings,
        hub: Hub,
        sessions: async_sessionmaker[AsyncSession],
        facts: SiteFacts | None,
        *,
        default_endurance_s: float = 1500.0,
        learn_min_flights: int = 3,
        learn_min_minutes: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        note_command: CommandNoter | None = None,
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.sessions = sessions
        self.facts = facts
        self.default_endurance_s = default_endurance_s
        self.learn = (learn_min_flights, learn_min_minutes)
        self.clock = clock
        #: tells the patrol service the station sent a command (PatrolService.note_command)
        self.note_command = note_command
        self.vehicles: dict[int, Tracked] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- running -------------------------------------------------------------------------------

    async def run(self, fleet: Fleet) -> None:
        """Watch every vehicle of `fleet` (those known and each new one) until cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._events(fleet), name="safety events")
                async for sysid in fleet.new_vehicles():
                    group.create_task(self._vehicle(fleet, sysid), name=f"safety {sysid}")
        finally:
            for task in self._tasks:
                task.cancel()

    async def _vehicle(self, fleet: Fleet, sysid: int) -> None:
        handle = fleet.vehicle(sysid)
        registry = await self._registry(sysid)
        rates = await self._rates(registry)
        watch = VehicleWatch(self.settings, self.facts, rates, airframe=registry.airframe)
        tracked = Tracked(watch, registry, deque(maxlen=TEXTS_KEPT))
        self.vehicles[sysid] = tracked
        states = handle.states()
        armed = False
        try:
            async for st in states:
                if st.armed and not armed:  # a new flight: what the last ones taught
                    watch.rates = await self._rates(tracked.registry)
                armed = st.armed
                changes = watch.check(st)
                if not st.armed:
                    tracked.returning = None
                for change in changes:
                    await self._record(sysid, change)
                if st.armed and self.clock() - tracked.route_checked >= ROUTE_EVERY_S:
                    tracked.route_checked = self.clock()
                    await self._follow_route(tracked)
                    tracked.pnr = self._point_of_no_return(tracked, st)
                elif not st.armed:
                    tracked.pnr = None
                if any(c.raised and c.finding.kind == "margin_critical" for c in changes):
                    self._spawn(self._margin_critical(handle, tracked), f"return {sysid}")
        finally:
            await states.aclose()  # type: ignore[attr-defined]

    async def _events(self, fleet: Fleet) -> None:
        async for ev in fleet.events():
            tracked = self.vehicles.get(ev.sysid)
            if tracked is None:
                continue
            if ev.kind == "statustext":
                tracked.texts.append((self.clock(), ev.text))
                await self._late_reason(ev.sysid, tracked)
            elif ev.kind == "mode_changed" and ev.mode is not None:
                await self._mode_changed(fleet, ev, tracked)

    async def _mode_changed(self, fleet: Fleet, ev: FleetEvent, tracked: Tracked) -> None:
        assert ev.mode is not None
        old = ev.text.split(" -> ", 1)[0]
        now = self.clock()
        try:
            asked = fleet.vehicle(ev.sysid).mode_requests.get(ev.mode)
        except LinkError:
            asked = None
        requested = asked is not None and now - asked <= self.settings.mode_grace_s
        tracked.manual = ev.mode in PILOT_MODES and (not requested or tracked.manual)
        texts = [t for at, t in tracked.texts if now - at <= TEXT_WINDOW_S]
        changes = tracked.watch.mode_changed(old, ev.mode, requested=requested, texts=texts)
        tracked.explaining = (old, ev.mode, now) if changes else None
        for change in changes:
            await self._record(ev.sysid, change)

    async def _late_reason(self, sysid: int, tracked: Tracked) -> None:
        """A STATUSTEXT just after an unrequested mode change: the alert gets its reason."""
        if tracked.explaining is None:
            return
        old, new, at = tracked.explaining
        now = self.clock()
        if now - at > LATE_TEXT_S:
            tracked.explaining = None
            return
        texts = [t for when, t in tracked.texts if at - TEXT_WINDOW_S <= when <= now]
        for change in tracked.watch.mode_changed(old, new, requested=False, texts=texts):
            await self._record(sysid, replace(change, repeat=False))

    # --- storing and publishing -----------------------------------------------------------------

    async def _record(self, sysid: int, change: Change) -> None:
        """Store a raised finding (or note a cleared one) and publish the row."""
        f = change.finding
        tracked = self.vehicles.get(sysid)
        registry = tracked.registry if tracked else Registry()
        if registry.vehicle_id is None:
            registry = await self._registry(sysid)
            if tracked is not None:
                tracked.registry = registry
        try:
            async with self.sessions() as session:
                if change.raised:
                    patrol_id = await self._patrol_of(session, registry.vehicle_id)
                    row, _ = await raise_alert(
                        session, sysid=sysid, kind=f.kind, level=f.level, text_en=f.en,
                        text_zh=f.zh, details=_jsonable(f.details),
                        vehicle_id=registry.vehicle_id, patrol_id=patrol_id,
                        repeat=change.repeat,
                    )  # fmt: skip
                else:
                    cleared = await clear_alert(session, sysid, f.kind)
                    if cleared is None:
                        return
                    row = cleared
                payload = alert_payload(row)
        except SQLAlchemyError as exc:  # the store is busy: the pilot still hears of it
            log.warning("vehicle %d: alert %s not stored: %s", sysid, f.kind, exc)
            if not change.raised:
                return
            payload = {"sysid": sysid, "kind": f.kind, "text_zh": f.zh, **_jsonable(f.details)}
        name = registry.name or f"system {sysid}"
        payload["vehicle"] = name
        self.hub.publish(alert(payload.pop("level", f.level), f"{name}: {f.en}", **_rest(payload)))

    async def _registry(self, sysid: int) -> Registry:
        try:
            async with self.sessions() as session:
                row = await session.scalar(select(Vehicle).where(Vehicle.sysid == sysid))
        except SQLAlchemyError as exc:
            log.warning("vehicle %d: registry not read: %s", sysid, exc)
            return Registry()
        if row is None:
            return Registry()
        return Registry(row.id, row.name, row.airframe, row.endurance_s)

    async def _rates(self, registry: Registry) -> EnergyRates:
        """The vehicle's learned battery rates, else its (or the default) endurance."""
        s = self.settings
        endurance = registry.endurance_s or self.default_endurance_s
        if registry.vehicle_id is not None:
            try:
                async with self.sessions() as session:
                    row = await session.get(Vehicle, registry.vehicle_id)
                    if row is not None:
                        est = await estimate_for(
                            session, row, endurance_s=endurance,
                            min_flights=self.learn[0], min_minutes=self.learn[1],
                        )  # fmt: skip
                        return EnergyRates.from_estimate(
                            est, s.return_speed_m_s, s.drag_frac, s.max_airspeed_m_s
                        )
            except SQLAlchemyError as exc:
                log.warning("vehicle %s: battery estimate not read: %s", registry.name, exc)
        per_s = 100.0 / endurance
        return EnergyRates(per_s, per_s, s.return_speed_m_s, s.drag_frac, s.max_airspeed_m_s)

    @staticmethod
    async def _patrol_of(session: AsyncSession, vehicle_id: int | None) -> int | None:
        if vehicle_id is None:
            return None
        found: int | None = await session.scalar(
            select(Patrol.id)
            .where(
                Patrol.vehicle_id == vehicle_id,
                Patrol.started_at.is_not(None),
                Patrol.state.not_in([s.value for s in TERMINAL_PATROL_STATES]),
            )
            .order_by(Patrol.id.desc())
            .limit(1)
        )
        return found

    # --- the point of no return ----------------------------------------------------------------

    async def _follow_route(self, tracked: Tracked) -> None:
        """Which patrol the vehicle flies now, and its sortie's waypoints (cached per patrol)."""
        try:
            async with self.sessions() as session:
                patrol_id = await self._patrol_of(session, tracked.registry.vehicle_id)
                if patrol_id == tracked.patrol_id:
                    return
                tracked.patrol_id, tracked.route = patrol_id, None
                if patrol_id is None:
                    return
                patrol = await session.get(Patrol, patrol_id)
                plan = await session.get(Plan, patrol.plan_id) if patrol else None
                if patrol is not None and plan is not None:
                    tracked.route = SortieFacts.from_plan(plan, patrol.sortie)
        except (SQLAlchemyError, LookupError, ValueError) as exc:
            log.warning("vehicle %s: route not read: %s", tracked.registry.name, exc)

    def _point_of_no_return(self, tracked: Tracked, st: VehicleState) -> tuple[float, float] | None:
        facts, rates, pos = self.facts, tracked.watch.rates, st.position
        if tracked.route is None or facts is None or rates is None or pos is None:
            return None
        if st.battery_pct is None or st.mission_seq is None:
            return None
        rest = tracked.route.waypoints(first=max(1, st.mission_seq))[1:]
        if not rest:
            return None
        s = self.settings
        wind = _wind_of(st, s)
        route_m = [facts.to_local(lon, lat) for lon, lat in rest]
        here = facts.to_local(pos.lon_deg, pos.lat_deg)
        found = point_of_no_return(
            route_m, here, facts.landable, st.battery_pct, rates, s.reserve_pct,
            wind_to_m_s=wind, landing_s=s.landing_s,
        )  # fmt: skip
        if found is None:
            return None
        lon, lat = facts.frame.xy_to_wgs84(*found)
        return lat, lon

    # --- the automatic return -------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _margin_critical(self, h: VehicleHandle, tracked: Tracked) -> None:
        """The return, unless one is already under way after a short grace (the patrol's own
        battery return, the vehicle's failsafe, a pilot's RTL): the watch is the safety net."""
        if not self.settings.auto_return or tracked.returning is not None:
            return
        tracked.returning = "pending"
        await asyncio.sleep(self.settings.auto_return_grace_s)
        st = h.state
        m = tracked.watch.margin
        if m is None or m.target is None or not st.armed or st.mode in RETURN_MODES:
            tracked.returning = f"already returning ({st.mode})" if st.armed else None
            return
        if tracked.manual or (st.mode in PILOT_MODES and not _asked(h, st.mode, self)):
            await self._record(h.sysid, Change(_suppressed(m)))
            tracked.returning = "suppressed: manual control"
            return
        target = m.target
        why = _why(m, tracked.watch.wind_source)
        if self.note_command is not None:  # the patrol runner then says who sent it home
            self.note_command(h.sysid, "RTL", "the station (shore margin)", source="shore_margin")
        try:
            if target.kind == "station":
                action = "RTL"
                await h.rtl()
            else:
                action = f"go to {target.name}, then land"
                alt = st.position.alt_rel_m if st.position else 30.0
                await h.goto(target.lat_deg, target.lon_deg, max(alt, 20.0))
                self._spawn(self._land_at(h, target.lat_deg, target.lon_deg), f"land {h.sysid}")
        except LinkError as exc:
            log.error("vehicle %d: automatic return failed: %s", h.sysid, exc)
            f = Finding("auto_return", "critical", f"automatic return FAILED ({exc}): {why}",
                        "自动返航指令失败，请飞手立即处置", {"error": str(exc)})  # fmt: skip
            await self._record(h.sysid, Change(f))
            return
        tracked.returning = why
        details = {
            "action": action,
            "target": target.name,
            "reason": why,
            "margin_min": _num(m.minutes),
            "wind_source": tracked.watch.wind_source,
        }
        where_zh = "起降站" if target.kind == "station" else target.name.replace("rally", "备降点")
        await self._record(h.sysid, Change(Finding(
            "auto_return", "critical", f"station commanded {action}: {why}",
            f"地面站已自动指挥返航至{where_zh}：返航余量告急", details,
        )))  # fmt: skip
        try:
            async with self.sessions() as session:
                row = await session.scalar(select(Vehicle).where(Vehicle.sysid == h.sysid))
                await audit(session, None, row or h.sysid, "safety.auto_return", action, details)
        except SQLAlchemyError as exc:
            log.warning("automatic return not audited: %s", exc)

    async def _land_at(self, h: VehicleHandle, lat: float, lon: float) -> None:
        """Land once the go-to has brought the vehicle to the rally point."""

        def arrived(st: VehicleState) -> bool:
            p = st.position
            return p is not None and _metres(p.lat_deg, p.lon_deg, lat, lon) <= ARRIVED_M

        try:
            st = await h.wait_for(lambda s: arrived(s) or s.mode != "GUIDED", timeout_s=3600.0)
            if arrived(st) and st.mode == "GUIDED":
                await h.land()
        except LinkError as exc:
            log.error("vehicle %d: landing at the rally point failed: %s", h.sysid, exc)

    # --- views ----------------------------------------------------------------------------------

    def frame_extra(self, sysid: int) -> VehicleSafety | None:
        """The ``safety`` part of a vehicle frame: margin, its target, the wind's source."""
        tracked = self.vehicles.get(sysid)
        if tracked is None or tracked.watch.margin is None:
            return None
        m = tracked.watch.margin
        return VehicleSafety(
            margin_min=_num(m.minutes),
            margin_pct=_num(m.margin_pct),
            return_to=m.target.name if m.target else None,
            wind_source="vehicle" if tracked.watch.wind_source == "vehicle" else "configured",
            returning=tracked.returning,
            pnr_lat_deg=tracked.pnr[0] if tracked.pnr else None,
            pnr_lon_deg=tracked.pnr[1] if tracked.pnr else None,
        )

    async def snapshot_alerts(self, session: AsyncSession) -> list[AlertPayload]:
        """The live snapshot's ``alerts``: every open alert, newest first."""
        return [AlertPayload.model_validate(alert_payload(a)) for a in await open_alerts(session)]


def _wind_of(st: VehicleState, s: SafetySettings) -> tuple[float, float]:
    if st.wind_speed_m_s is not None and st.wind_dir_deg is not None:
        return wind_to(st.wind_speed_m_s, st.wind_dir_deg)
    return wind_to(s.wind_speed_m_s, s.wind_from_deg)


def _asked(h: VehicleHandle, mode: str, service: SafetyService) -> bool:
    at = h.mode_requests.get(mode)
    return at is not None and service.clock() - at <= service.settings.mode_grace_s


def _suppressed(m: Margin) -> Finding:
    return Finding(
        "auto_return_suppressed",
        "critical",
        "shore margin critical but the pilot has manual control: no automatic return",
        "返航余量告急，但飞手已手动接管：地面站不自动返航，请飞手立即返航",
        {"margin_min": _num(m.minutes), "target": m.target.name if m.target else None},
    )


def _why(m: Margin, wind_source: str) -> str:
    where = m.target.name if m.target else "?"
    left = "no reserve left" if math.isinf(m.minutes) else f"{m.minutes:.1f} min left after it"
    return (
        f"shore margin critical: the return to {where} ({m.distance_m:.0f} m) needs "
        f"{m.need_pct:.0f} % of battery, {left} (wind: {wind_source})"
    )


def _num(v: float) -> float | None:
    return None if math.isinf(v) or math.isnan(v) else round(v, 2)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2.0))
    return math.hypot(dx, dy)


def _jsonable(details: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in dict(details).items():
        out[k] = None if isinstance(v, float) and not math.isfinite(v) else v
    return out


def _rest(payload: dict[str, Any]) -> dict[str, Any]:
    payload.pop("text", None)
    return payload
