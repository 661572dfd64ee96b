"""Mission execution in AUTO: nav commands fly, do commands act, DO_JUMP loops.

As in ArduCopter, item 0 is home and execution starts at 1; the do commands that follow a nav
command run when that nav command starts; MISSION_ITEM_REACHED is sent when a nav command
completes (after its hold time). The runner talks to the vehicle through the small `MissionHost`
protocol, so it can be tested without the rest of the autopilot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.mission_items import MissionItem
from simulator.navigation import Behaviour, Goto, Hold, Land, NavContext, Rtl, Takeoff, Track
from simulator.scurve import Leg, LegLimits
from simulator.vehicle import Airframe, Setpoint

C = mavlink2
NO_MISSION = C.MISSION_STATE_NO_MISSION
NOT_STARTED = C.MISSION_STATE_NOT_STARTED
ACTIVE = C.MISSION_STATE_ACTIVE
PAUSED = C.MISSION_STATE_PAUSED
COMPLETE = C.MISSION_STATE_COMPLETE


def is_nav(command: int) -> bool:
    return bool(command < C.MAV_CMD_NAV_LAST)


class MissionHost(Protocol):
    frame: Airframe

    @property
    def home_up(self) -> float: ...

    def local_point(self, item: MissionItem) -> tuple[float, float, float]: ...

    def nav_context(self) -> NavContext: ...

    def wp_radius_m(self) -> float: ...

    def rtl_point(self) -> tuple[float, float]: ...

    def do_command(self, item: MissionItem) -> None: ...

    def item_reached(self, seq: int) -> None: ...

    def mission_finished(self) -> None: ...

    def mission_current_changed(self) -> None: ...

    def statustext(self, text: str, severity: int = 6) -> None: ...


class MissionRunner:
    """Which item is current, what is being flown for it, and how it progresses."""

    def __init__(self) -> None:
        self.current = 0
        self.running = False
        self.finished = False
        self.paused = False
        self.nav: Behaviour | None = None
        self._next = 0
        self._dwell_s = 0.0
        self._dwelling = False
        self._jumps: dict[int, int] = {}
        self._pause_hold: Hold | None = None

    def state(self, items: Sequence[MissionItem]) -> int:
        if len(items) <= 1:
            return int(NO_MISSION)
        if self.finished:
            return int(COMPLETE)
        if not self.running:
            return int(NOT_STARTED)
        return int(PAUSED if self.paused else ACTIVE)

    def start(
        self, host: MissionHost, items: Sequence[MissionItem], seq: int | None = None
    ) -> None:
        """Start (or resume) at `seq`, the current item, or 1 after a finished mission."""
        if seq is None:
            seq = self.current if self.current >= 1 and not self.finished else 1
        self.running = True
        self.finished = False
        self.paused = False
        if seq <= 1:
            self._jumps.clear()
        self._advance(host, items, max(1, seq))

    def stop(self) -> None:
        """Leave AUTO: the mission stays where it was, to be resumed."""
        self.running = False
        self.paused = False
        self.nav = None

    def set_current(self, host: MissionHost, items: Sequence[MissionItem], seq: int) -> bool:
        if not 0 <= seq < len(items):
            return False
        if self.running:
            self.finished = False
            self._advance(host, items, max(1, seq))
        else:
            self.current = seq
            self.finished = False
        return True

    def mission_changed(self, host: MissionHost, items: Sequence[MissionItem]) -> None:
        """New items were stored: keep flying from the same index if it still exists."""
        self._jumps.clear()
        if not self.running:
            self.current = min(self.current, max(0, len(items) - 1))
            self.finished = False
            return
        self._advance(host, items, max(1, self.current))

    def pause(self, frame: Airframe) -> None:
        self.paused = True
        self._pause_hold = Hold.here(frame)
        if isinstance(self.nav, Track):
            self.nav.paused_at = (frame.north_m, frame.east_m)

    def resume(self) -> None:
        self.paused = False
        self._pause_hold = None

    def step(self, host: MissionHost, items: Sequence[MissionItem], dt: float) -> Setpoint | None:
        ctx = host.nav_context()
        if self.paused and self._pause_hold is not None:
            return self._pause_hold.setpoint(ctx, dt)
        if isinstance(self.nav, Track) and self.nav.paused_at is not None:
            # resumed: the leg starts again from where the copter stopped, as AC_WPNav does
            self.nav = self.nav.restarted((host.frame.north_m, host.frame.east_m))
        if self.nav is None:
            self.nav = Hold.here(host.frame)
        sp = self.nav.setpoint(ctx, dt)
        if self.running and not self.finished and self.nav.done:
            if self._dwell_s > 0:
                self._dwelling = True
                self._dwell_s -= dt
            else:
                self._dwelling = False
                host.item_reached(self.current)
                self._advance(host, items, self._next)
        return sp

    # ------------------------------------------------------------------
    def _advance(self, host: MissionHost, items: Sequence[MissionItem], seq: int) -> None:
        i = seq
        for _ in range(4 * len(items) + 8):
            if i >= len(items):
                self._finish(host)
                return
            item = items[i]
            if item.command == C.MAV_CMD_DO_JUMP:
                target, repeat = int(item.param1), int(item.param2)
                left = self._jumps.get(i, repeat)
                if repeat < 0 or left > 0:
                    self._jumps[i] = left - 1 if repeat >= 0 else repeat
                    i = max(1, target)
                else:
                    i += 1
                continue
            if i == 0:
                i += 1
                continue
            if is_nav(item.command):
                if self._start_nav(host, item, _following(items, i)):
                    self.current = i
                    host.mission_current_changed()
                    j = i + 1
                    while j < len(items) and not is_nav(items[j].command):
                        if items[j].command == C.MAV_CMD_DO_JUMP:
                            break
                        host.do_command(items[j])
                        j += 1
                    self._next = j
                    return
                i += 1
                continue
            host.do_command(item)
            i += 1
        host.statustext("Mission: DO_JUMP loop without nav item", 4)
        self._finish(host)

    def _start_nav(
        self, host: MissionHost, item: MissionItem, following: MissionItem | None = None
    ) -> bool:
        n, e, up = host.local_point(item)
        f = host.frame
        cmd = item.command
        self._dwell_s = 0.0
        radius = host.wp_radius_m()  # ArduCopter does not store a waypoint's own radius
        if cmd == C.MAV_CMD_NAV_WAYPOINT:
            self.nav = self._track(host, (n, e), up, item, following)
            self._dwell_s = max(0.0, item.param1)
        elif cmd == C.MAV_CMD_NAV_SPLINE_WAYPOINT:
            self.nav = Goto(n, e, up, radius)
            self._dwell_s = max(0.0, item.param1)
        elif cmd == C.MAV_CMD_NAV_TAKEOFF:
            self.nav = Takeoff(f.north_m, f.east_m, max(f.up_m, host.home_up + item.z))
        elif cmd == C.MAV_CMD_NAV_LOITER_TIME:
            self.nav = Goto(n, e, up, radius)
            self._dwell_s = max(0.0, item.param1)
        elif cmd == C.MAV_CMD_NAV_LOITER_TURNS:
            self.nav = Goto(n, e, up, radius)
            circle_m = 2 * math.pi * max(abs(item.param3), 5.0)
            self._dwell_s = max(0.0, item.param1) * circle_m / 5.0
        elif cmd == C.MAV_CMD_NAV_LOITER_UNLIM:
            self.nav = Goto(n, e, up, radius)
            self._dwell_s = math.inf
        elif cmd == C.MAV_CMD_NAV_LOITER_TO_ALT:
            self.nav = Goto(n, e, up, radius)
        elif cmd == C.MAV_CMD_NAV_LAND:
            self.nav = Land(n, e) if item.has_position else Land()
        elif cmd == C.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            self.nav = Rtl(host.rtl_point())
        elif cmd == C.MAV_CMD_NAV_DELAY:
            self.nav = Hold.here(f)
            self.nav.done = True
            self._dwell_s = max(0.0, item.param1)
        else:
            host.statustext(f"Skipping unsupported nav command {cmd}", 4)
            return False
        return True

    def _track(
        self,
        host: MissionHost,
        dest: tuple[float, float],
        up: float,
        item: MissionItem,
        following: MissionItem | None,
    ) -> Track:
        """The S-curve leg to ``dest``: the one already blended into at the last waypoint,
        or a new one from where the vehicle is; with the leg after it when this waypoint is a
        fast one (no hold, another waypoint next), as AC_WPNav plans them."""
        ctx = host.nav_context()
        lim = LegLimits(ctx.cruise_m_s, host.frame.limits.accel_m_s2)
        old = self.nav
        if (
            isinstance(old, Track)
            and old.nxt is not None
            and old.nxt.t_s > 0
            and math.dist(old.nxt.dest, dest) < 0.01
        ):
            this, prev = old.nxt, old.this
        else:
            this, prev = Leg((host.frame.north_m, host.frame.east_m), dest, lim), None
        nxt = None
        if item.param1 <= 0 and following is not None:
            n2, e2, _ = host.local_point(following)
            if math.dist((n2, e2), dest) > 0.01:
                nxt = Leg(dest, (n2, e2), lim)
        return Track(this, up, host.wp_radius_m(), prev, nxt)

    def _finish(self, host: MissionHost) -> None:
        self.finished = True
        self.nav = Hold.here(host.frame)
        host.mission_finished()
        host.mission_current_changed()


def _following(items: Sequence[MissionItem], i: int) -> MissionItem | None:
    """The waypoint flown after item ``i`` without a stop (do commands in between are
    stepped over; a jump or any other nav command ends the look-ahead)."""
    for item in items[i + 1 :]:
        if item.command == C.MAV_CMD_DO_JUMP:
            return None
        if is_nav(item.command):
            return item if item.command == C.MAV_CMD_NAV_WAYPOINT else None
    return None
