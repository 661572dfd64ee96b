"""Link health per vehicle: last heard, packet loss from sequence gaps, message rate, lost/regained.

Loss is counted per (sysid, compid) stream from gaps in the MAVLink ``seq`` byte over a sliding
window of one-second buckets; a jump of 128 or more is taken as reordering or a restart, not loss.

>>> h = HealthTracker(lost_after_s=3.0)
>>> for seq in (0, 1, 2, 5, 6):
...     _ = h.on_frame(1, seq, now=10.0)
>>> h.snapshot(now=10.5).loss_pct
28.6
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_S = 5


@dataclass(frozen=True, slots=True)
class LinkHealth:
    """Health of the link to one vehicle at the moment the snapshot was taken.

    ``status`` is ``ok``, ``degraded`` (loss >= ``degraded_loss_pct`` or silent for half the
    lost time) or ``lost``. ``last_heard_s`` is seconds since the last frame.
    """

    status: str = "ok"
    last_heard_s: float = 0.0
    loss_pct: float = 0.0
    rate_hz: float = 0.0
    received: int = 0
    lost: int = 0


class HealthTracker:
    """Mutable counters for one vehicle; ``snapshot`` freezes them into a :class:`LinkHealth`."""

    def __init__(self, lost_after_s: float, degraded_loss_pct: float = 20.0) -> None:
        if lost_after_s <= 0:
            raise ValueError(f"lost_after_s must be > 0, got {lost_after_s}")
        self.lost_after_s = lost_after_s
        self.degraded_loss_pct = degraded_loss_pct
        self.last_heard: float | None = None
        self.is_lost = False
        self.received = 0
        self.lost = 0
        self._last_seq: dict[int, int] = {}
        # (second, received, lost) buckets
        self._buckets: deque[list[int]] = deque(maxlen=WINDOW_S + 1)

    def on_frame(self, compid: int, seq: int, now: float) -> bool:
        """Count one frame; return True if it ends a lost period (the vehicle is regained)."""
        gap = 0
        last = self._last_seq.get(compid)
        if last is not None:
            delta = (seq - last - 1) % 256
            if delta < 128:
                gap = delta
        self._last_seq[compid] = seq
        self.received += 1
        self.lost += gap
        second = int(now)
        if not self._buckets or self._buckets[-1][0] != second:
            self._buckets.append([second, 0, 0])
        bucket = self._buckets[-1]
        bucket[1] += 1
        bucket[2] += gap
        self.last_heard = now
        if self.is_lost:
            self.is_lost = False
            return True
        return False

    def deadline(self) -> float | None:
        """Monotonic time at which the vehicle counts as lost if nothing more arrives."""
        if self.last_heard is None or self.is_lost:
            return None
        return self.last_heard + self.lost_after_s

    def check_lost(self, now: float) -> bool:
        """Mark lost if silent for ``lost_after_s``; True only on the transition."""
        deadline = self.deadline()
        if deadline is not None and now >= deadline:
            self.is_lost = True
            self._last_seq.clear()  # a gap across an outage is not loss
            return True
        return False

    def mark_lost(self) -> bool:
        """Lost now, whatever the deadline (the connection to it closed); True on the transition."""
        if self.is_lost or self.last_heard is None:
            return False
        self.is_lost = True
        self._last_seq.clear()
        return True

    def snapshot(self, now: float) -> LinkHealth:
        recent = [b for b in self._buckets if b[0] > now - WINDOW_S]
        got = sum(b[1] for b in recent)
        missed = sum(b[2] for b in recent)
        total = got + missed
        loss_pct = round(100.0 * missed / total, 1) if total else 0.0
        span = max(1.0, min(float(WINDOW_S), now - recent[0][0])) if recent else float(WINDOW_S)
        rate = round(got / span, 2)
        age = 0.0 if self.last_heard is None else max(0.0, now - self.last_heard)
        if self.is_lost:
            status = "lost"
        elif loss_pct >= self.degraded_loss_pct or age >= self.lost_after_s / 2:
            status = "degraded"
        else:
            status = "ok"
        return LinkHealth(status, round(age, 3), loss_pct, rate, self.received, self.lost)
