"""Battery use learned from recorded flights: the rates, the upper estimate, and preflight.

Flights are fed through the patrol runner as a vehicle would report them (a synthetic
BATTERY_STATUS series: whole-percent ``battery_remaining`` and ``current_consumed`` in mAh, on the
vehicle's clock, with its position), stored as ``flights`` rows, then learned from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.db.models import Base, Patrol, PatrolEvent, PatrolState, Plan, Vehicle
from groundstation.db.session import make_sessionmaker
from groundstation.link.health import LinkHealth
from groundstation.link.vehicle import Position, StateBuilder, VehicleState
from groundstation.patrol.battery import BatteryEstimate, estimate_for
from groundstation.patrol.mission_facts import SortieFacts
from groundstation.patrol.preflight import PreflightInputs, run_checks
from groundstation.patrol.runner import PatrolRunner
from groundstation.patrol.service import PatrolService
from groundstation.telemetry.hub import Hub
from routes.mission import MissionItem

CAPACITY_MAH = 10_000.0
M_PER_DEG_LAT = 111_195.0

FACTS = SortieFacts(
    plan_id=1, sortie=0,
    items=tuple(MissionItem(seq=i, frame=3, command=16, x=290500000, y=1191800000, z=30.0)
                for i in range(3)),
    fence_items=(), rally_items=(), duration_s=600.0, length_m=1000.0, altitude_m=30.0,
    fence=None, no_fly=(),
)  # fmt: skip


@dataclass
class Drone:
    sysid: int
    state: VehicleState


def series(
    hover_s: float,
    km: float,
    hover_mah_min: float,
    cruise_mah_km: float,
    speed: float,
    current_sensing: bool = True,
):
    """States of one flight, one a second: hover on the spot, cruise north at `speed`, hover.

    Built as the link builds them, from the vehicle's messages: GLOBAL_POSITION_INT (position,
    the vehicle's clock) and BATTERY_STATUS, whose battery drains `hover_mah_min` per minute
    hovering and `cruise_mah_km` per km cruising; ``battery_remaining`` is whole percent and
    ``current_consumed`` is -1 without current sensing, as ArduPilot sends them.
    """
    t, mah, north = 0.0, 0.0, 0.0
    mav = mavlink.MAVLink(None, 1, 1)
    builder = StateBuilder(1, 1)
    builder.apply(mav.heartbeat_encode(2, 3, mavlink.MAV_MODE_FLAG_SAFETY_ARMED, 3, 4))

    def state() -> VehicleState:
        pct = round(100.0 * (1.0 - mah / CAPACITY_MAH))
        lat = 29.05 + north / M_PER_DEG_LAT
        builder.apply(
            mav.global_position_int_encode(
                round(1_000_000 + t * 1000), round(lat * 1e7), 1191800000, 70_000, 30_000,
                0, 0, 0, 0,
            )
        )  # fmt: skip
        builder.apply(
            mav.battery_status_encode(
                0, 0, 1, 32767, [12_600] + [65535] * 9, 1000,
                round(mah) if current_sensing else -1, -1, pct, 0, 0,
            )
        )  # fmt: skip
        return replace(builder.build(LinkHealth()), mission_seq=1)

    yield state()
    for phase_s, moving in (
        (hover_s / 2, False),
        (km * 1000.0 / speed, True),
        (hover_s / 2, False),
    ):
        for _ in range(round(phase_s)):
            t += 1.0
            if moving:
                north += speed
                mah += cruise_mah_km * speed / 1000.0
            else:
                mah += hover_mah_min / 60.0
            yield state()


async def fly(service: PatrolService, patrol_id: int, states) -> None:
    """One recorded flight through the runner: arming, every state, landing."""
    states = list(states)
    runner = PatrolRunner(service, patrol_id, Drone(1, states[0]), 1, FACTS)  # type: ignore[arg-type]
    runner.recorder.min_interval_s = 0.0
    await runner._open_flight(states[0])
    for st in states[1:]:
        runner._observe(st)
    await runner._flush(landed=True)


@pytest.fixture
async def sessions(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([
            Vehicle(id=1, sysid=1, name="d1", airframe="m300"),
            Vehicle(id=2, sysid=2, name="d2", airframe="m300"),
            Vehicle(id=3, sysid=3, name="d3", airframe="mavic"),
            Plan(id=1, name="p", kind="coverage"),
        ])  # fmt: skip
        s.add_all([Patrol(id=k, plan_id=1, vehicle_id=1) for k in range(1, 5)])
        await s.commit()
    yield sessions
    await engine.dispose()


# A thirsty airframe: 350 mAh/min hovering (3.5 %/min), 500 mAh/km cruising at 10 m/s (5 %/km).
FLIGHTS = [
    (120.0, 4.0, 340.0, 480.0),
    (150.0, 5.0, 350.0, 500.0),
    (100.0, 4.5, 360.0, 520.0),
]


async def test_rates_learned_from_recorded_flights_and_preflight_refuses(sessions):
    """Three recorded flights teach 5 %/km and 3.5 %/min; the upper estimate is above both
    means; a sortie the configured 55-minute model passes is refused by the learned one."""
    service = PatrolService(sessions, Hub(), None)
    async with sessions() as s:
        vehicle = await s.get(Vehicle, 1)
        assert vehicle is not None
        before = await estimate_for(s, vehicle, endurance_s=3300.0, min_flights=3, min_minutes=10.0)
    assert before.source == "configured"
    assert "0 flights" in before.basis

    for k, (hover_s, km, hover_rate, cruise_rate) in enumerate(FLIGHTS, start=1):
        await fly(service, k, series(hover_s, km, hover_rate, cruise_rate, speed=10.0))

    async with sessions() as s:
        vehicle = await s.get(Vehicle, 1)
        assert vehicle is not None
        est = await estimate_for(s, vehicle, endurance_s=3300.0, min_flights=3, min_minutes=10.0)
        too_few = await estimate_for(
            s, vehicle, endurance_s=3300.0, min_flights=4, min_minutes=10.0
        )
        other = await s.get(Vehicle, 2)
        mavic = await s.get(Vehicle, 3)
        assert other is not None
        assert mavic is not None
        by_airframe = await estimate_for(
            s, other, endurance_s=3300.0, min_flights=3, min_minutes=10.0
        )
        not_mine = await estimate_for(s, mavic, endurance_s=3300.0, min_flights=3, min_minutes=10.0)

    assert est.source == "learned"
    assert (est.flights, est.basis) == (3, "vehicle d1")
    assert est.km == pytest.approx(13.5, abs=0.1)
    assert est.minutes == pytest.approx((370 + 1350) / 60, abs=0.2)
    assert est.cruise_mean_pct_per_km == pytest.approx(5.0, rel=0.04)
    assert est.hover_mean_pct_per_min == pytest.approx(3.5, rel=0.04)
    assert est.cruise_mean_pct_per_km is not None
    assert est.hover_mean_pct_per_min is not None
    assert est.cruise_pct_per_km is not None
    assert est.hover_pct_per_min is not None
    assert est.cruise_pct_per_km > est.cruise_mean_pct_per_km * 1.09  # upper, not the mean
    assert est.hover_pct_per_min > est.hover_mean_pct_per_min * 1.09
    assert too_few.source == "configured"
    assert "3 flights" in too_few.basis
    assert (by_airframe.source, by_airframe.basis) == ("learned", "airframe m300")
    assert not_mine.source == "configured"

    # a 12 km, 25-minute sortie at 10 m/s: the configured 3300 s model says 45 % + 25 %
    # reserve of 95 % is fine; the learned rates say over 60 % + 5 min hover: refused
    state = VehicleState(
        1, 1, position=Position(29.05, 119.18, 40.0), battery_pct=95.0, gps_fix=3, system_status=3
    )
    inputs = PreflightInputs(
        state=state, sortie_duration_s=1500.0, sortie_length_m=12_000.0, speed_m_s=10.0,
        endurance_s=3300.0, waypoints=[(119.18, 29.05)],
    )  # fmt: skip
    configured = {c.name: c for c in run_checks(inputs)}["battery"]
    learned = {c.name: c for c in run_checks(replace(inputs, battery=est))}["battery"]
    assert configured.ok, configured.reason
    assert not learned.ok, learned.reason
    assert "learned from 3 flights of vehicle d1" in learned.reason
    assert learned.data is not None
    assert learned.data["model"]["source"] == "learned"
    assert learned.data["model"]["flights"] == 3
    assert learned.data["need_pct"] > 95.0


async def test_a_flight_without_current_sensing_learns_from_percent_steps(sessions):
    """No current_consumed (-1): the whole-percent steps of battery_remaining are split by
    when they happen; the rates still come out near the truth over a long enough flight."""
    service = PatrolService(sessions, Hub(), None)
    for k, (hover_s, km, hover_rate, cruise_rate) in enumerate(FLIGHTS, start=1):
        states = list(
            series(hover_s * 3, km, hover_rate, cruise_rate, speed=10.0, current_sensing=False)
        )
        assert all(st.battery_consumed_mah is None for st in states)
        await fly(service, k, states)
    async with sessions() as s:
        vehicle = await s.get(Vehicle, 1)
        assert vehicle is not None
        est = await estimate_for(s, vehicle, endurance_s=3300.0, min_flights=3, min_minutes=10.0)
    assert est.source == "learned"
    assert est.cruise_mean_pct_per_km == pytest.approx(5.0, rel=0.1)
    assert est.hover_mean_pct_per_min == pytest.approx(3.5, rel=0.15)


@dataclass
class HomingDrone:
    """A vehicle handle that notes the RTL it is sent."""

    sysid: int
    state: VehicleState
    rtl_sent: int = 0

    async def rtl(self) -> None:
        self.rtl_sent += 1


async def test_in_flight_the_patrol_returns_when_the_battery_only_covers_the_way_home(sessions):
    """3 km from home at 10 m/s with 5 %/km learned: home needs 15 % plus 1.5 % for a 30 m
    descent; at 40 % and 27 % the patrol flies on, at 26 % (under need + 10 % reserve) it sends
    the vehicle home, once, and says why."""

    service = PatrolService(sessions, Hub(), None)
    est = BatteryEstimate(
        "learned", "vehicle d1", 3300.0, 3, 30.0, 13.5, cruise_pct_per_km=5.0, hover_pct_per_min=3.0
    )
    far = Position(29.05 + 3000.0 / M_PER_DEG_LAT, 119.18, 70.0, 30.0)
    home = Position(29.05, 119.18, 40.0, 0.0)
    drone = HomingDrone(1, VehicleState(1, 1, position=far, home=home, armed=True))
    runner = PatrolRunner(service, 1, drone, 1, FACTS, battery=est)  # type: ignore[arg-type]
    runner.airborne, runner.state = True, PatrolState.FLYING
    need = runner.home_need_pct(drone.state)
    assert need == pytest.approx(5.0 * 3.0 + 3.0 * (30.0 - 0.0) / 60.0, rel=0.01)

    for pct in (40.0, 27.0):
        await runner._check_limits(VehicleState(1, 1, position=far, home=home, battery_pct=pct))
    assert drone.rtl_sent == 0
    for pct in (26.0, 23.0):
        await runner._check_limits(VehicleState(1, 1, position=far, home=home, battery_pct=pct))
    assert drone.rtl_sent == 1
    async with sessions() as s:
        events = list(
            await s.scalars(select(PatrolEvent).where(PatrolEvent.kind == "battery_return"))
        )
    assert len(events) == 1
    assert "battery 26 %: the way home needs" in events[0].text
    assert "plus 10 % reserve (learned from 3 flights of vehicle d1" in events[0].text
    assert events[0].data["model"]["source"] == "learned"
    by = service.recent_command(1)
    assert by is not None
    assert (by.command, by.user, by.source) == ("RTL", "the patrol (battery)", "battery")
