"""Which telemetry messages a vehicle sends, and how often.

Rates start at ArduCopter-like defaults and change with REQUEST_DATA_STREAM (ArduPilot's stream
groups) and MAV_CMD_SET_MESSAGE_INTERVAL. Intervals are in simulated seconds.

>>> s = StreamScheduler({0: 1.0})
>>> s.due(0.0), s.due(0.5), s.due(1.0)
([0], [], [0])
>>> s.set_interval(0, 0.25)
>>> s.due(1.1), s.due(1.25), s.due(1.35)
([0], [], [0])
"""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

M = mavlink2
HEARTBEAT = M.MAVLINK_MSG_ID_HEARTBEAT

DEFAULT_INTERVALS_S: dict[int, float] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: 1.0,
    M.MAVLINK_MSG_ID_SYS_STATUS: 1.0,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: 1.0,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 0.5,
    M.MAVLINK_MSG_ID_ATTITUDE: 0.5,
    M.MAVLINK_MSG_ID_VFR_HUD: 0.5,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 1.0,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0,
}

# ArduPilot's MAV_DATA_STREAM groups (GCS_Common.cpp) restricted to what we can send.
STREAM_GROUPS: dict[int, tuple[int, ...]] = {
    M.MAV_DATA_STREAM_EXTENDED_STATUS: (
        M.MAVLINK_MSG_ID_SYS_STATUS,
        M.MAVLINK_MSG_ID_GPS_RAW_INT,
        M.MAVLINK_MSG_ID_MISSION_CURRENT,
        M.MAVLINK_MSG_ID_FENCE_STATUS,
        M.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT,
        M.MAVLINK_MSG_ID_POWER_STATUS,
    ),
    M.MAV_DATA_STREAM_POSITION: (
        M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
        M.MAVLINK_MSG_ID_LOCAL_POSITION_NED,
    ),
    M.MAV_DATA_STREAM_EXTRA1: (M.MAVLINK_MSG_ID_ATTITUDE,),
    M.MAV_DATA_STREAM_EXTRA2: (M.MAVLINK_MSG_ID_VFR_HUD,),
    M.MAV_DATA_STREAM_EXTRA3: (
        M.MAVLINK_MSG_ID_BATTERY_STATUS,
        M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE,
        M.MAVLINK_MSG_ID_SYSTEM_TIME,
        M.MAVLINK_MSG_ID_HOME_POSITION,
        M.MAVLINK_MSG_ID_EKF_STATUS_REPORT,
        M.MAVLINK_MSG_ID_WIND,
    ),
}
STREAM_GROUPS[M.MAV_DATA_STREAM_ALL] = tuple(
    sorted({m for group in STREAM_GROUPS.values() for m in group})
)

MIN_INTERVAL_S = 0.02  # 50 Hz: the most any message is sent


class StreamScheduler:
    """Per-message intervals and the time each one is next due."""

    def __init__(self, defaults: dict[int, float] | None = None) -> None:
        self.defaults = dict(DEFAULT_INTERVALS_S if defaults is None else defaults)
        self.intervals: dict[int, float] = dict(self.defaults)
        self._next: dict[int, float] = {}

    def set_interval(self, msg_id: int, interval_s: float | None) -> None:
        """Send `msg_id` every `interval_s` s; None restores the default; <= 0 stops it."""
        if interval_s is None:
            if msg_id in self.defaults:
                self.intervals[msg_id] = self.defaults[msg_id]
            else:
                self.intervals.pop(msg_id, None)
        elif interval_s <= 0:
            self.intervals.pop(msg_id, None)
        else:
            self.intervals[msg_id] = max(MIN_INTERVAL_S, interval_s)
        self._next.pop(msg_id, None)

    def interval(self, msg_id: int) -> float:
        """Current interval in seconds, or 0 if the message is not streamed."""
        return self.intervals.get(msg_id, 0.0)

    def request_stream(self, stream_id: int, rate_hz: int, start: bool) -> bool:
        """REQUEST_DATA_STREAM: set a whole group; False if the group is unknown."""
        group = STREAM_GROUPS.get(stream_id)
        if group is None:
            return False
        for msg_id in group:
            if msg_id == HEARTBEAT:
                continue
            self.set_interval(msg_id, 1.0 / rate_hz if start and rate_hz > 0 else 0.0)
        return True

    def due(self, now: float) -> list[int]:
        """Messages to send at `now`; each is rescheduled one interval later (no bursts)."""
        out = []
        for msg_id, interval in self.intervals.items():
            nxt = self._next.get(msg_id)
            if nxt is None or now >= nxt - 1e-9:
                out.append(msg_id)
                base = now if nxt is None or now - nxt > interval else nxt
                self._next[msg_id] = base + interval
        return out
