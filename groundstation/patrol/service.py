"""The patrol service: owns every running patrol, persists each transition, recovers after restart.

One :class:`PatrolService` per station (``groundstation.services``). It keeps one
:class:`~groundstation.patrol.runner.PatrolRunner` task per patrol in the air and is the only
writer of ``patrols.state``: :meth:`transition` checks the move against the transitions table
(:mod:`groundstation.patrol.state`), stores it with its time and cause, and publishes it as
``patrol.state``. Events during a patrol (preflight verdicts, items reached, anomalies) go to
``patrol_events`` and, the ones a person should see, to the live stream as ``alert``.

On start (:meth:`recover`, :mod:`groundstation.patrol.recovery`) it reloads the open patrols.
Settings and the ``patrol.state`` payload are in :mod:`groundstation.patrol.config`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation import reasons
from groundstation.db.models import (
    Patrol,
    PatrolEvent,
    PatrolState,
    PatrolTransition,
    Plan,
    User,
    Vehicle,
)
from groundstation.db.patrols import latest_event, other_patrol_in
from groundstation.db.types import utcnow
from groundstation.db.vehicles import get_vehicle
from groundstation.errors import Conflict, LinkError, NotFound
from groundstation.link import VehicleHandle
from groundstation.patrol import preflight
from groundstation.patrol.battery import BatteryEstimate, estimate_for
from groundstation.patrol.config import PatrolConfig, patrol_payload
from groundstation.patrol.fence_upload import FenceBudgets
from groundstation.patrol.mission_facts import SortieFacts
from groundstation.patrol.recorder import RecentCommand
from groundstation.patrol.recovery import recover
from groundstation.patrol.state import ACTIVE, AIRBORNE, check_transition, is_terminal
from groundstation.reasons import Reason
from groundstation.telemetry.events import AlertLevel, alert, patrol_progress, patrol_state
from groundstation.telemetry.fleet_bridge import FleetBridge
from groundstation.telemetry.hub import Hub
from groundstation.telemetry.messages import PatrolProgress
from groundstation.weather.report import WeatherVerdict

log = logging.getLogger(__name__)

__all__ = ["PatrolConfig", "PatrolService"]


class PatrolService:
    """Starts, watches, aborts and resumes patrols; the only writer of their state."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: Hub,
        bridge: FleetBridge | None,
        config: PatrolConfig | None = None,
        weather: Callable[[], Sequence[WeatherVerdict]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.hub = hub
        self.bridge = bridge
        self.config = config or PatrolConfig()
        #: the weather gate's verdicts now, for the preflight (None: no weather source)
        self.weather = weather
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._commands: dict[int, tuple[float, RecentCommand]] = {}  # sysid -> (at, command)
        #: vehicle id -> patrols to fly next on it, in order (a plan flown as a sequence)
        self.queues: dict[int, list[int]] = {}
        self._chain_tasks: set[asyncio.Task[None]] = set()
        #: fence budgets learned from vehicles' refusals this session (vehicle id -> budget)
        self.fence_budgets = FenceBudgets()

    # --- persistence ------------------------------------------------------------------------

    def _lock(self, patrol_id: int) -> asyncio.Lock:
        return self._locks.setdefault(patrol_id, asyncio.Lock())

    async def transition(
        self, patrol_id: int, dst: PatrolState, cause: Reason, user_id: int | None = None
    ) -> Patrol:
        """Move a patrol to `dst` (checked), store it with `cause` (its code, parameters and
        English text), publish ``patrol.state``."""
        async with self._lock(patrol_id), self.sessions() as session:
            patrol = await session.get(Patrol, patrol_id)
            if patrol is None:
                raise NotFound("patrol", patrol_id)
            src = PatrolState(patrol.state)
            check_transition(src, dst)
            now = utcnow()
            text, params = cause.text, dict(cause.params)
            patrol.state, patrol.reason, patrol.updated_at = dst.value, text, now
            patrol.reason_code, patrol.reason_params = cause.code, params
            if dst is PatrolState.PREFLIGHT and patrol.started_at is None:
                patrol.started_at = now
            if is_terminal(dst) or dst is PatrolState.LANDED:
                patrol.ended_at = now
            session.add(
                PatrolTransition(
                    patrol_id=patrol_id,
                    from_state=src.value,
                    to_state=dst.value,
                    at=now,
                    cause=text,
                    cause_code=cause.code,
                    cause_params=params,
                    user_id=user_id,
                )
            )
            await session.commit()
        log.info("patrol %d: %s -> %s (%s)", patrol_id, src.value, dst.value, text)
        self.hub.publish(patrol_state(patrol_payload(patrol, from_state=src.value)))
        return patrol

    async def event(
        self,
        patrol_id: int,
        kind: str,
        text: str,
        level: AlertLevel = "info",
        notify: bool = False,
        reason: Reason | None = None,
        **data: Any,
    ) -> None:
        """Store a patrol event; `notify` also sends it to the live stream as an alert.
        `reason` (its code and parameters) goes in both, for the page to translate."""
        coded = (
            {}
            if reason is None
            else {"reason_code": reason.code, "reason_params": dict(reason.params)}
        )
        async with self.sessions() as session:
            session.add(
                PatrolEvent(
                    patrol_id=patrol_id, kind=kind, level=level, text=text, data=data | coded
                )
            )
            await session.commit()
        if notify:
            self.hub.publish(alert(level, text, patrol_id=patrol_id, kind=kind, **coded))

    async def last_resume(self, patrol_id: int) -> int | None:
        """The item the patrol's latest resume mission started after (None if never resumed)."""
        async with self.sessions() as session:
            event = await latest_event(session, patrol_id, "resume")
        return int(event.data["from_item"]) if event is not None else None

    async def set_last_item(self, patrol_id: int, seq: int) -> None:
        async with self.sessions() as session:
            patrol = await session.get(Patrol, patrol_id)
            if patrol is not None and seq > patrol.last_item_reached:
                patrol.last_item_reached = seq
                await session.commit()

    def progress(self, progress: PatrolProgress) -> None:
        """Publish progress (coalesced per patrol: only the latest matters)."""
        self.hub.publish(patrol_progress(progress))

    def note_command(
        self, sysid: int, command: str, username: str, *, source: str = "pilot",
        full_name: str | None = None,
    ) -> None:  # fmt: skip
        """Someone commanded this vehicle (so a mode change that follows is theirs): a pilot
        (`username`, `full_name`), or the station itself (`source`: ``shore_margin``,
        ``battery``)."""
        self._commands[sysid] = (
            time.monotonic(),
            RecentCommand(command, username, source, full_name),
        )

    def recent_command(self, sysid: int, within_s: float = 30.0) -> RecentCommand | None:
        """The last command sent to `sysid` within `within_s` (None: none)."""
        entry = self._commands.get(sysid)
        if entry is None or time.monotonic() - entry[0] > within_s:
            return None
        return entry[1]

    # --- commands ---------------------------------------------------------------------------

    async def _load(self, session: AsyncSession, patrol_id: int) -> tuple[Patrol, Plan]:
        patrol = await session.get(Patrol, patrol_id)
        if patrol is None:
            raise NotFound("patrol", patrol_id)
        plan = await session.get(Plan, patrol.plan_id)
        if plan is None:
            raise NotFound("plan", patrol.plan_id)
        return patrol, plan

    def require_link(self) -> None:
        """:class:`Conflict` unless the station has a MAVLink link."""
        self._require_bridge()

    def _require_bridge(self) -> FleetBridge:
        if self.bridge is None:
            raise Conflict("the station has no MAVLink link (start it with --mavlink)")
        return self.bridge

    async def start(
        self,
        patrol_id: int,
        user: User | None,
        *,
        vehicle_id: int | None = None,
        resume: bool = False,
    ) -> list[preflight.Check]:
        """Run the preflight checks and, if all pass, fly the patrol (in the background).

        ``resume`` flies an interrupted patrol from the item after its last reached one.
        Raises :class:`Conflict` with the failed checks if preflight fails (nothing is sent to
        the vehicle then, and the patrol is back in ``planned`` or ``landed``).
        """
        bridge = self._require_bridge()
        if patrol_id in self.tasks:
            raise Conflict(f"patrol {patrol_id} is already running")
        async with self.sessions() as session:
            patrol, plan = await self._load(session, patrol_id)
            state = PatrolState(patrol.state)
            if resume:
                if (
                    state not in (PatrolState.LANDED, PatrolState.PLANNED)
                    or patrol.last_item_reached < 1
                ):
                    raise Conflict(
                        f"patrol {patrol_id} ({state.value}, last item {patrol.last_item_reached}) "
                        "has nothing to resume"
                    )
            elif state is not PatrolState.PLANNED:
                raise Conflict(f"patrol {patrol_id} is {state.value}, not planned")
            if vehicle_id is not None and vehicle_id != patrol.vehicle_id:
                patrol.vehicle_id = vehicle_id
                await session.commit()
            if patrol.vehicle_id is None:
                raise Conflict(f"patrol {patrol_id} has no vehicle: give vehicle_id")
            vehicle = await get_vehicle(session, patrol.vehicle_id)
            busy = await other_patrol_in(session, vehicle.id, patrol_id, ACTIVE)
            facts = SortieFacts.from_plan(plan, patrol.sortie)
            configured = vehicle.endurance_s or float(
                plan.params.get("endurance_s") or self.config.default_endurance_s
            )
            battery = await self.battery_estimate(session, vehicle, configured)
        handle = self._handle(bridge, vehicle.sysid)
        first = patrol.last_item_reached + 1 if resume else 1
        speed = float(plan.params.get("speed_m_s") or 10.0)
        uid = user.id if user else None
        cause = Reason("resume", {"item": first}) if resume else Reason("start")
        await self.transition(patrol_id, PatrolState.PREFLIGHT, cause, uid)
        checks = preflight.run_checks(
            preflight.PreflightInputs(
                state=handle.state,
                lost=handle.is_lost,
                sortie_duration_s=facts.remaining_duration_s(first, speed),
                sortie_length_m=facts.remaining_length_m(first),
                speed_m_s=speed,
                endurance_s=configured,
                battery=battery,
                reserve_frac=float(plan.params.get("reserve_frac", 0.25)),
                waypoints=facts.waypoints(first),
                fence=facts.fence,
                no_fly=facts.no_fly,
                busy_with=busy,
                wind_m_s=self.config.wind_m_s,
                wind_limit_m_s=self.config.wind_limit_m_s,
                resume=resume,
                held=bridge.fleet.link_of(vehicle.sysid).hold_reason(vehicle.sysid),
                weather=self.weather() if self.weather is not None else (),
            )
        )
        ok = all(c.ok for c in checks)
        await self.event(
            patrol_id,
            "preflight",
            "preflight passed" if ok else f"preflight failed: {preflight.failures(checks)}",
            level="info" if ok else "warning",
            checks=[c.as_dict() for c in checks],
        )
        if not ok:
            back = PatrolState.PLANNED
            failed = Reason(
                "preflight_failed",
                {
                    "checks": [c.name for c in checks if not c.ok],
                    "detail": preflight.failures(checks),
                },
            )
            await self.transition(patrol_id, back, failed, uid)
            raise Conflict(
                f"preflight failed: {preflight.failures(checks)}",
                checks=[c.as_dict() for c in checks],
            )
        self.spawn_runner(
            patrol_id, handle, vehicle.id, facts, mode="resume" if resume else "start",
            first=first, battery=battery,
        )  # fmt: skip
        return checks

    async def battery_estimate(
        self, session: AsyncSession, vehicle: Vehicle, endurance_s: float
    ) -> BatteryEstimate:
        """What a flight costs this vehicle: learned from its flights, else `endurance_s`."""
        return await estimate_for(
            session,
            vehicle,
            endurance_s=endurance_s,
            min_flights=self.config.learn_min_flights,
            min_minutes=self.config.learn_min_minutes,
        )

    def _handle(self, bridge: FleetBridge, sysid: int) -> VehicleHandle:
        try:
            return bridge.handle_of(sysid)
        except LinkError as exc:
            raise Conflict(f"vehicle {sysid} is not connected: {exc}") from None

    def spawn_runner(
        self, patrol_id: int, handle: VehicleHandle, vehicle_id: int, facts: SortieFacts,
        mode: str, first: int = 1, battery: BatteryEstimate | None = None,
    ) -> None:  # fmt: skip
        """Start the runner task that flies (or, reattached, watches) a patrol."""
        from groundstation.patrol.runner import PatrolRunner

        runner = PatrolRunner(
            self, patrol_id, handle, vehicle_id, facts, mode=mode, first=first, battery=battery
        )
        task = asyncio.create_task(runner.run(), name=f"patrol {patrol_id}")
        self.tasks[patrol_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(patrol_id, None))

    async def fly(self, patrols: list[Patrol], user: User | None) -> list[int]:
        """Fly patrols: in parallel across vehicles, in sequence (sortie order) on each one.

        The first patrol of every vehicle starts now (preflight errors propagate); the others
        wait in the vehicle's queue and start when the one before is reported. Returns the ids
        started now. The queues live in memory: after a restart the rest is started by hand.
        """
        by_vehicle: dict[int, list[Patrol]] = {}
        for p in sorted(patrols, key=lambda p: p.sortie):
            if p.vehicle_id is None:
                raise Conflict(f"patrol {p.id} has no vehicle")
            by_vehicle.setdefault(p.vehicle_id, []).append(p)
        started = []
        for vehicle_id, queue in by_vehicle.items():
            if self.queues.get(vehicle_id):
                raise Conflict(f"vehicle {vehicle_id} already has a sequence of patrols to fly")
            await self.start(queue[0].id, user)
            started.append(queue[0].id)
            self.queues[vehicle_id] = [p.id for p in queue[1:]]
        return started

    def after_landing(self, vehicle_id: int, reported: bool) -> None:
        """A patrol on `vehicle_id` ended: start the next one queued, if it was reported."""
        queue = self.queues.get(vehicle_id)
        if not queue:
            return
        if not reported:
            dropped = self.queues.pop(vehicle_id)
            why = Reason("sequence_dropped", {"patrols": dropped})
            self.hub.publish(
                alert(
                    "warning", why.text, kind="sequence", reason_code=why.code,
                    reason_params=dict(why.params),
                )
            )  # fmt: skip
            return
        task = asyncio.create_task(self._start_next(vehicle_id, queue.pop(0)))
        self._chain_tasks.add(task)
        task.add_done_callback(self._chain_tasks.discard)

    async def _start_next(self, vehicle_id: int, patrol_id: int) -> None:
        await asyncio.sleep(self.config.turnaround_s)
        try:
            await self.start(patrol_id, None)
        except (Conflict, LinkError, NotFound) as exc:
            dropped = [patrol_id, *self.queues.pop(vehicle_id, [])]
            await self.event(
                patrol_id, "sequence", f"not started: {exc}", level="warning", notify=True,
                reason=Reason("sequence_stopped", {"detail": str(exc)}), dropped=dropped,
            )  # fmt: skip

    async def abort(
        self, patrol_id: int, user: User | None, note: str | None, rtl: bool = True
    ) -> Patrol:
        """Stop a patrol: cancel its runner, send the vehicle home if airborne, mark aborted
        (with the pilot's `note`, if any)."""
        task = self.tasks.pop(patrol_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self.sessions() as session:
            patrol, _ = await self._load(session, patrol_id)
            vehicle = await session.get(Vehicle, patrol.vehicle_id) if patrol.vehicle_id else None
        state = PatrolState(patrol.state)
        cause = reasons.aborted(note)
        if rtl and state in AIRBORNE and vehicle is not None and self.bridge is not None:
            try:
                await self.bridge.handle_of(vehicle.sysid).rtl()
                cause = reasons.aborted(note, "sent")
            except LinkError as exc:
                cause = reasons.aborted(note, "failed", str(exc))
        return await self.transition(
            patrol_id, PatrolState.ABORTED, cause, user.id if user else None
        )

    # --- recovery ---------------------------------------------------------------------------

    async def recover(self) -> None:
        """Reload open patrols after a (re)start (see :mod:`groundstation.patrol.recovery`)."""
        await recover(self)

    async def close(self) -> None:
        """Stop watching (shutdown): runners are cancelled, patrols stay as stored."""
        tasks = list(self.tasks.values()) + list(self._chain_tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
