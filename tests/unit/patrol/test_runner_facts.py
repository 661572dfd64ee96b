"""The runner's report facts: photos of every flight of a patrol, battery at arming and landing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.db.models import Base, Patrol, PatrolEvent, Plan, Report, Vehicle
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


async def test_photos_of_both_flights_and_battery_reach_the_report(tmp_path):
    """Photos of an interrupted flight and of its resume, located ones only, and battery % land in
    the report facts; another vehicle's photos do not."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([Vehicle(id=1, sysid=1, name="d1"), Plan(id=1, name="p", kind="coverage")])
        s.add(Patrol(id=1, plan_id=1, vehicle_id=1))
        await s.commit()
    service = PatrolService(sessions, Hub(), None)
    drone = Drone(1, VehicleState(1, 1, battery_pct=96.0))

    first = PatrolRunner(service, 1, drone, 1, FACTS)  # type: ignore[arg-type]
    await first._on_event(photo(1, 29.0501))
    await first._on_event(photo(2, None))  # no position: not on the map
    await first._on_event(FleetEvent("photo", 2, T0, seq=9, photo=photo(9, 29.06).photo))
    await first._save_photos()  # the interrupted flight lands

    resumed = PatrolRunner(service, 1, drone, 1, FACTS, mode="resume", first=2)  # type: ignore[arg-type]
    resumed.battery_start_pct = 88.0  # noted at its arming
    await resumed._on_event(photo(3, 29.0503))
    await resumed._save_photos()
    resumed.battery_end_pct = 61.0
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
    assert kinds == ["2 photos taken", "1 photos taken"]
