"""The station knows a vehicle is paused: from the pause it sent (ArduCopter keeps AUTO and
says nothing in its HEARTBEAT) or from MISSION_CURRENT's mission_state, until a continue, a
mode change or a disarm."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.codec import Encoder, MavMessage
from groundstation.link.health import LinkHealth
from groundstation.link.vehicle import StateBuilder

VEH = Encoder(5, 1).mav
ARMED = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | mavlink.MAV_MODE_FLAG_SAFETY_ARMED
AUTO, GUIDED, LOITER = 3, 4, 5  # ArduCopter custom modes


def _heartbeat(mode: int, armed: bool = True) -> MavMessage:
    base = ARMED if armed else mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    msg: MavMessage = VEH.heartbeat_encode(2, 3, base, mode, 4)
    return msg


def _paused(b: StateBuilder) -> bool:
    return b.build(LinkHealth()).paused


def test_pause_holds_while_the_mode_stays():
    """A pause accepted in AUTO holds through AUTO heartbeats and ends on a continue."""
    b = StateBuilder(5, 1)
    b.apply(_heartbeat(AUTO))
    assert not _paused(b)
    b.pause_started()
    b.apply(_heartbeat(AUTO))
    assert _paused(b)
    b.pause_ended()
    assert not _paused(b)


def test_a_mode_change_or_a_disarm_ends_the_pause():
    """RTL from the transmitter (a new mode) or landing and disarming end a pause."""
    b = StateBuilder(5, 1)
    b.apply(_heartbeat(AUTO))
    b.pause_started()
    b.apply(_heartbeat(6))  # RTL
    assert not _paused(b)
    b.apply(_heartbeat(GUIDED))
    b.pause_started()
    b.apply(_heartbeat(GUIDED, armed=False))
    assert not _paused(b)


def test_the_loiter_fallback_is_a_pause_in_loiter():
    """A vehicle without DO_PAUSE_CONTINUE pauses in LOITER: paused while it stays there."""
    b = StateBuilder(5, 1)
    b.apply(_heartbeat(AUTO))
    b.pause_started("LOITER")
    b.apply(_heartbeat(LOITER))
    assert _paused(b)
    b.apply(_heartbeat(AUTO))
    assert not _paused(b)


def test_the_vehicle_reporting_a_paused_mission():
    """MISSION_CURRENT saying PAUSED in AUTO is a pause (another station's); once the vehicle
    has reported this pause, its ACTIVE ends it, but a stale ACTIVE before that does not."""
    b = StateBuilder(5, 1)
    b.apply(_heartbeat(AUTO))
    b.pause_started()
    b.apply(VEH.mission_current_encode(4, 10, mavlink.MISSION_STATE_ACTIVE, 1))
    assert _paused(b), "an ACTIVE sent before the vehicle took the pause"
    b.apply(VEH.mission_current_encode(4, 10, mavlink.MISSION_STATE_PAUSED, 1))
    b.apply(VEH.mission_current_encode(4, 10, mavlink.MISSION_STATE_ACTIVE, 1))
    assert not _paused(b)
    b.apply(VEH.mission_current_encode(4, 10, mavlink.MISSION_STATE_PAUSED, 1))
    assert _paused(b)
