"""One patrol in flight: upload, launch, monitor, land, and file the facts.

A :class:`PatrolRunner` is a task owned by the :class:`~groundstation.patrol.service.PatrolService`.
It starts after a passed preflight (``start`` / ``resume``) or after a station restart
(``reattach``: straight to monitoring, the track continues after a gap mark). Every state change
goes through the service. While flying it watches three things at once:

- the vehicle's states: a track point (thinned), mode changes, the landing (disarmed after
  having flown);
- the fleet's events for this vehicle: items reached (progress), link lost / regained,
  autopilot messages about the fence or the battery;
- a timer that flushes what was seen to the store (about once a second).

The battery is watched against the way home: once what is left is no more than what flying
back from where the vehicle is needs (the battery model preflight used: learned from the
vehicle's flights, or configured) plus ``return_reserve_pct``, the runner sends it home (RTL)
and says why; the patrol lands resumable. (A fixed low-battery warning alone let a resumed
patrol land at 0 % on ArduCopter SITL.)

Nothing seen is written per message: the track points, the photos the vehicle reports (fleet
``photo`` events, stored as ``photos`` patrol events) and the flight's running facts (the
``flights`` row: distance, battery used; :mod:`groundstation.patrol.flight_log`) are buffered and
written together on each flush, so a station killed at any moment loses at most the last
flush interval. The flight's row is written at once at arming, with the battery then. After a
restart the runner continues that row: the distance goes on from its last point, across the
gap along the waypoints the vehicle reached meanwhile.

A mode change to RTL / LAND before the route's last waypoint is an interruption (low battery,
a failsafe, a pilot): the patrol returns and lands as ``landed`` and can be resumed from its last
reached item. Reaching the last waypoint means the route is done: ``returning``, then on landing
``landed`` -> ``reported`` with a report row holding the facts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation import reasons
from groundstation.db.models import (
    Flight,
    Incident,
    PatrolEvent,
    PatrolState,
    Report,
    Vehicle,
)
from groundstation.db.track import load_track
from groundstation.db.types import utcnow
from groundstation.errors import GroundStationError
from groundstation.link import FleetEvent, VehicleHandle, VehicleState
from groundstation.link.camera import PhotoTaken
from groundstation.patrol.battery import BatteryEstimate
from groundstation.patrol.config import PatrolConfig
from groundstation.patrol.fence_upload import FenceBudgets, upload_fence
from groundstation.patrol.flight_log import FlightLog
from groundstation.patrol.mission_facts import ROUTE_COMMANDS, SortieFacts
from groundstation.patrol.photos import missed_photos, photo_entry, stored_photos
from groundstation.patrol.recorder import PatrolRecorder, RecentCommand
from groundstation.patrol.track_recorder import TrackRecorder, haversine_m
from groundstation.reasons import Reason
from groundstation.telemetry.messages import PatrolProgress

if TYPE_CHECKING:
    from groundstation.telemetry.fleet_bridge import FleetBridge
    from routes.mission import MissionItem

log = logging.getLogger(__name__)

RETURN_MODES = frozenset({"RTL", "LAND", "SMART_RTL", "AUTO_RTL"})
LOW_BATTERY_PCT = 30.0


class _Landed(Exception):
    """The vehicle is on the ground and disarmed: monitoring is over."""


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


class RunnerHost(PatrolRecorder, Protocol):
    """What a runner needs of the service that owns it (``service.PatrolService`` is the one):
    its settings and store, the link, and the service's writes (state, events, progress)."""

    @property
    def config(self) -> PatrolConfig: ...
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def bridge(self) -> FleetBridge | None: ...
    @property
    def fence_budgets(self) -> FenceBudgets: ...

    async def last_resume(self, patrol_id: int) -> int | None: ...
    async def set_last_item(self, patrol_id: int, seq: int) -> None: ...
    def progress(self, progress: PatrolProgress) -> None: ...
    def note_command(
        self,
        sysid: int,
        command: str,
        username: str,
        *,
        source: str = "pilot",
        full_name: str | None = None,
    ) -> None: ...
    def recent_command(self, sysid: int, within_s: float = 30.0) -> RecentCommand | None: ...
    def after_landing(self, vehicle_id: int, reported: bool) -> None: ...


class PatrolRunner:
    """Flies one patrol to its end (or until cancelled by an abort or shutdown)."""

    def __init__(
        self,
        service: RunnerHost,
        patrol_id: int,
        handle: VehicleHandle,
        vehicle_id: int,
        facts: SortieFacts,
        *,
        mode: str = "start",
        first: int = 1,
        battery: BatteryEstimate | None = None,
    ) -> None:
        self.service = service
        self.config = service.config
        self.patrol_id = patrol_id
        self.handle = handle
        self.facts = facts
        self.vehicle_id = vehicle_id
        self.mode = mode
        self.first = first
        self.state = PatrolState.FLYING if mode == "reattach" else PatrolState.PREFLIGHT
        self.last_reached = first - 1
        self.recorder = TrackRecorder(
            vehicle_id, patrol_id, self.config.track_interval_s, gap_first=mode == "reattach"
        )
        self.recorder.via = self._via
        #: the mission the vehicle holds (a resume mission differs from the plan's)
        self.vehicle_items: tuple[MissionItem, ...] = facts.items
        self.flight: FlightLog | None = None
        self.flight_id: int | None = None
        self._flight_dirty = False
        self._seq: int | None = None  # the vehicle's target item at the last kept point
        self.airborne = False
        self.lost = False
        self.interrupted: Reason | None = None
        #: vehicle item -> plan item, when the vehicle flies a resume mission
        self.seq_map: tuple[int, ...] | None = None
        self.outside = False
        self.battery_low = False
        self.battery = battery or BatteryEstimate(
            "configured", "default", self.config.default_endurance_s
        )
        self._sent_home = False
        self._own_mode: str | None = None
        self.photos: list[PhotoTaken] = []  # reported, not yet stored
        self.battery_start_pct: float | None = None
        self.battery_end_pct: float | None = None

    # --- the lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            if self.mode == "reattach":
                await self._reattach()
            else:
                await self._upload()
                await self._launch()
            await self._monitor()
            await self._landed()
        except GroundStationError as exc:
            log.warning("patrol %d failed: %s", self.patrol_id, exc)
            await self._flush()
            why = reasons.failed(exc)
            await self.service.event(
                self.patrol_id, "failure", str(exc), level="critical", notify=True, reason=why
            )
            await self.service.transition(self.patrol_id, PatrolState.FAILED, why)
        except asyncio.CancelledError:
            await asyncio.shield(self._flush())
            raise

    async def _to(self, state: PatrolState, cause: Reason) -> None:
        await self.service.transition(self.patrol_id, state, cause)
        self.state = state

    async def _upload(self) -> None:
        h = self.handle
        items = self.facts.items
        if self.first > 1:
            items, self.seq_map = self.facts.resume_mission(self.first - 1)
        self.vehicle_items = items
        await self._to(PatrolState.UPLOADING, Reason("uploading", {"items": len(items)}))
        if self.seq_map is not None:
            await self.service.event(
                self.patrol_id,
                "resume",
                f"resume mission: {len(items)} items from item {self.first - 1}",
                from_item=self.first - 1,
            )
        await h.upload_mission(items, "mission", verify=True)
        if self.facts.fence_items:
            await self._upload_fence()
        if self.facts.rally_items:
            await h.upload_mission(self.facts.rally_items, "rally", verify=True)

    async def _upload_fence(self) -> None:
        """The sortie's fence, fitted to what the vehicle holds (refitted and learned once if
        it refuses for room); the event says what changed."""
        sent = await upload_fence(
            self.handle, self.facts.items, self.facts.fence_items, self.service.fence_budgets,
            self.vehicle_id,
        )  # fmt: skip
        if sent.message:
            notes = sent.refit.notes() if sent.refit is not None else []
            await self.service.event(
                self.patrol_id,
                "fence_refit",
                sent.message,
                level="warning" if sent.learned is not None else "info",
                notify=sent.learned is not None,
                reason=Reason("fence_refit", {"items": len(sent.items), "detail": sent.message}),
                notes=notes,
                items=len(sent.items),
            )

    async def _launch(self) -> None:
        alt = self.facts.altitude_m
        await self._to(PatrolState.LAUNCHING, Reason("launching", {"alt_m": alt}))
        h = self.handle
        if h.is_ardupilot and h.state.mode != "GUIDED":
            await h.set_mode("GUIDED")  # RTL / LAND (after an interruption) are not armable
        await h.arm()
        self.battery_start_pct = h.state.battery_pct
        await self._open_flight(h.state)
        await h.takeoff(alt)

        def climbed(s: VehicleState) -> bool:
            self._observe(s)
            return s.position is not None and s.position.alt_rel_m >= alt * self.config.takeoff_frac

        await h.wait_for(climbed, self.config.launch_timeout_s)
        await h.start_mission()
        self._own_mode = None  # the monitor takes the next state's mode as its baseline
        self.airborne = True
        cause = (
            Reason("mission_started")
            if self.first <= 1
            else Reason("mission_resumed", {"item": self.first})
        )
        await self._to(PatrolState.FLYING, cause)

    async def _reattach(self) -> None:
        st = await self.handle.wait_for(
            lambda s: s.position is not None, self.config.reattach_timeout_s
        )
        async with self.service.sessions() as session:
            from groundstation.db.models import Patrol

            row = await session.get(Patrol, self.patrol_id)
            if row is not None:
                self.last_reached = row.last_item_reached
                self.state = PatrolState(row.state)
        resumed = await self.service.last_resume(self.patrol_id)
        if resumed is not None:
            self.vehicle_items, self.seq_map = self.facts.resume_mission(resumed)
        await self._continue_flight(st)
        if st.mission_seq is not None:
            seq = self._original_seq(st.mission_seq - 1)
            if seq > self.last_reached:
                self.last_reached = seq
                await self.service.set_last_item(self.patrol_id, seq)
        self.airborne = st.armed
        self._own_mode = st.mode
        await self.service.event(
            self.patrol_id,
            "reattached",
            f"reattached after a station restart ({st.mode}, armed {st.armed})",
            level="warning",
            notify=True,
            reason=Reason("reattached", {"mode": st.mode, "armed": st.armed}),
        )

    async def _monitor(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._watch_states())
                group.create_task(self._watch_events())
                group.create_task(self._flusher())
        except BaseExceptionGroup as group_error:
            _, rest = group_error.split(_Landed)
            if rest is not None:
                raise _first_leaf(rest) from group_error

    async def _landed(self) -> None:
        self.battery_end_pct = self.handle.state.battery_pct
        await self._flush(landed=True)
        complete = self.last_reached >= self.facts.last_route_seq
        if complete:
            cause = Reason("landed_complete")
        else:
            cause = reasons.landed_early(self.last_reached, self.interrupted)
        await self._to(PatrolState.LANDED, cause)
        if complete:
            await self._report()
            await self._to(PatrolState.REPORTED, Reason("reported"))
        self.service.after_landing(self.vehicle_id, reported=complete)

    # --- monitoring -------------------------------------------------------------------------

    async def _watch_states(self) -> None:
        states = self.handle.states()
        try:
            async for st in states:
                self._observe(st)
                if st.armed and st.position is not None and st.position.alt_rel_m > 1.0:
                    self.airborne = True
                if not st.armed and (self.airborne or self.mode == "reattach"):
                    raise _Landed
                await self._on_mode(st)
                await self._check_limits(st)
        finally:
            await states.aclose()  # type: ignore[attr-defined]

    async def _on_mode(self, st: VehicleState) -> None:
        mode = st.mode
        if self._own_mode is None:  # the first state seen while monitoring: the baseline
            self._own_mode = mode
        if mode == self._own_mode:
            return
        previous, self._own_mode = self._own_mode, mode
        if mode in RETURN_MODES and self.state is PatrolState.FLYING:
            low = st.battery_pct is not None and st.battery_pct < LOW_BATTERY_PCT
            by = self.service.recent_command(self.handle.sysid)
            if by is not None:
                why = reasons.returning(
                    mode, self.last_reached, "command", by.command, by.user,
                    source=by.source, name=by.full_name,
                )  # fmt: skip
            else:
                why = reasons.returning(
                    mode, self.last_reached, "low_battery" if low else "failsafe"
                )
            self.interrupted = why
            await self.service.event(
                self.patrol_id,
                "rtl",
                why.text,
                level="warning",
                notify=True,
                reason=why,
                battery_pct=st.battery_pct,
                item=self.last_reached,
            )
            await self._to(PatrolState.RETURNING, why)
        elif mode == "AUTO" and self.state is PatrolState.RETURNING and self.interrupted:
            self.interrupted = None
            await self._to(PatrolState.FLYING, Reason("mission_continued"))
        elif mode == "AUTO":
            return  # the mission's own mode (e.g. the HEARTBEAT after our switch from GUIDED)
        elif mode not in RETURN_MODES and self.state in (PatrolState.FLYING, PatrolState.RETURNING):
            by = self.service.recent_command(self.handle.sysid)
            changed = reasons.mode_changed(
                previous, mode, by.command if by else None, by.user if by else None,
                source=by.source if by else None, name=by.full_name if by else None,
            )  # fmt: skip
            await self.service.event(
                self.patrol_id, "mode_changed", changed.text, level="warning", notify=True,
                reason=changed,
            )  # fmt: skip

    async def _check_limits(self, st: VehicleState) -> None:
        """Station-side checks: out of the fence or in a no-fly zone; battery low. Once each."""
        pos = st.position
        if pos is not None and self.airborne and pos.alt_rel_m > 1.0:
            outside = self.facts.outside_fence(pos.lon_deg, pos.lat_deg)
            if outside and not self.outside:
                await self.service.event(
                    self.patrol_id,
                    "fence_breach",
                    f"outside the geofence or in a no-fly zone at {pos.lat_deg:.6f}, "
                    f"{pos.lon_deg:.6f}",
                    level="critical",
                    notify=True,
                    reason=Reason("outside_fence"),
                    lat_deg=pos.lat_deg,
                    lon_deg=pos.lon_deg,
                )
            self.outside = outside
        low = st.battery_pct is not None and st.battery_pct < LOW_BATTERY_PCT
        if low and not self.battery_low:
            await self.service.event(
                self.patrol_id,
                "battery_low",
                f"battery {st.battery_pct:.0f} %",
                level="warning",
                notify=True,
                reason=Reason("battery_low", {"pct": round(st.battery_pct or 0.0)}),
                battery_pct=st.battery_pct,
            )
        self.battery_low = low
        await self._check_way_home(st)

    def home_need_pct(self, st: VehicleState) -> float | None:
        """Battery % flying home from `st` and landing needs (None: position or home unknown)."""
        pos = st.position
        if st.home is not None:
            home = (st.home.lat_deg, st.home.lon_deg)
        elif self.facts.items:
            home = (self.facts.items[0].lat_deg, self.facts.items[0].lon_deg)
        else:
            return None
        if pos is None:
            return None
        dist = haversine_m(pos.lat_deg, pos.lon_deg, *home)
        speed = self.facts.speed_m_s
        # the descent counted at 1 m/s (ArduCopter's LAND_SPEED is 0.5, WPNAV_SPEED_DN 1.5)
        duration = dist / speed + max(0.0, pos.alt_rel_m) / 1.0
        return self.battery.need_pct(duration, dist, speed)

    async def _check_way_home(self, st: VehicleState) -> None:
        """Send the vehicle home once its battery is down to the way home's need plus reserve."""
        if self._sent_home or not self.airborne or self.state is not PatrolState.FLYING:
            return
        need = self.home_need_pct(st)
        if need is None or st.battery_pct is None:
            return
        if st.battery_pct > need + self.config.return_reserve_pct:
            return
        self._sent_home = True
        text = (
            f"battery {st.battery_pct:.0f} %: the way home needs {need:.0f} % plus "
            f"{self.config.return_reserve_pct:.0f} % reserve ({self.battery.describe()}); "
            "returning"
        )
        await self.service.event(
            self.patrol_id,
            "battery_return",
            text,
            level="critical",
            notify=True,
            reason=Reason(
                "battery_return",
                {
                    "pct": round(st.battery_pct),
                    "need_pct": round(need),
                    "reserve_pct": round(self.config.return_reserve_pct),
                },
            ),
            battery_pct=st.battery_pct,
            need_pct=round(need, 1),
            model=self.battery.as_dict(),
        )
        self.service.note_command(
            self.handle.sysid, "RTL", "the patrol (battery)", source="battery"
        )
        try:
            await self.handle.rtl()
        except GroundStationError as exc:
            await self.service.event(
                self.patrol_id, "battery_return", f"RTL failed: {exc}", level="critical",
                notify=True, reason=Reason("rtl_failed", {"detail": str(exc)}),
            )  # fmt: skip

    async def _watch_events(self) -> None:
        events = self.handle_events()
        async for ev in events:
            await self._on_event(ev)

    def handle_events(self) -> Any:
        bridge = self.service.bridge
        assert bridge is not None
        return bridge.fleet.events()

    async def _on_event(self, ev: FleetEvent) -> None:
        if ev.sysid != self.handle.sysid:
            return
        if ev.kind == "mission_item_reached" and ev.seq is not None:
            seq = self._original_seq(ev.seq)
            if seq > self.last_reached:
                self.last_reached = seq
                await self.service.set_last_item(self.patrol_id, seq)
            self.service.progress(
                PatrolProgress(
                    id=self.patrol_id,
                    last_item_reached=self.last_reached,
                    items=len(self.facts.items),
                    distance_m=round(self.recorder.distance_m, 1),
                    covered_frac=round(self.facts.covered_frac(self.last_reached), 3),
                )
            )
            if seq >= self.facts.last_route_seq and self.state is PatrolState.FLYING:
                await self._to(PatrolState.RETURNING, Reason("route_complete"))
        elif ev.kind == "photo" and ev.photo is not None:
            self.photos.append(ev.photo)
        elif ev.kind == "lost":
            self.lost = True
            await self._flush()
            self.recorder.mark_gap(self._seq)
            await self.service.event(self.patrol_id, "link_lost", "link lost", level="warning")
        elif ev.kind == "regained" and self.lost:
            self.lost = False
            await self.service.event(self.patrol_id, "link_regained", "link regained")
        elif ev.kind == "statustext":
            low = ev.text.lower()
            if "fence" in low:
                await self.service.event(
                    self.patrol_id, "fence_breach", ev.text, level="critical", notify=True,
                    reason=Reason("vehicle_text", {"detail": ev.text}),
                )  # fmt: skip
            elif "battery" in low or "failsafe" in low:
                await self.service.event(
                    self.patrol_id, "failsafe", ev.text, level="warning", notify=True,
                    reason=Reason("vehicle_text", {"detail": ev.text}),
                )  # fmt: skip

    def _original_seq(self, seq: int) -> int:
        """The plan's number of the vehicle's item `seq` (they differ in a resume mission)."""
        if self.seq_map is None:
            return seq
        return self.seq_map[seq] if 0 <= seq < len(self.seq_map) else -1

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_s)
            await self._flush()

    # --- what is seen, and writing it -------------------------------------------------------

    def _observe(self, st: VehicleState) -> None:
        """A state seen in flight: a track point if due, and the flight's running facts."""
        if not self.recorder.add(st):
            return
        self._seq = st.mission_seq
        if self.flight is not None:
            self.flight.add(
                st.time_boot_s, st.battery_pct, st.battery_consumed_mah, self.recorder.distance_m
            )
            self._flight_dirty = True

    def _via(self, a: int, b: int) -> list[tuple[float, float]]:
        """(lat, lon) of the vehicle's waypoints from target item `a` up to (not with) `b`."""
        return [
            (i.lat_deg, i.lon_deg)
            for i in self.vehicle_items
            if a <= i.seq < b and i.command in ROUTE_COMMANDS
        ]

    async def _open_flight(self, st: VehicleState) -> None:
        """The vehicle armed: its flight's row, written now with the battery at arming."""
        self.flight = FlightLog(start_pct=st.battery_pct, start_mah=st.battery_consumed_mah)
        self.flight.add(st.time_boot_s, st.battery_pct, st.battery_consumed_mah, 0.0)
        async with self.service.sessions() as session:
            vehicle = await session.get(Vehicle, self.vehicle_id)
            now = utcnow()
            row = Flight(
                vehicle_id=self.vehicle_id,
                patrol_id=self.patrol_id,
                airframe=vehicle.airframe if vehicle is not None else "",
                armed_at=now,
                updated_at=now,
            )
            self.flight.to_row(row)
            session.add(row)
            await session.commit()
            self.flight_id = row.id

    async def _continue_flight(self, st: VehicleState) -> None:
        """After a restart: go on with the patrol's open flight, from where it was written."""
        async with self.service.sessions() as session:
            row = await session.scalar(
                select(Flight)
                .where(Flight.patrol_id == self.patrol_id, Flight.landed_at.is_(None))
                .order_by(Flight.id.desc())
                .limit(1)
            )
        if row is None:
            if st.armed:  # armed before the station wrote the flight: the battery is now's
                await self._open_flight(st)
            return
        self.flight, self.flight_id = FlightLog.from_row(row), row.id
        self.battery_start_pct = row.battery_start_pct
        if row.last_lat_deg is not None and row.last_lon_deg is not None:
            self.recorder.continue_from(
                row.updated_at, row.last_lat_deg, row.last_lon_deg, row.distance_m, row.mission_seq
            )

    async def _flush(self, landed: bool = False) -> None:
        """Write what was seen since the last flush (track, photos, flight) in one transaction."""
        if not (self.recorder.pending or self.photos or self._flight_dirty or landed):
            return
        photos, self.photos = self.photos, []
        async with self.service.sessions() as session:
            await self.recorder.flush(session)
            if photos:
                session.add(
                    PatrolEvent(
                        patrol_id=self.patrol_id,
                        kind="photos",
                        text=f"{len(photos)} photos taken",
                        data={"photos": [photo_entry(p) for p in photos]},
                    )
                )
            if self.flight_id is not None and self.flight is not None:
                row = await session.get(Flight, self.flight_id)
                if row is not None:
                    self.flight.to_row(row)
                    row.distance_m = self.recorder.distance_m
                    row.updated_at = utcnow()
                    row.mission_seq = self._seq
                    last = self.recorder.last_point
                    if last is not None:
                        row.last_lat_deg, row.last_lon_deg = last.lat_deg, last.lon_deg
                    if landed:
                        row.landed_at = row.updated_at
            await session.commit()
        self._flight_dirty = False

    # --- the facts ----------------------------------------------------------------------------

    async def _report(self) -> None:
        """A minimal report row: the facts of the patrol (contents and layout are issue 8)."""
        async with self.service.sessions() as session:
            track = await load_track(session, patrol_id=self.patrol_id)
            events = list(
                await session.scalars(
                    select(PatrolEvent)
                    .where(PatrolEvent.patrol_id == self.patrol_id)
                    .order_by(PatrolEvent.id)
                )
            )
            incidents = list(
                await session.scalars(
                    select(Incident.id).where(Incident.patrol_id == self.patrol_id)
                )
            )
            flights = list(
                await session.scalars(
                    select(Flight).where(Flight.patrol_id == self.patrol_id).order_by(Flight.id)
                )
            )
            last = flights[-1] if flights else None
            photos = stored_photos(events)
            pts = track.points
            facts: dict[str, Any] = {
                "plan_id": self.facts.plan_id,
                "sortie": self.facts.sortie + 1,
                "vehicle_sysid": self.handle.sysid,
                "track": {
                    "points": len(pts),
                    "segments": len(track.segment_starts),
                    "gaps": max(0, len(track.segment_starts) - 1),
                    "start": float(pts["time_s"][0]) if len(pts) else None,
                    "end": float(pts["time_s"][-1]) if len(pts) else None,
                },
                "distance_m": round(sum(f.distance_m for f in flights), 1)
                if flights
                else round(self.recorder.distance_m, 1),
                "last_item_reached": self.last_reached,
                "covered_frac": round(self.facts.covered_frac(self.last_reached), 3),
                "photos": [p for p in photos if p["lat_deg"] is not None],
                "photos_missed": missed_photos(photos),
                "battery_start_pct": last.battery_start_pct if last else self.battery_start_pct,
                "battery_end_pct": last.battery_end_pct if last else self.battery_end_pct,
                "flights": [flight_facts(f) for f in flights],
                "events": [
                    {"at": e.at.isoformat(), "kind": e.kind, "level": e.level, "text": e.text}
                    for e in events
                ],
                "incidents": incidents,
            }
            session.add(Report(patrol_id=self.patrol_id, facts=facts))
            await session.commit()


def flight_facts(f: Flight) -> dict[str, Any]:
    """One flight as the report lists it."""
    return {
        "armed_at": f.armed_at.isoformat(),
        "landed_at": f.landed_at.isoformat() if f.landed_at is not None else None,
        "flight_s": round(f.flight_s, 1),
        "distance_m": round(f.distance_m, 1),
        "battery_start_pct": f.battery_start_pct,
        "battery_end_pct": f.battery_end_pct,
        "consumed_mah": (
            round(f.consumed_end_mah - f.consumed_start_mah, 1)
            if f.consumed_end_mah is not None and f.consumed_start_mah is not None
            else None
        ),
    }
