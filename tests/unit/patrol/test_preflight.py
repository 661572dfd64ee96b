"""Preflight checks: each passes or fails with a reason naming the cause."""

from __future__ import annotations

from dataclasses import replace

import pytest
from shapely.geometry import Point, box

from groundstation.link.health import LinkHealth
from groundstation.link.sanity import TelemetryHealth
from groundstation.link.vehicle import Position, VehicleState
from groundstation.patrol.preflight import PreflightInputs, failures, run_checks

STATE = VehicleState(
    1, 1, position=Position(29.05, 119.18, 40.0), battery_pct=95.0, gps_fix=3, satellites=12,
    system_status=3,
)  # fmt: skip
FENCE = box(119.17, 29.04, 119.19, 29.06)
GOOD = PreflightInputs(
    state=STATE,
    sortie_duration_s=600,
    endurance_s=1800,
    reserve_frac=0.25,
    waypoints=[(119.18, 29.05), (119.181, 29.051), (119.182, 29.049)],
    fence=FENCE,
    no_fly=(Point(119.175, 29.045).buffer(0.002),),
)


def verdict(inputs: PreflightInputs) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.ok, c.reason) for c in run_checks(inputs)}


def test_all_pass_for_a_healthy_vehicle_and_a_fitting_mission():
    """A connected, fixed, charged, free vehicle with a mission inside the fence passes all."""
    v = verdict(GOOD)
    assert set(v) == {"link", "gps", "battery", "geofence", "vehicle_free", "wind", "weather"}
    assert all(ok for ok, _ in v.values()), v
    assert failures(run_checks(GOOD)) == ""


@pytest.mark.parametrize(
    ("change", "name", "words"),
    [
        ({"state": None}, "link", "not been heard"),
        ({"lost": True}, "link", "link lost"),
        ({"state": replace(STATE, link=LinkHealth(status="lost", last_heard_s=9))}, "link", "lost"),
        ({"state": replace(STATE, system_status=5)}, "link", "system status"),
        (
            {"state": replace(STATE, telemetry=TelemetryHealth("bad", 4, "lat_deg"))},
            "link",
            "impossible telemetry from the vehicle lately (4 values dropped, the last one lat_deg)",
        ),
        ({"state": replace(STATE, gps_fix=2)}, "gps", "no 3D GPS fix"),
        ({"state": replace(STATE, position=None)}, "gps", "no position"),
        ({"state": replace(STATE, battery_pct=50.0)}, "battery", "50 % available, 58 % needed"),
        ({"state": replace(STATE, battery_pct=None)}, "battery", "unknown"),
        ({"waypoints": [(119.18, 29.05), (119.25, 29.05)]}, "geofence", "outside the geofence"),
        ({"waypoints": [(119.18, 29.05), (119.175, 29.045)]}, "geofence", "no-fly zone"),
        ({"waypoints": []}, "geofence", "no waypoints"),
        ({"busy_with": 7}, "vehicle_free", "patrol 7"),
        ({"state": replace(STATE, armed=True)}, "vehicle_free", "already armed"),
        ({"wind_m_s": 14.0, "wind_limit_m_s": 10.0}, "wind", "14.0 m/s (configured), limit 10.0"),
        (
            {"state": replace(STATE, wind_speed_m_s=11.0, wind_dir_deg=90.0)},
            "wind",
            "wind 11.0 m/s (from 90°, the vehicle's estimate), limit 10.0",
        ),
    ],
)
def test_each_failure_names_its_cause(change, name, words):
    """Each bad condition fails exactly its own check, with a reason a pilot can act on."""
    v = verdict(replace(GOOD, **change))
    ok, reason = v[name]
    assert not ok
    assert words in reason
    assert name in failures(run_checks(replace(GOOD, **change)))


def test_vehicle_wind_wins_over_the_configured_wind():
    """The vehicle's WIND estimate decides even when a different wind is configured."""
    calm_vehicle = replace(GOOD, state=replace(STATE, wind_speed_m_s=3.0), wind_m_s=14.0)
    ok, reason = verdict(calm_vehicle)["wind"]
    assert ok
    assert reason == "wind 3.0 m/s (the vehicle's estimate), limit 10.0 m/s"
    ok, reason = verdict(replace(GOOD, wind_m_s=4.0))["wind"]
    assert ok
    assert "(configured)" in reason
    ok, reason = verdict(GOOD)["wind"]
    assert ok
    assert reason.startswith("no wind estimate")


def test_battery_threshold_is_sortie_share_plus_reserve():
    """A 600 s sortie on 1800 s endurance with 25 % reserve needs 58.3 %: 59 passes, 58 fails."""
    assert verdict(replace(GOOD, state=replace(STATE, battery_pct=59.0)))["battery"][0]
    assert not verdict(replace(GOOD, state=replace(STATE, battery_pct=58.0)))["battery"][0]


def test_resume_accepts_an_armed_vehicle_and_wind_within_limit():
    """On resume an armed vehicle is not 'busy'; wind at the limit passes."""
    v = verdict(replace(GOOD, state=replace(STATE, armed=True), resume=True, wind_m_s=10.0))
    assert v["vehicle_free"][0]
    assert v["wind"][0]


def test_sortie_facts_fence_check():
    """A position outside the plan's fence, or inside a no-fly zone, is flagged; inside is not."""
    from groundstation.patrol.mission_facts import SortieFacts

    facts = SortieFacts(1, 0, (), (), (), 100.0, 1000.0, 40.0, FENCE, tuple(GOOD.no_fly))
    assert not facts.outside_fence(119.18, 29.05)
    assert facts.outside_fence(119.25, 29.05)
    assert facts.outside_fence(119.175, 29.045)
