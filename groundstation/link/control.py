"""Which outgoing MAVLink messages command a vehicle, and which only watch it.

With several stations hearing one drone, at most one may command it (docs/federation.md,
Handover). The others still watch: MAVLink's multi-GCS work (mavlink PR #2158 and #2313,
``MAV_CMD_REQUEST_OPERATOR_CONTROL`` and ``CONTROL_STATUS`` in development.xml) describes an
observer GCS as one that receives telemetry and reads parameters and the mission but commands
nothing. ArduPilot does not implement operator control, so a station enforces it on its own
side: :meth:`groundstation.link.fleet.Link.send_to` refuses a message for which
:func:`commands_vehicle` is true while the fleet holds the vehicle's commands
(``Fleet.hold_commands``, one :class:`CommandHold` per vehicle, which says who commands it),
and lets the watching ones through.

>>> from pymavlink.dialects.v20 import ardupilotmega as m
>>> mav = m.MAVLink(None, 255, 190)
>>> commands_vehicle(mav.request_data_stream_encode(1, 1, 0, 4, 1))
False
>>> commands_vehicle(mav.command_long_encode(1, 1, m.MAV_CMD_SET_MESSAGE_INTERVAL, 0,
...                                          33, 2e5, 0, 0, 0, 0, 0))
False
>>> commands_vehicle(mav.command_long_encode(1, 1, m.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0,
...                                          0, 0, 0, 0, 0, 0, 0))
True
>>> commands_vehicle(mav.mission_count_encode(1, 1, 3, 0))
True
"""

from __future__ import annotations

from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.codec import MavMessage

#: Messages an observer sends: stream requests, reading parameters and the mission, time.
WATCHING_MESSAGES: frozenset[int] = frozenset(
    {
        mavlink.MAVLINK_MSG_ID_HEARTBEAT,
        mavlink.MAVLINK_MSG_ID_REQUEST_DATA_STREAM,
        mavlink.MAVLINK_MSG_ID_PARAM_REQUEST_READ,
        mavlink.MAVLINK_MSG_ID_PARAM_REQUEST_LIST,
        mavlink.MAVLINK_MSG_ID_MISSION_REQUEST_LIST,
        mavlink.MAVLINK_MSG_ID_MISSION_REQUEST,
        mavlink.MAVLINK_MSG_ID_MISSION_REQUEST_INT,
        mavlink.MAVLINK_MSG_ID_MISSION_ACK,  # the end of a download
        mavlink.MAVLINK_MSG_ID_TIMESYNC,
        mavlink.MAVLINK_MSG_ID_SYSTEM_TIME,
    }
)
#: Commands an observer sends: asking for messages and information, nothing that acts.
WATCHING_COMMANDS: frozenset[int] = frozenset(
    {
        mavlink.MAV_CMD_SET_MESSAGE_INTERVAL,
        mavlink.MAV_CMD_REQUEST_MESSAGE,
        mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES,
        mavlink.MAV_CMD_GET_HOME_POSITION,
        mavlink.MAV_CMD_REQUEST_CAMERA_INFORMATION,
        mavlink.MAV_CMD_REQUEST_CAMERA_SETTINGS,
        mavlink.MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS,
        mavlink.MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION,
        mavlink.MAV_CMD_REQUEST_STORAGE_INFORMATION,
    }
)
_COMMAND_MESSAGES = frozenset(
    {mavlink.MAVLINK_MSG_ID_COMMAND_LONG, mavlink.MAVLINK_MSG_ID_COMMAND_INT}
)


def commands_vehicle(msg: MavMessage) -> bool:
    """True if sending `msg` acts on the vehicle (only the commanding station may)."""
    msgid = msg.get_msgId()
    if msgid in _COMMAND_MESSAGES:
        return int(msg.command) not in WATCHING_COMMANDS
    return msgid not in WATCHING_MESSAGES


@dataclass(frozen=True, slots=True)
class CommandHold:
    """Another station commands a vehicle, so this one only watches it; `commander` is that
    station's id, or None when not known which (a guest never handed to this station).

    >>> CommandHold("river-b").reason
    'handed over to station river-b'
    >>> CommandHold(None).reason
    'commanded by another station'
    """

    commander: str | None

    @property
    def reason(self) -> str:
        """Why the vehicle's commands are refused, in words (``VehicleHeld``'s text)."""
        if self.commander is None:
            return "commanded by another station"
        return f"handed over to station {self.commander}"
