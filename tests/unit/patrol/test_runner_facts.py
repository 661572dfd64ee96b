"""The runner's report facts: photos of every flight of a patrol, battery at arming and landing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.db.models import Base, Flight, Patrol, PatrolEvent, Plan, Report, Vehicle
from groundstation.db.session import make_sessionmaker
from groundstation.link import FleetEvent, VehicleState
from groundstation.link.camera import PhotoTaken
from groundstation.link.vehicle import Position
from groundstation.patrol.mission_facts import SortieFacts
from groundstation.patrol.runner import PatrolRunner
from groundstation.patrol.service import PatrolService
from groundstation.telemetry.hub import Hub
from routes.mission import MissionItem

T0 = 1_795_000_000.0  # 2026-11-18, UTC


@dataclass
class Drone:
    """What the runner reads of a vehicle handle here: its system id and state."""

    sysid: int
    state: VehicleState


def photo(index: int, lat_deg: float | None) -> FleetEvent:
    pos = None if lat_deg is None else Position(lat_deg, 119.18, 70.0, 30.0)
    taken = PhotoTaken(index, pos, T0 + index, "station", "CAMERA_FEEDBACK")
    return FleetEvent("photo", 1, T0 + index, seq=index, photo=taken)


FACTS = SortieFacts(
    plan_id=1, sortie=0,
    items=tuple(MissionItem(seq=i, frame=3, command=16, x=290500000, y=1191800000, z=30.0)
                for i in range(3)),
    fence_items=(), rally_items=(), duration_s=600.0, length_m=1000.0, altitude_m=30.0,
    fence=None, no_fly=(),
)  # fmt: skip


async def store(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([Vehicle(id=1, sysid=1, name="d1"), Plan(id=1, name="p", kind="coverage")])
        s.add(Patrol(id=1, plan_id=1, vehicle_id=1))
        await s.commit()
    return engine, sessions


def flying(k: int, battery_pct: float = 96.0) -> VehicleState:
    """The k-th state of a drone flying north at 10 m/s (one state per simulated second)."""
    pos = Position(29.05 + k * 9e-5, 119.18, 70.0, 30.0)
    return VehicleState(
        1, 1, position=Position(pos.lat_deg, pos.lon_deg, 70.0, 30.0), armed=True,
        battery_pct=battery_pct, battery_consumed_mah=10.0 * k, time_boot_s=100.0 + k,
        mission_seq=1,
    )  # fmt: skip


async def test_photos_of_both_flights_and_battery_reach_the_report(tmp_path):
    """Photos of an interrupted flight and of its resume, located ones only, and battery % land in
    the report facts (battery of the flight that finished the route); another vehicle's photos
    do not; both flights are listed."""
    engine, sessions = await store(tmp_path)
    service = PatrolService(sessions, Hub(), None)
    drone = Drone(1, VehicleState(1, 1, battery_pct=96.0))

    first = PatrolRunner(service, 1, drone, 1, FACTS)  # type: ignore[arg-type]
    await first._open_flight(drone.state)  # armed at 96 %
    await first._on_event(photo(1, 29.0501))
    await first._on_event(photo(2, None))  # no position: not on the map
    await first._on_event(FleetEvent("photo", 2, T0, seq=9, photo=photo(9, 29.06).photo))
    await first._flush(landed=True)  # the interrupted flight lands

    resumed = PatrolRunner(service, 1, drone, 1, FACTS, mode="resume", first=2)  # type: ignore[arg-type]
    await resumed._open_flight(VehicleState(1, 1, battery_pct=88.0))
    await resumed._on_event(photo(3, 29.0503))
    resumed._observe(flying(0, battery_pct=61.0))
    resumed.battery_end_pct = 61.0
    await resumed._flush(landed=True)
    await resumed._report()

    async with sessions() as s:
        report = await s.scalar(select(Report).where(Report.patrol_id == 1))
        kinds = list(await s.scalars(select(PatrolEvent.text).where(PatrolEvent.kind == "photos")))
    await engine.dispose()
    assert report is not None
    photos = report.facts["photos"]
    assert [(p["index"], p["lat_deg"]) for p in photos] == [(1, 29.0501), (3, 29.0503)]
    assert photos[0]["lon_deg"] == 119.18
    assert photos[0]["time"] == "2026-11-18T11:06:41+00:00"
    assert (report.facts["battery_start_pct"], report.facts["battery_end_pct"]) == (88.0, 61.0)
    assert [f["battery_start_pct"] for f in report.facts["flights"]] == [96.0, 88.0]
    assert all(f["landed_at"] is not None for f in report.facts["flights"])
    assert report.facts["photos_missed"] == 0
    assert kinds == ["2 photos taken", "1 photos taken"]


async def test_telemetry_is_written_in_batches_not_per_message(tmp_path):
    """2,000 states and 200 photos write nothing until a flush; a flush is a few statements.

    No clock: the states are fed straight to the runner (one kept point each), the flushes are
    called by hand, so what is counted is the runner's own writes.
    """
    engine, sessions = await store(tmp_path)
    writes: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement.split()[0] + " " + statement.split()[2])

    service = PatrolService(sessions, Hub(), None)
    drone = Drone(1, flying(0))
    runner = PatrolRunner(service, 1, drone, 1, FACTS)  # type: ignore[arg-type]
    runner.recorder.min_interval_s = 0.0
    await runner._open_flight(drone.state)
    assert len(writes) == 1, writes  # the flight's row at arming, at once
    writes.clear()

    for k in range(1, 2001):
        runner._observe(flying(k, battery_pct=96.0 - k / 100))
        if k % 10 == 0:
            await runner._on_event(photo(k // 10, 29.05))
    assert writes == []
    await runner._flush()
    # the track (300 points a chunk), one photos event, the flight row: nothing per message
    assert len(writes) <= 2000 // 300 + 1 + 1 + 1, writes
    assert sum(w.startswith("INSERT patrol_events") for w in writes) == 1
    writes.clear()
    await runner._flush()  # nothing new: nothing written
    assert writes == []

    async with sessions() as s:
        flight = await s.scalar(select(Flight))
    await engine.dispose()
    assert flight is not None
    assert flight.distance_m == pytest.approx(2000 * 10.0, rel=0.01)
    assert flight.battery_start_pct == 96.0
    assert flight.battery_end_pct == pytest.approx(76.0)
    assert flight.cruise_m == pytest.approx(flight.distance_m)
    # the first second has no track point before it to measure movement by: hover
    assert (flight.cruise_mah, flight.hover_mah) == pytest.approx((19_990.0, 10.0))
    assert (flight.cruise_s, flight.hover_s) == pytest.approx((1999.0, 1.0))
    assert flight.mission_seq == 1
