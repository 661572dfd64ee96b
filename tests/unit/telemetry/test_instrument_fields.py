"""The pilot's instruments in the vehicle frame: satellites, home, mission size, flight time on
the vehicle's clock, wind and RADIO_STATUS signal, folded from MAVLink and sent in frame_of."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.health import LinkHealth
from groundstation.link.vehicle import StateBuilder, flight_time_s
from groundstation.telemetry.fleet_bridge import frame_of

MAV = mavlink.MAVLink(None, 1, 1)
ARMED = mavlink.MAV_MODE_FLAG_SAFETY_ARMED | mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
AUTO = 3  # ArduCopter custom mode


def _heartbeat(armed: bool) -> mavlink.MAVLink_message:
    base = ARMED if armed else mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    return MAV.heartbeat_encode(
        mavlink.MAV_TYPE_QUADROTOR, mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, base, AUTO,
        mavlink.MAV_STATE_ACTIVE,
    )  # fmt: skip


def _position(boot_ms: int) -> mavlink.MAVLink_message:
    return MAV.global_position_int_encode(
        boot_ms, 290_512_345, 1_191_723_456, 95_000, 40_000, 500, 0, 0, 9000
    )


def _fold(*msgs: mavlink.MAVLink_message) -> StateBuilder:
    builder = StateBuilder(1, 1)
    for m in msgs:
        m.pack(MAV)  # as received: a packed message
        builder.apply(m)
    return builder


def test_flight_time_counts_from_arming_on_the_vehicle_clock():
    """Armed at boot time 100 s and now at 173 s: 73 s of flight; disarmed: none."""
    builder = _fold(_position(100_000), _heartbeat(True), _position(173_000))
    state = builder.build(LinkHealth())
    assert flight_time_s(state) == pytest.approx(73.0)
    builder.apply(_heartbeat(False))
    assert flight_time_s(builder.build(LinkHealth())) is None


def test_frame_carries_gps_home_mission_wind_and_radio():
    """Satellites, home, mission size, wind and RADIO_STATUS signal reach the page's frame."""
    builder = _fold(
        _position(5_000),
        MAV.gps_raw_int_encode(0, 3, 290_512_345, 1_191_723_456, 95_000, 80, 120, 0, 0, 14),
        MAV.home_position_encode(
            290_500_000, 1_191_700_000, 55_000, 0, 0, 0, [1, 0, 0, 0], 0, 0, 0
        ),
        MAV.mission_current_encode(3, 12),
        MAV.wind_encode(200.0, 4.5, 0.0),
        MAV.radio_status_encode(127, 254, 0, 0, 0, 0, 0),
    )
    frame = frame_of(builder.build(LinkHealth()), 4, "heron-1")
    assert (frame.gps_fix, frame.satellites) == (3, 14)
    assert frame.hdop == pytest.approx(0.8)
    assert frame.home_lat_deg == pytest.approx(29.05)
    assert frame.home_lon_deg == pytest.approx(119.17)
    assert (frame.mission_seq, frame.mission_total) == (3, 12)
    assert (frame.wind_speed_m_s, frame.wind_dir_deg) == (4.5, 200.0)
    assert (frame.radio_rssi_pct, frame.radio_remrssi_pct) == (50.0, 100.0)


def test_unknown_radio_signal_stays_unknown():
    """RADIO_STATUS with 255 (not known) leaves the signal null, not 100 %."""
    state = _fold(MAV.radio_status_encode(255, 255, 0, 0, 0, 0, 0)).build(LinkHealth())
    frame = frame_of(state, 1, "a")
    assert frame.radio_rssi_pct is None
    assert frame.radio_remrssi_pct is None
