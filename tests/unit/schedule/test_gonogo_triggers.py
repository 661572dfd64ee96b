"""Go/no-go checks and schedule triggers, without a station."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from groundstation.db.models import Vehicle
from groundstation.errors import InvalidRequest
from groundstation.link.control import CommandHold
from groundstation.link.vehicle import VehicleState
from groundstation.schedule.gonogo import Candidate, check_daylight, check_wind, pick_drone
from groundstation.schedule.service import ScheduleService
from groundstation.schedule.triggers import TriggerSpec, due_times, make_trigger

SH = ZoneInfo("Asia/Shanghai")
LONGYOU: dict[str, Any] = {"lat_deg": 29.05, "lon_deg": 119.18}


@pytest.mark.parametrize(
    ("local", "duration_s", "ok"),
    [
        (datetime(2026, 6, 21, 5, 0, tzinfo=SH), 600, True),  # civil dawn ~04:40 in June
        (datetime(2026, 6, 21, 4, 20, tzinfo=SH), 600, False),  # before civil dawn
        (datetime(2026, 12, 21, 5, 30, tzinfo=SH), 600, False),  # winter: dawn ~06:35
        (datetime(2026, 6, 21, 19, 10, tzinfo=SH), 1800, False),  # lands after civil dusk ~19:40
        (datetime(2026, 6, 21, 19, 0, tzinfo=SH), 600, True),
    ],
)
def test_daylight_follows_civil_twilight_by_season(local, duration_s, ok):
    """Launch must follow civil dawn and landing precede civil dusk, which move with the date."""
    v = check_daylight(local.astimezone(UTC), duration_s, **LONGYOU)
    assert v.ok is ok, v.reason


def test_wind_over_the_limit_is_no_go():
    """Wind above the limit is a no-go naming both numbers; unknown wind is a go."""
    assert not check_wind(12.5, 10.0).ok
    assert check_wind(12.5, 10.0).reason == "wind 12.5 m/s (configured), limit 10.0 m/s"
    assert check_wind(None, 10.0).ok
    assert check_wind(4.0, 10.0).ok


def test_wind_uses_the_vehicles_own_estimate_over_the_configured_value():
    """The chosen drone's WIND estimate decides and is named as the source, calm or not."""
    windy = Candidate(1, "windy", connected=True, wind_speed_m_s=13.2, wind_dir_deg=95.0)
    verdict = check_wind(3.0, 10.0, windy)
    assert not verdict.ok
    assert verdict.reason == "wind 13.2 m/s (from 95°, the vehicle's estimate), limit 10.0 m/s"
    calm = Candidate(2, "calm", connected=True, wind_speed_m_s=2.5)
    verdict = check_wind(12.0, 10.0, calm)
    assert verdict.ok
    assert verdict.reason == "wind 2.5 m/s (the vehicle's estimate), limit 10.0 m/s"


def test_wind_falls_back_to_the_configured_value_without_a_vehicle_estimate():
    """A drone that sends no WIND leaves the configured wind to decide, and the reason says so."""
    silent = Candidate(1, "silent", connected=True, battery_pct=90)
    verdict = check_wind(12.5, 10.0, silent)
    assert not verdict.ok
    assert verdict.reason == "wind 12.5 m/s (configured), limit 10.0 m/s"
    assert check_wind(None, 10.0, silent).reason.startswith("no wind estimate")


def test_candidate_carries_the_vehicles_wind_from_the_link_state():
    """The scheduler's view of a connected drone includes its WIND speed and direction."""
    state = VehicleState(7, 1, battery_pct=88.0, wind_speed_m_s=6.5, wind_dir_deg=180.0)
    handle = SimpleNamespace(state=state, is_lost=False)
    fleet = SimpleNamespace(command_holds={})
    bridge = SimpleNamespace(handle_of=lambda sysid: handle, fleet=fleet)
    service = ScheduleService(None, None, SimpleNamespace(bridge=bridge))  # type: ignore[arg-type]
    c = service._candidate(Vehicle(id=3, sysid=7, name="d7"), None)
    assert (c.connected, c.wind_speed_m_s, c.wind_dir_deg, c.held) == (True, 6.5, 180.0, None)
    assert check_wind(None, 5.0, c).reason.startswith("wind 6.5 m/s (from 180°")


def test_a_drone_another_station_commands_is_no_candidate():
    """A drone whose commands the link holds for another station is not picked, and says why."""
    handle = SimpleNamespace(state=VehicleState(7, 1, battery_pct=99.0), is_lost=False)
    fleet = SimpleNamespace(command_holds={7: CommandHold(None)})
    bridge = SimpleNamespace(handle_of=lambda sysid: handle, fleet=fleet)
    service = ScheduleService(None, None, SimpleNamespace(bridge=bridge))  # type: ignore[arg-type]
    c = service._candidate(Vehicle(id=3, sysid=7, name="d7"), None)
    assert pick_drone([c], 50) == (None, "no drone available: d7: commanded by another station")


def test_pick_prefers_the_fullest_fit_drone_and_explains_refusals():
    """The fullest fit drone wins; low, unhealthy, armed, busy or absent drones say why not."""
    pool = [
        Candidate(1, "low", connected=True, battery_pct=40),
        Candidate(2, "ok", connected=True, battery_pct=70),
        Candidate(3, "best", connected=True, battery_pct=90),
        Candidate(4, "sick", connected=True, battery_pct=99, system_status=6),
        Candidate(5, "armed", connected=True, battery_pct=99, armed=True),
    ]
    best = pick_drone(pool, 60)[0]
    assert best is not None
    assert best.name == "best"
    none, why = pick_drone([pool[0], pool[3], pool[4]], 60)
    assert none is None
    assert "low: battery 40 % under 60 %" in why
    assert "sick: unhealthy" in why
    assert "armed: armed" in why
    assert pick_drone([], 60)[1].startswith("no drone available: the pool is empty")


def test_times_with_season_and_date_range():
    """A list of times fires only in its months and inside its date range, in local time."""
    spec = TriggerSpec(
        times=("14:00",), months=(6,), start_date="2026-06-10", end_date="2026-06-12"
    )
    t = make_trigger(spec)
    after = datetime(2026, 5, 1, tzinfo=UTC)
    times = due_times(t, after, after + timedelta(days=60))
    assert [x.astimezone(SH).isoformat() for x in times] == [
        "2026-06-10T14:00:00+08:00",
        "2026-06-11T14:00:00+08:00",
        "2026-06-12T14:00:00+08:00",
    ]


def test_cron_every_hour_in_the_afternoon_for_summer():
    """Cron hours 13-17 with months June-September: five runs a summer day, none in May."""
    t = make_trigger(TriggerSpec(cron="0 13-17 * * *", months=(6, 7, 8, 9)))
    day = datetime(2026, 7, 1, tzinfo=SH)
    assert len(due_times(t, day, day + timedelta(days=1))) == 5
    may = datetime(2026, 5, 1, tzinfo=SH)
    assert due_times(t, may, may + timedelta(days=30)) == []


def test_due_times_is_bounded():
    """Counting missed runs stops at the limit instead of walking years of minutes."""
    t = make_trigger(TriggerSpec(cron="* * * * *"))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert len(due_times(t, start, start + timedelta(days=365), limit=50)) == 50


def test_season_twice_is_refused():
    """A cron month and a months list together are ambiguous and refused."""
    with pytest.raises(InvalidRequest, match="either in the cron month or in months"):
        make_trigger(TriggerSpec(cron="0 8 * 6 *", months=(7,)))
