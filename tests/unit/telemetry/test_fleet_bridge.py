"""The fleet bridge: unknown drones listed (no row), accepted ones bridged; frames and link alerts
on the hub."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.db.models import AuditEntry, Base, Vehicle
from groundstation.db.session import make_sessionmaker
from groundstation.federation.authority import Authority
from groundstation.link import Fleet, LinkConfig
from groundstation.link.admission import Admission
from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint
from groundstation.telemetry.fleet_bridge import FleetBridge
from groundstation.telemetry.hub import Hub
from groundstation.telemetry.messages import CommandedBy


async def next_of(client, kind: str, timeout_s: float = 20.0):
    async with asyncio.timeout(timeout_s):
        while True:
            msg = await client.get()
            if msg.type == kind:
                return msg


async def test_bridge_registers_publishes_frames_and_link_alerts(tmp_path):
    """A new drone is an 'unknown vehicle heard' alert and no row; once accepted (a row, as the
    API makes it) its state goes out as frames, a cut as an alert, and the snapshot lists it
    live next to a registered drone never heard (offline)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add(Vehicle(sysid=9, name="heron-9"))
        await s.commit()
    hub = Hub(queue_size=64)
    client = hub.subscribe()
    admission = Admission(open_fleet=False, accepted=[9])
    fleet = Fleet([LinkConfig("udpin:127.0.0.1:0")], lost_after_s=0.5, admission=admission)
    async with fleet:
        bridge = FleetBridge(fleet, hub, sessions)
        task = asyncio.create_task(bridge.run())
        port = fleet.links[0].local_address[1]
        async with FakeVehicleEndpoint(FakeAutopilot(7), ("127.0.0.1", port)) as fake:
            heard = await next_of(client, "alert")
            assert heard.data["kind"] == "unknown_heard"
            assert heard.data["sysid"] == 7
            # the alert goes out before the audit row is written (another task): wait for it
            logged = None
            async with asyncio.timeout(10):
                while logged is None:
                    async with sessions() as s:
                        query = select(AuditEntry).where(AuditEntry.vehicle_sysid == 7)
                        logged = await s.scalar(query)
                    if logged is None:
                        await asyncio.sleep(0.05)
            assert logged.command == "link.unknown_heard"
            async with sessions() as s:
                assert await s.scalar(select(Vehicle).where(Vehicle.sysid == 7)) is None
                assert [h.sysid for h in await bridge.snapshot_heard(s)] == [7]
                s.add(Vehicle(sysid=7, name="drone-7"))  # a pilot accepts it
                await s.commit()
            fleet.accept(7)
            frame = await next_of(client, "vehicle.frame")
            assert frame.key == "vehicle:7"
            assert frame.data["name"] == "drone-7"
            async with asyncio.timeout(5):
                while frame.data["lat_deg"] is None:
                    frame = await next_of(client, "vehicle.frame")
            assert abs(frame.data["lat_deg"] - 29.05) < 1e-6
            assert frame.data["link"]["status"] in ("ok", "degraded")
            fake.cut(5.0)
            lost = await next_of(client, "alert")
            assert lost.data["kind"] == "link_lost"
            assert "drone-7" in lost.data["text"]
        async with sessions() as s:
            row = await s.scalar(select(Vehicle).where(Vehicle.sysid == 7))
            assert row is not None
            assert row.id == bridge.vehicle_ids[7]
            snap = await bridge.snapshot_vehicles(s)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await engine.dispose()
    by_sysid = {v.sysid: v.model_dump(exclude_unset=True) for v in snap}
    assert by_sysid[7]["link"]["status"] == "lost"
    assert by_sysid[9]["link"] == {"status": "offline"}
    assert by_sysid[9]["name"] == "heron-9"


async def test_frames_say_which_station_commands_a_held_vehicle(tmp_path):
    """A drone handed over to river-b goes out with ``commanded_by`` river-b (its commands held
    by `Authority`), a registered guest never heard is an offline frame commanded by a station
    not known, and once the drone is taken back its frames say null (this station commands)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        s.add_all([Vehicle(sysid=7, name="drone-7"), Vehicle(sysid=9, name="guest-9")])
        await s.commit()
    hub = Hub(queue_size=64)
    client = hub.subscribe()
    fleet = Fleet([LinkConfig("udpin:127.0.0.1:0")], lost_after_s=5.0)
    authority = Authority(":memory:", "river-a", fleet, guests=[9])
    async with fleet:
        bridge = FleetBridge(fleet, hub, sessions)
        task = asyncio.create_task(bridge.run())
        port = fleet.links[0].local_address[1]
        async with FakeVehicleEndpoint(FakeAutopilot(7), ("127.0.0.1", port)):
            frame = await next_of(client, "vehicle.frame")
            assert frame.data["commanded_by"] is None
            authority.give(7, "river-b", "h1")
            async with asyncio.timeout(10):
                while frame.data["commanded_by"] is None:
                    frame = await next_of(client, "vehicle.frame")
            assert frame.data["commanded_by"] == {"station": "river-b"}
            async with sessions() as s:
                snap = {v.sysid: v for v in await bridge.snapshot_vehicles(s)}
            authority.take(7, "h2")
            async with asyncio.timeout(10):
                while frame.data["commanded_by"] is not None:
                    frame = await next_of(client, "vehicle.frame")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    authority.close()
    await engine.dispose()
    assert snap[7].commanded_by == CommandedBy(station="river-b")
    assert snap[7].link.status in ("ok", "degraded")
    assert snap[9].link.status == "offline"
    assert snap[9].commanded_by == CommandedBy(station=None)
