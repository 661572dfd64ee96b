"""One vehicle's monitors over time: which findings are new, escalated or cleared.

:class:`VehicleWatch` runs every rule of :mod:`groundstation.safety.rules` on each state it is
given and reports :class:`Change`s only: a finding the vehicle did not have (or had at a lower
level) is *raised*; one that has been absent for ``clear_after_s`` is *cleared* (a pack whose
voltage flickers around a threshold does not raise and clear ten times a second). It also keeps
the vehicle's reach-the-shore :class:`~groundstation.safety.margin.Margin`, recomputed when a
new position arrives. No I/O: the service stores and publishes what it returns.

>>> from groundstation.link.vehicle import VehicleState
>>> w = VehicleWatch(SafetySettings(), None, None, clock=lambda: 0.0)
>>> [(c.finding.kind, c.raised) for c in w.check(VehicleState(1, 1, battery_pct=25.0, gps_fix=3))]
[('battery_low', True)]
>>> w.check(VehicleState(1, 1, battery_pct=24.0, gps_fix=3))
[]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from groundstation.link.vehicle import Position, VehicleState
from groundstation.safety import rules
from groundstation.safety.config import SafetySettings
from groundstation.safety.margin import EnergyRates, Margin, margin, wind_to
from groundstation.safety.rules import Finding
from groundstation.safety.site_facts import SiteFacts

_RANK = {"info": 0, "warning": 1, "critical": 2}
#: Kinds raised once per event (a mode change), never "still there" on later frames.
ONE_SHOT = frozenset({"failsafe", "manual_control", "mode_change", "auto_return"})


@dataclass(frozen=True, slots=True)
class Change:
    """A finding that appeared (``raised``) or went away (``raised`` False); ``repeat`` False:
    more about the same occurrence (a late reason), not a new one."""

    finding: Finding
    raised: bool = True
    repeat: bool = True


class VehicleWatch:
    """The monitors of one vehicle: feed it states, get back what changed."""

    def __init__(
        self,
        settings: SafetySettings,
        facts: SiteFacts | None,
        rates: EnergyRates | None,
        *,
        airframe: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        clear_after_s: float = 5.0,
    ) -> None:
        self.settings = settings
        self.facts = facts
        self.rates = rates
        self.limits = settings.battery_for(airframe)
        self.clock = clock
        self.clear_after_s = clear_after_s
        self.active: dict[str, tuple[Finding, float]] = {}
        self.margin: Margin | None = None
        self.wind_source = "configured"
        self._margin_pos: Position | None = None

    def findings(self, state: VehicleState) -> list[Finding]:
        """Every rule's verdict on `state` (the margin is recomputed on a new position)."""
        s = self.settings
        found = rules.battery(state, self.limits)
        for f in (
            rules.gps(state, s),
            rules.health(state),
            rules.altitude(state, s.altitude_limit_m),
            rules.telemetry(state),
            rules.link(state),
        ):
            if f is not None:
                found.append(f)
        pos = state.position
        if self.facts is not None and pos is not None and state.armed:
            x, y = self.facts.to_local(pos.lon_deg, pos.lat_deg)
            near = rules.no_fly(self.facts.no_fly_distance(x, y), s.no_fly_warn_m)
            if near is not None:
                found.append(near)
            if s.margin_watch and self.rates is not None and state.battery_pct is not None:
                if pos is not self._margin_pos or self.margin is None:
                    self._margin_pos = pos
                    self.margin = self.compute_margin(state, (x, y))
                if state.landed_state != "on_ground" and self.margin is not None:
                    found.extend(rules.shore_margin(self.margin, s, self.wind_source))
        elif not state.armed:
            self.margin = None
        return found

    def compute_margin(self, state: VehicleState, pos_m: tuple[float, float]) -> Margin | None:
        """The margin at `pos_m`, in the vehicle's own wind estimate if it sends one."""
        s = self.settings
        if self.facts is None or self.rates is None or state.battery_pct is None:
            return None
        # ArduCopter without EKF3 drag fusion sends WIND as exactly 0 m/s: no estimate
        if state.wind_speed_m_s and state.wind_dir_deg is not None:
            self.wind_source = "vehicle"
            wind = wind_to(state.wind_speed_m_s, state.wind_dir_deg)
        else:
            self.wind_source = "configured"
            wind = wind_to(s.wind_speed_m_s, s.wind_from_deg)
        return margin(
            pos_m, self.facts.landable, state.battery_pct, self.rates, s.reserve_pct,
            wind_to_m_s=wind, landing_s=s.landing_s,
        )  # fmt: skip

    def check(self, state: VehicleState) -> list[Change]:
        """What changed with `state`: new or escalated findings, and cleared ones."""
        return self.update(self.findings(state))

    def update(self, found: Sequence[Finding]) -> list[Change]:
        now = self.clock()
        changes: list[Change] = []
        seen: set[str] = set()
        for f in found:
            seen.add(f.kind)
            old = self.active.get(f.kind)
            if old is None or _RANK[f.level] > _RANK[old[0].level]:
                changes.append(Change(f))
                self.active[f.kind] = (f, now)
            else:
                self.active[f.kind] = (old[0], now)
        for kind, (f, last) in list(self.active.items()):
            if kind not in seen and kind not in ONE_SHOT and now - last >= self.clear_after_s:
                del self.active[kind]
                changes.append(Change(f, raised=False))
        return changes

    def mode_changed(
        self, old: str, new: str, *, requested: bool, texts: Sequence[str]
    ) -> list[Change]:
        """A HEARTBEAT with another mode: an alert unless the station asked for it."""
        f = rules.mode_change(old, new, requested=requested, texts=texts)
        return [Change(f)] if f is not None else []
