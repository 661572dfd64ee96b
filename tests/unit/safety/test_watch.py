"""The vehicle monitors: each rule's verdicts and the watch's raise / escalate / clear logic."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.health import LinkHealth
from groundstation.link.sanity import TelemetryHealth
from groundstation.link.vehicle import Position, VehicleState
from groundstation.safety import rules
from groundstation.safety.config import BatteryLimits, SafetySettings
from groundstation.safety.watch import VehicleWatch

S = SafetySettings()


def _state(**kw: object) -> VehicleState:
    base: dict[str, object] = {"gps_fix": 3, "satellites": 14, "hdop": 0.8, "battery_pct": 80.0}
    return VehicleState(1, 1, **{**base, **kw})  # type: ignore[arg-type]


def test_battery_by_cell_voltage_per_airframe():
    """A 6S pack at 3.4 V a cell is critical even while its gauge still says 60 %."""
    six = BatteryLimits(cells=6)
    kinds = [f.kind for f in rules.battery(_state(battery_pct=60.0, voltage_v=20.4), six)]
    assert kinds == ["battery_low", "battery_critical"]
    assert rules.battery(_state(battery_pct=60.0, voltage_v=24.0), six) == []


def test_unrequested_failsafe_carries_the_vehicle_reason_and_no_raw_text_in_chinese():
    """RTL nobody asked for is critical; the English keeps the vehicle's text, Chinese does not."""
    f = rules.mode_change("GUIDED", "RTL", requested=False, texts=["GCS Failsafe: RTL"])
    assert f is not None
    assert (f.kind, f.level) == ("failsafe", "critical")
    assert "GCS Failsafe" in f.en
    assert "GCS" not in f.zh
    assert "地面站" in f.zh
    assert rules.mode_change("GUIDED", "RTL", requested=True, texts=[]) is None


def test_pilot_modes_are_manual_control():
    """A switch to POSHOLD the station did not send is the pilot taking over."""
    f = rules.mode_change("GUIDED", "POSHOLD", requested=False, texts=[])
    assert f is not None
    assert f.kind == "manual_control"


def test_gps_health_altitude_telemetry_link():
    """Each rule fires on its own condition and stays quiet on a healthy state."""
    assert rules.gps(_state(), S) is None
    gps = rules.gps(_state(gps_fix=1, satellites=3, armed=True), S)
    assert gps is not None
    assert gps.level == "critical"
    sick = _state(sensors_unhealthy=mavlink.MAV_SYS_STATUS_SENSOR_3D_MAG)
    health = rules.health(sick)
    assert health is not None
    assert "磁罗盘" in health.zh
    high = _state(position=Position(29.0, 119.0, 200.0, 130.0))
    assert rules.altitude(high, 120.0) is not None
    assert rules.altitude(_state(position=Position(29.0, 119.0, 100.0, 90.0)), 120.0) is None
    bad = _state(telemetry=TelemetryHealth("bad", 3, "lat_deg"))
    assert rules.telemetry(bad) is not None
    assert rules.link(_state(link=LinkHealth(status="lost"))) is not None
    assert rules.no_fly(40.0, 150.0) is not None
    assert rules.no_fly(400.0, 150.0) is None


def test_watch_raises_escalates_and_clears_after_a_quiet_spell():
    """Low then critical raise once each; repeats are silent; a recharge clears after 5 s."""
    now = [0.0]
    w = VehicleWatch(S, None, None, clock=lambda: now[0])
    assert [c.finding.kind for c in w.check(_state(battery_pct=29.0))] == ["battery_low"]
    assert w.check(_state(battery_pct=28.0)) == []
    assert [c.finding.kind for c in w.check(_state(battery_pct=19.0))] == ["battery_critical"]
    now[0] = 2.0
    assert w.check(_state(battery_pct=90.0)) == []  # not yet: 2 s without
    now[0] = 8.0
    cleared = w.check(_state(battery_pct=90.0))
    assert sorted((c.finding.kind, c.raised) for c in cleared) == [
        ("battery_critical", False),
        ("battery_low", False),
    ]
