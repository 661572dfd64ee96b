"""Injected faults: packet loss and latency on the link, link cuts, muted vehicles, GPS loss,
battery sag. Times are simulated seconds; everything random comes from one seeded generator.

`FaultControl` is what tests and the control API use; the fleet asks it, per message and vehicle,
whether to drop or delay.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Protocol

from simulator.clock import Clock


class FaultTarget(Protocol):
    """What a fault needs from a vehicle."""

    @property
    def sysid(self) -> int: ...

    def lose_gps(self, until_s: float) -> None: ...

    def sag_battery(self, pct: float) -> None: ...


class FaultError(ValueError):
    """A fault request that makes no sense (unknown vehicle, negative time, loss over 100 %)."""


class FaultControl:
    def __init__(
        self,
        clock: Clock,
        vehicles: Mapping[int, FaultTarget],
        seed: int = 0,
        packet_loss_pct: float = 0.0,
        latency_ms: float = 0.0,
    ) -> None:
        self._clock = clock
        self._vehicles = vehicles
        self._rng = random.Random(seed ^ 0x5EED)
        self.packet_loss_pct = 0.0
        self.latency_ms = 0.0
        self._cut_until: dict[int | None, float] = {}
        self._mute_until: dict[int, float] = {}
        self.dropped = 0
        self.on_change: Callable[[], None] | None = None
        self.set(packet_loss_pct=packet_loss_pct, latency_ms=latency_ms)

    # ------------------------------------------------------------------ control
    def set(self, packet_loss_pct: float | None = None, latency_ms: float | None = None) -> None:
        """Change loss (percent, both directions) and added one-way latency (simulated ms)."""
        if packet_loss_pct is not None:
            if not 0.0 <= packet_loss_pct <= 100.0:
                raise FaultError(f"packet loss must be 0..100 %, got {packet_loss_pct}")
            self.packet_loss_pct = float(packet_loss_pct)
        if latency_ms is not None:
            if not (math.isfinite(latency_ms) and latency_ms >= 0):
                raise FaultError(f"latency must be >= 0 ms, got {latency_ms}")
            self.latency_ms = float(latency_ms)

    def cut_link(self, sysid: int | None, seconds: float) -> None:
        """Nothing gets through to or from `sysid` (None: every vehicle) for `seconds`."""
        if sysid is not None:
            self._vehicle(sysid)
        self._cut_until[sysid] = self._clock.now() + self._seconds(seconds)

    def mute(self, sysid: int, seconds: float) -> None:
        """The vehicle keeps flying but neither answers nor sends anything for `seconds`."""
        self._vehicle(sysid)
        self._mute_until[sysid] = self._clock.now() + self._seconds(seconds)

    def gps_loss(self, sysid: int, seconds: float) -> None:
        """The vehicle's GPS has no fix for `seconds`."""
        self._vehicle(sysid).lose_gps(self._clock.now() + self._seconds(seconds))

    def battery_sag(self, sysid: int, pct: float) -> None:
        """The vehicle's battery loses `pct` percent of its capacity at once."""
        if not 0 < pct <= 100:
            raise FaultError(f"battery sag must be in (0, 100] %, got {pct}")
        self._vehicle(sysid).sag_battery(pct)

    def clear(self) -> None:
        self._cut_until.clear()
        self._mute_until.clear()
        self.set(packet_loss_pct=0.0, latency_ms=0.0)

    # ------------------------------------------------------------------ queries
    def blocked(self, sysid: int) -> bool:
        """True while the vehicle's link is cut or the vehicle is muted."""
        now = self._clock.now()
        return (
            now < self._cut_until.get(sysid, -math.inf)
            or now < self._cut_until.get(None, -math.inf)
            or now < self._mute_until.get(sysid, -math.inf)
        )

    def drop(self) -> bool:
        """Draw whether one packet is lost."""
        if self.packet_loss_pct <= 0.0:
            return False
        lost = self._rng.random() * 100.0 < self.packet_loss_pct
        self.dropped += lost
        return lost

    # ------------------------------------------------------------------ helpers
    def _vehicle(self, sysid: int) -> FaultTarget:
        try:
            return self._vehicles[sysid]
        except KeyError:
            known = ", ".join(str(s) for s in self._vehicles)
            raise FaultError(f"no vehicle with system id {sysid} (have {known})") from None

    @staticmethod
    def _seconds(seconds: float) -> float:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise FaultError(f"duration must be >= 0 s, got {seconds}")
        return float(seconds)
