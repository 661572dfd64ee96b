"""The simulator's wind: WIND from its wind model, set per run and at run time, and a way
flown against the wind costs more battery than the same way with it."""

from __future__ import annotations

import json
import math

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from simulator.autopilot import Autopilot
from simulator.control import handle_request
from simulator.fleet import SimConfig, SimFleet
from simulator.telemetry import wind
from simulator.vehicle import Airframe, Setpoint, power_current_a
from tests.unit.simulator.gcs import HOME


def test_wind_message_says_where_it_blows_from_like_ardupilot() -> None:
    """A steady wind from the west (270) goes out as about -90 degrees, its speed in m/s."""
    ap = Autopilot(1, HOME, seed=1)
    ap.params.set("SIM_WIND_SPD", 8.0)
    ap.params.set("SIM_WIND_DIR", 270.0)
    ap.params.set("SIM_WIND_TURB", 0.0)
    ap.update(1.0)
    msg = wind(ap)
    assert msg.get_msgId() == mavlink.MAVLINK_MSG_ID_WIND
    assert math.isclose(msg.speed, 8.0, abs_tol=1e-3)
    assert math.isclose(msg.direction, -90.0, abs_tol=1e-3)


def test_wind_per_run_and_through_the_control_port() -> None:
    """SimConfig(wind=...) sets every vehicle's SIM_WIND_*; the control op changes one."""
    fleet = SimFleet(SimConfig(drones=2, manual_clock=True, wind=(8.0, 90.0, 1.0)))
    for v in fleet.vehicles.values():
        assert v.autopilot.params.get("SIM_WIND_SPD") == 8.0
        assert v.autopilot.params.get("SIM_WIND_DIR") == 90.0
    line = json.dumps({"op": "wind", "sysid": 2, "speed_m_s": 3, "from_deg": 180})
    assert handle_request(fleet, line) == {"ok": True}
    assert fleet.vehicles[2].autopilot.params.get("SIM_WIND_SPD") == 3.0
    assert fleet.vehicles[2].autopilot.params.get("SIM_WIND_TURB") == 0.0
    assert fleet.vehicles[1].autopilot.params.get("SIM_WIND_SPD") == 8.0
    bad = handle_request(
        fleet, json.dumps({"op": "wind", "sysid": 9, "speed_m_s": 3, "from_deg": 0})
    )
    assert bad["ok"] is False


def _charge_for_1km(wind_to_north_m_s: float) -> float:
    """Ampere-seconds to fly 1 km north at 15 m/s in a wind blowing north at that speed."""
    frame = Airframe(up_m=30.0)
    frame.limits.speed_m_s = 15.0
    used = 0.0
    while frame.north_m < 1000.0:
        frame.step(0.1, Setpoint(2000.0, 0.0, 30.0), (wind_to_north_m_s, 0.0))
        used += power_current_a(frame, armed=True) * 0.1
    return used


def test_headwind_costs_more_than_tailwind() -> None:
    """1 km into an 8 m/s headwind costs over 15 % more charge than in still air."""
    still, head, tail = _charge_for_1km(0.0), _charge_for_1km(-8.0), _charge_for_1km(8.0)
    assert head > still * 1.15
    assert tail < still
