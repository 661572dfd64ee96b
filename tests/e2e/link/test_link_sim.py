"""The link against the simulator (in-process SimFleet, sped-up simulated time, loopback UDP)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket

import pytest

from groundstation.errors import (
    CommandDenied,
    CommandRejected,
    CommandTimeout,
    MissionUploadError,
)
from groundstation.link import Fleet, LinkConfig, MissionTiming
from groundstation.link.codec import Encoder
from groundstation.link.items import same_as
from groundstation.link.signing import key_from_passphrase
from groundstation.link.stored_form import Autopilot, as_stored
from routes.mission import MissionItem
from simulator.ardupilot_storage import StorageLimits
from simulator.fleet import SimConfig, SimFleet

pytestmark = pytest.mark.e2e

#: Multiply every wall-clock wait on a slow machine (as websockets' TIMEOUT_FACTOR).
FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
SPEEDUP = 20.0
FAST_MISSION = MissionTiming(min_timeout_s=0.005, max_timeout_s=0.5, max_retries=30)


@contextlib.asynccontextmanager
async def _setup(drones: int = 3, lost_after_s: float = 3.0, key: bytes | None = None, **sim_kw):
    sim_kw.setdefault("speedup", SPEEDUP)
    config = SimConfig(drones=drones, listen="udpin:127.0.0.1:0", seed=1, **sim_kw)
    async with SimFleet(config) as sim:
        link = LinkConfig(url=f"udpout:127.0.0.1:{sim.ports[0]}", signing_key=key)
        fleet = Fleet([link], lost_after_s=lost_after_s * FACTOR, mission_timing=FAST_MISSION)
        async with fleet:
            await fleet.wait_for_vehicles(drones, timeout_s=10 * FACTOR)
            yield sim, fleet


async def _mission(fleet: Fleet, sysid: int, n: int) -> list[MissionItem]:
    st = await fleet.vehicle(sysid).wait_for(lambda s: s.position is not None, 10 * FACTOR)
    assert st.position is not None
    lat, lon = round(st.position.lat_deg * 1e7), round(st.position.lon_deg * 1e7)
    home = MissionItem(seq=0, frame=0, command=16, x=lat, y=lon)
    return [home] + [
        MissionItem(
            seq=i, frame=6, command=16, x=lat + 50 * i, y=lon + 1000 * sysid, z=20.0 + sysid
        )
        for i in range(1, n)
    ]


async def test_three_vehicles_one_port_concurrent_uploads_hold_their_own():
    """Different missions uploaded at once to three vehicles on one port: each holds its own."""
    async with _setup(drones=3) as (sim, fleet):
        sim.faults.set(packet_loss_pct=5)
        ids = sorted(fleet.vehicles)
        missions = {s: await _mission(fleet, s, 30 + 10 * s) for s in ids}
        await asyncio.gather(*(fleet.vehicle(s).upload_mission(missions[s]) for s in ids))
        sim.faults.set(packet_loss_pct=0)
        for s in ids:
            got = await fleet.vehicle(s).download_mission()
            assert len(got) == len(missions[s])
            # each reads back its own items as ArduCopter stores them (frame 6 -> 3), not another's
            stored = [as_stored(i, Autopilot.ARDUPILOT) for i in missions[s]]
            assert got[1].frame == 3
            assert all(same_as(a, b) for a, b in zip(stored[1:], got[1:], strict=True))
            held = sim.vehicles[s].autopilot.mission.items[0]
            assert len(held) == len(missions[s])
            assert all(same_as(a, b) for a, b in zip(stored[1:], held[1:], strict=True))


@pytest.mark.parametrize(("loss_pct", "count", "tries"), [(0, 700, 1), (10, 300, 1), (30, 40, 3)])
async def test_long_mission_uploads_and_verifies_under_loss(loss_pct, count, tries):
    """A 700-item mission uploads and verifies; 300 items at 10 % packet loss, 40 at 30 %.

    The vehicle asks for each item and re-requests what it misses, as ArduPilot does; the
    station also resends the item it last sent on its own short timer, so a loss costs about a
    round trip, not the vehicle's re-request period. Each copy of an item the vehicle already
    holds arrives twice: about one copy for every two items at 30 % loss, never one per item.
    On a vehicle with room for 700 (ArduCopter SITL's storage holds 650 items).
    ArduPilot cancels an upload after 8 s without progress; should that happen the pilot
    uploads again (here up to 3 times).
    """
    room = StorageLimits(mission_bytes=4 + 15 * 700)
    async with _setup(drones=1, storage=room) as (sim, fleet):
        (sysid,) = fleet.vehicles
        items = await _mission(fleet, sysid, count)
        sim.faults.set(packet_loss_pct=loss_pct)
        progress: list[int] = []
        for attempt in range(tries):
            try:
                await fleet.vehicle(sysid).upload_mission(
                    items, progress=lambda done, total: progress.append(done), verify=True
                )
                break
            except MissionUploadError as exc:
                if exc.result_name != "OPERATION_CANCELLED" or attempt == tries - 1:
                    raise
        assert progress[-1] == count
        assert len(sim.vehicles[sysid].autopilot.mission.items[0]) == count
        assert sim.vehicles[sysid].autopilot.mission.duplicates < count


async def test_link_cut_lost_then_regained_with_fresh_telemetry():
    """A 20 s simulated cut: lost, regained with streams re-requested; others obey meanwhile."""
    async with _setup(drones=3, lost_after_s=0.4) as (sim, fleet):
        events = fleet.events()
        v2 = fleet.vehicle(2)
        await asyncio.sleep(0.3 * FACTOR)
        assert v2.stream_requests == 1
        sim.faults.cut_link(2, 20.0)  # 1 s of wall time at 20x
        seen = []
        async with asyncio.timeout(10 * FACTOR):
            async for ev in events:
                if ev.sysid != 2 or ev.kind not in ("lost", "regained"):
                    continue
                seen.append(ev.kind)
                if ev.kind == "lost":
                    assert v2.state.link.status == "lost"
                    await fleet.vehicle(1).set_mode("GUIDED")
                    await fleet.vehicle(3).arm()
                    assert sim.vehicles[3].state.armed  # (auto-disarms on the ground later)
                else:
                    break
        assert seen == ["lost", "regained"]
        assert sim.vehicles[1].state.mode == "GUIDED"
        before = v2.frames_in
        await asyncio.sleep(0.5 * FACTOR)
        assert v2.stream_requests == 2
        assert v2.frames_in > before + 10
        st = v2.state
        assert st.link.status != "lost"
        assert st.link.last_heard_s < 0.3 * FACTOR
        assert st.position is not None


async def test_arm_without_gps_fix_raises_typed_error_with_reason():
    """Arming without a GPS fix raises the typed refusal carrying the PreArm reason."""
    async with _setup(drones=2) as (sim, fleet):
        sim.faults.gps_loss(1, 600.0)
        await fleet.vehicle(1).wait_for(lambda s: s.gps_fix < 3, 5 * FACTOR)
        with pytest.raises((CommandRejected, CommandDenied)) as info:
            await fleet.vehicle(1).arm()
        assert "PreArm" in info.value.reason
        assert info.value.command == 400
        await fleet.vehicle(2).arm()  # the other vehicle is fine


async def test_signing_unsigned_station_refused_signed_station_accepted():
    """A keyed vehicle ignores an unsigned station's command and obeys the signed station."""
    key = key_from_passphrase("longyou eco-police")
    async with _setup(drones=1, signing_key=key) as (sim, fleet):
        with pytest.raises(CommandTimeout):
            await fleet.vehicle(1).arm()
        assert not sim.vehicles[1].state.armed
    async with _setup(drones=1, key=key, signing_key=key) as (sim, fleet):
        await fleet.vehicle(1).arm()
        assert sim.vehicles[1].state.armed
        assert fleet.links[0].counters.signed_ok > 0


async def test_garbage_and_unknown_systems_counted_without_crash():
    """Random and truncated bytes, bad CRCs and unknown systems are counted; the link carries on."""
    async with Fleet([LinkConfig(url="udpin:127.0.0.1:0")], mission_timing=FAST_MISSION) as fleet:
        link = fleet.links[0]
        host, port = link.local_address
        config = SimConfig(drones=1, listen=None, connect=f"udpout:{host}:{port}", speedup=SPEEDUP)
        async with SimFleet(config):
            await fleet.wait_for_vehicles(1, timeout_s=10 * FACTOR)
            rng = random.Random(3)
            stranger = Encoder(99, 1)
            msg = stranger.mav.global_position_int_encode(0, 1, 2, 3, 4, 5, 6, 7, 8)
            frame = stranger.encode(msg)
            bad_crc = bytearray(frame)
            bad_crc[-1] ^= 0x55
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for payload in [rng.randbytes(300), frame[:7], bytes(bad_crc), frame]:
                    s.sendto(payload, (host, port))
            await asyncio.sleep(0.3 * FACTOR)
            stats = link.decode_stats()
            assert stats.errors >= 3
            assert stats.bad_crc >= 1
            assert link.counters.unknown_system_frames >= 1
            assert 99 not in fleet.vehicles
            (sysid,) = fleet.vehicles
            await fleet.vehicle(sysid).arm()


async def test_high_level_commands_fly_a_short_patrol():
    """Takeoff, goto, speed, a mission with item-reached events, pause/resume and RTL all work."""
    async with _setup(drones=1) as (sim, fleet):
        v = fleet.vehicle(1)
        events = fleet.events()
        home = (await v.wait_for(lambda s: s.position is not None and s.gps_fix >= 3, 10)).position
        await v.set_mode("GUIDED")
        await v.arm()
        await v.takeoff(10.0)
        await v.wait_for(lambda s: s.position.alt_rel_m > 9.0, 20 * FACTOR)
        await v.change_speed(8.0)
        await v.goto(home.lat_deg + 0.0003, home.lon_deg, 12.0)
        await v.wait_for(lambda s: abs(s.position.lat_deg - home.lat_deg - 0.0003) < 2e-5, 20)
        items = await _mission(fleet, 1, 4)
        await v.upload_mission(items)
        await v.start_mission()
        await v.wait_for(lambda s: s.mode == "AUTO", 5 * FACTOR)
        await v.pause()
        await v.resume()
        reached = []
        async with asyncio.timeout(30 * FACTOR):
            async for ev in events:
                if ev.kind == "mission_item_reached":
                    reached.append(ev.seq)
                    if ev.seq == 3:
                        break
        assert reached[-1] == 3
        await v.rtl()
        st = await v.wait_for(lambda s: s.mode == "RTL", 5 * FACTOR)
        assert st.armed
        assert sim.vehicles[1].state.mode == "RTL"


async def test_tcp_link_and_two_links_at_once():
    """A TCP link and a UDP link in one fleet: vehicles from both appear and obey."""
    tcp_sim = SimConfig(drones=1, listen="tcpin:127.0.0.1:0", speedup=SPEEDUP, first_sysid=5)
    udp_sim = SimConfig(drones=1, listen="udpin:127.0.0.1:0", speedup=SPEEDUP, first_sysid=7)
    async with SimFleet(tcp_sim) as a, SimFleet(udp_sim) as b:
        links = [
            LinkConfig(url=f"tcp:127.0.0.1:{a.ports[0]}"),
            LinkConfig(url=f"udpout:127.0.0.1:{b.ports[0]}"),
        ]
        async with Fleet(links) as fleet:
            assert await fleet.wait_for_vehicles(2, timeout_s=10 * FACTOR) == [5, 7]
            await fleet.vehicle(5).arm()
            await fleet.vehicle(7).arm()
            assert a.vehicles[5].state.armed
            assert b.vehicles[7].state.armed


async def test_twenty_vehicles_on_one_port_all_tracked_and_commandable():
    """Twenty vehicles on one port: all appear, all arm and take their own mission at once."""
    config = SimConfig(drones=20, listen="udpin:127.0.0.1:0", speedup=5.0, seed=2)
    async with SimFleet(config) as sim:
        link = LinkConfig(url=f"udpout:127.0.0.1:{sim.ports[0]}")
        async with Fleet([link], mission_timing=FAST_MISSION) as fleet:
            ids = await fleet.wait_for_vehicles(20, timeout_s=20 * FACTOR)
            assert ids == list(range(1, 21))
            await asyncio.gather(*(fleet.vehicle(s).arm() for s in ids))
            missions = {s: await _mission(fleet, s, 12) for s in ids}
            await asyncio.gather(*(fleet.vehicle(s).upload_mission(missions[s]) for s in ids))
            for s in ids:
                held = sim.vehicles[s].autopilot.mission.items[0]
                assert [(i.x, i.y) for i in held[1:]] == [(i.x, i.y) for i in missions[s][1:]]
            assert all(fleet.vehicle(s).state.link.status != "lost" for s in ids)
