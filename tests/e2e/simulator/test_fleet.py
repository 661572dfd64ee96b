"""The simulated fleet over real sockets: endpoints, routing by system id, faults, signing."""

from __future__ import annotations

import asyncio
import math
from functools import partial

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.geo import ne_offset_m
from simulator.testing import FaultControl, FaultError, ScaledClock, SimConfig, SimFleet
from tests.e2e.simulator.udp_gcs import UdpGcs

pytestmark = pytest.mark.e2e
M = mavlink2
KEY = bytes(range(1, 33))


async def test_three_vehicles_at_longyou_on_one_port() -> None:
    """`drones=3` on one UDP port: three heartbeating ArduCopter quadrotors a few metres apart."""
    async with SimFleet(SimConfig(drones=3, speedup=20)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            gcs.heartbeat()
            await gcs.wait_for(
                lambda: {m.get_srcSystem() for m in gcs.of("HEARTBEAT")} == {1, 2, 3}
            )
            hb = gcs.of("HEARTBEAT", 2)[0]
            assert (hb.type, hb.autopilot) == (M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_ARDUPILOTMEGA)
            await gcs.wait_for(lambda: all(gcs.of("GLOBAL_POSITION_INT", s) for s in (1, 2, 3)))
            pos = {s: gcs.of("GLOBAL_POSITION_INT", s)[-1] for s in (1, 2, 3)}
            for a, b in ((1, 2), (2, 3)):
                d = math.hypot(
                    *ne_offset_m(
                        pos[a].lat / 1e7, pos[a].lon / 1e7, pos[b].lat / 1e7, pos[b].lon / 1e7
                    )
                )
                assert 2 < d < 10
            assert pos[1].lat / 1e7 == pytest.approx(29.05253, abs=1e-4)
            assert pos[1].lon / 1e7 == pytest.approx(119.181841, abs=1e-4)
        finally:
            gcs.close()


async def test_commands_reach_only_their_vehicle() -> None:
    """Arming system 2 on a shared port arms 2 only; ACKs come from 2."""
    async with SimFleet(SimConfig(drones=3, speedup=20)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            gcs.heartbeat()
            await gcs.wait_for(lambda: bool(gcs.of("HEARTBEAT", 3)))
            mode_ack = await gcs.command(2, M.MAV_CMD_DO_SET_MODE, 1, 5)
            assert mode_ack.result == M.MAV_RESULT_ACCEPTED
            ack = await gcs.command(2, M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
            assert ack.result == M.MAV_RESULT_ACCEPTED
            assert [v.state.armed for v in sim.vehicles.values()] == [False, True, False]
            assert {m.get_srcSystem() for m in gcs.of("COMMAND_ACK")} == {2}
        finally:
            gcs.close()


async def test_per_vehicle_ports_carry_one_vehicle_each() -> None:
    """With per_vehicle_ports each port speaks for exactly one system id."""
    async with SimFleet(SimConfig(drones=2, speedup=20, per_vehicle_ports=True)) as sim:
        assert len(set(sim.ports)) == 2
        gcss = [await UdpGcs.open(port) for port in sim.ports]
        try:
            for g in gcss:
                g.heartbeat()
            for i, g in enumerate(gcss, 1):
                await g.wait_for(partial(lambda gcs: len(gcs.of("HEARTBEAT")) >= 2, g))
                assert {m.get_srcSystem() for m in g.received} == {i}
        finally:
            for g in gcss:
                g.close()


async def test_connect_mode_sends_to_a_listening_station() -> None:
    """With `connect=udpout:...` the vehicles talk first to a GCS listening on its port."""
    gcs = await UdpGcs.open()
    try:
        async with SimFleet(
            SimConfig(
                drones=2, listen=None, connect=f"udpout:127.0.0.1:{gcs.local_port}", speedup=20
            )
        ):
            await gcs.wait_for(lambda: {m.get_srcSystem() for m in gcs.of("HEARTBEAT")} == {1, 2})
            ack = await gcs.command(
                1, M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION
            )
            assert ack.result == M.MAV_RESULT_ACCEPTED
            await gcs.wait_for(lambda: bool(gcs.of("AUTOPILOT_VERSION", 1)))
    finally:
        gcs.close()


async def test_tcp_listen() -> None:
    """A TCP client of `tcpin:` gets telemetry and its commands are answered."""
    async with SimFleet(SimConfig(drones=1, listen="tcpin:127.0.0.1:0", speedup=20)) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.ports[0])
        gcs = UdpGcs()
        try:
            writer.write(
                gcs.mav.command_long_encode(
                    1, 1, M.MAV_CMD_GET_HOME_POSITION, 0, 0, 0, 0, 0, 0, 0, 0
                ).pack(gcs.mav)
            )
            async with asyncio.timeout(10):
                while not gcs.of("HOME_POSITION"):
                    gcs.received.extend(gcs.parser.feed(await reader.read(4096)))
        finally:
            writer.close()


async def test_link_cut_silences_one_vehicle_then_it_comes_back() -> None:
    """cut_link(2, 10 s) stops all traffic of system 2 while 1 keeps talking; then 2 resumes."""
    async with SimFleet(SimConfig(drones=2, speedup=20)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            gcs.heartbeat()
            await gcs.wait_for(lambda: bool(gcs.of("HEARTBEAT", 2)))
            sim.faults.cut_link(2, 10.0)
            # let what was already on the wire arrive: loopback UDP keeps order
            first = len(gcs.received)
            await gcs.wait_for(lambda: any(m.get_srcSystem() == 1 for m in gcs.received[first:]))
            mark = len(gcs.received)
            await gcs.wait_for(
                lambda: (
                    len(
                        [
                            m
                            for m in gcs.received[mark:]
                            if m.get_type() == "HEARTBEAT" and m.get_srcSystem() == 1
                        ]
                    )
                    >= 5
                )
            )
            assert sim.faults.blocked(2)
            assert not [m for m in gcs.received[mark:] if m.get_srcSystem() == 2]
            await gcs.wait_for(lambda: not sim.faults.blocked(2))
            mark = len(gcs.received)
            await gcs.wait_for(lambda: any(m.get_srcSystem() == 2 for m in gcs.received[mark:]))
            ack = await gcs.command(2, M.MAV_CMD_DO_SET_MODE, 1, 5)
            assert ack.result == M.MAV_RESULT_ACCEPTED
        finally:
            gcs.close()


async def test_muted_vehicle_does_not_answer_but_flies_on() -> None:
    """A muted vehicle ignores commands and sends nothing, while its clock keeps running."""
    async with SimFleet(SimConfig(drones=1, speedup=20)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            gcs.heartbeat()
            await gcs.wait_for(lambda: bool(gcs.of("HEARTBEAT")))
            sim.faults.mute(1, 30.0)
            t0 = sim.vehicles[1].state.time_s
            with pytest.raises(TimeoutError):
                await gcs.command(1, M.MAV_CMD_DO_SET_MODE, 1, 5, timeout_s=0.5)
            assert sim.vehicles[1].state.mode == "STABILIZE"
            assert sim.vehicles[1].state.time_s > t0
        finally:
            gcs.close()


async def test_packet_loss_drops_some_traffic() -> None:
    """With 40 % loss some messages are dropped both ways, but traffic still flows."""
    async with SimFleet(SimConfig(drones=1, speedup=20, packet_loss_pct=40, seed=4)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            for _ in range(20):
                gcs.heartbeat()
            await gcs.wait_for(lambda: len(gcs.of("HEARTBEAT")) >= 10)
            assert sim.faults.dropped > 0
        finally:
            gcs.close()


async def test_gps_loss_and_battery_sag_faults() -> None:
    """gps_loss reports no fix over the link; battery_sag lowers the battery; bad requests raise."""
    async with SimFleet(SimConfig(drones=1, speedup=20)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            gcs.heartbeat()
            sim.faults.gps_loss(1, 100.0)
            sim.faults.battery_sag(1, 30.0)
            await gcs.wait_for(lambda: any(m.fix_type == 0 for m in gcs.of("GPS_RAW_INT")))
            await gcs.wait_for(lambda: any(m.battery_remaining <= 70 for m in gcs.of("SYS_STATUS")))
            ack = await gcs.command(1, M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
            assert ack.result == M.MAV_RESULT_DENIED
            with pytest.raises(FaultError, match="no vehicle"):
                sim.faults.gps_loss(9, 1.0)
            with pytest.raises(FaultError, match=r"0\.\.100"):
                sim.faults.set(packet_loss_pct=120)
        finally:
            gcs.close()


async def test_signing_accepts_only_signed_commands() -> None:
    """With a key, unsigned commands are ignored, signed ones obeyed, and replies are signed."""
    async with SimFleet(SimConfig(drones=1, speedup=20, signing_key=KEY)) as sim:
        plain = await UdpGcs.open(sim.ports[0])
        signed = await UdpGcs.open(sim.ports[0], signing_key=KEY)
        try:
            plain.heartbeat()
            signed.heartbeat()
            with pytest.raises(TimeoutError):
                await plain.command(1, M.MAV_CMD_DO_SET_MODE, 1, 5, timeout_s=0.5)
            assert sim.vehicles[1].state.mode == "STABILIZE"
            ack = await signed.command(1, M.MAV_CMD_DO_SET_MODE, 1, 5)
            assert ack.result == M.MAV_RESULT_ACCEPTED
            assert all(raw[0] != 0xFD or raw[2] & M.MAVLINK_IFLAG_SIGNED for raw in signed.raw)
            assert sim.bad_frames >= 1
        finally:
            plain.close()
            signed.close()


async def test_manual_clock_is_stepped_by_hand() -> None:
    """With manual_clock the fleet only moves when advanced, in exact simulated seconds."""
    async with SimFleet(SimConfig(drones=2, manual_clock=True)) as sim:
        assert sim.vehicles[1].state.time_s == 0
        sim.advance(12.0)
        assert sim.vehicles[2].state.time_s == pytest.approx(12.0)


def test_bad_config_is_refused_clearly() -> None:
    """Impossible configurations raise with a message naming the problem."""
    with pytest.raises(ValueError, match="listen / connect"):
        SimFleet(SimConfig(listen=None, connect=None))
    with pytest.raises(ValueError, match="32 bytes"):
        SimFleet(SimConfig(signing_key=b"short"))
    with pytest.raises(ValueError, match="KIND:HOST:PORT"):
        SimFleet(SimConfig(listen="udp-somewhere"))


def test_clock_slips_instead_of_piling_up_work() -> None:
    """If wall time jumps far ahead (overloaded CPU), one step catches up only a bounded slice."""
    wall = [100.0]
    sim = SimFleet(SimConfig(drones=1, speedup=10))
    sim.clock = ScaledClock(10, source=lambda: wall[0])
    sim.faults = FaultControl(sim.clock, sim.vehicles)
    wall[0] += 60.0  # a minute of wall time lost: 600 simulated seconds owed
    sim.step()
    assert sim.vehicles[1].state.time_s == pytest.approx(10.0, abs=0.11)
    assert sim.slipped_s == pytest.approx(590.0, abs=0.1)


async def test_tcp_connect_to_a_station() -> None:
    """With `connect=tcp:HOST:PORT` the fleet dials a TCP ground station and streams to it."""
    got = asyncio.Event()
    gcs = UdpGcs()

    async def station(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(4096):
            gcs.received.extend(gcs.parser.feed(data))
            if {m.get_srcSystem() for m in gcs.of("HEARTBEAT")} == {1, 2}:
                got.set()
        writer.close()

    server = await asyncio.start_server(station, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with SimFleet(
            SimConfig(drones=2, listen=None, connect=f"tcp:127.0.0.1:{port}", speedup=20)
        ):
            await asyncio.wait_for(got.wait(), 10)
    finally:
        server.close()


async def test_latency_delays_but_delivers() -> None:
    """With added latency commands are still answered, and nothing is left pending on exit."""
    async with SimFleet(SimConfig(drones=1, speedup=10, latency_ms=300)) as sim:
        gcs = await UdpGcs.open(sim.ports[0])
        try:
            gcs.heartbeat()
            ack = await gcs.command(1, M.MAV_CMD_DO_SET_MODE, 1, 5)
            assert ack.result == M.MAV_RESULT_ACCEPTED
            assert sim.faults.latency_ms == 300
        finally:
            gcs.close()
    assert not sim._pending


async def test_setup_signing_from_the_station() -> None:
    """SETUP_SIGNING turns signing on for that vehicle only, and a zero key turns it off again."""
    async with SimFleet(SimConfig(drones=2, speedup=20)) as sim:
        plain = await UdpGcs.open(sim.ports[0])
        signed = await UdpGcs.open(sim.ports[0], signing_key=KEY)
        try:
            plain.heartbeat()
            signed.heartbeat()
            await plain.wait_for(lambda: bool(plain.of("HEARTBEAT", 2)))
            ts = signed.mav.signing.timestamp
            plain.send(plain.mav.setup_signing_encode(1, 1, list(KEY), ts))
            await plain.wait_for(lambda: sim.vehicles[1].signing.enabled)
            with pytest.raises(TimeoutError):
                await plain.command(1, M.MAV_CMD_DO_SET_MODE, 1, 5, timeout_s=0.5)
            assert (await plain.command(2, M.MAV_CMD_DO_SET_MODE, 1, 5)).result == 0
            assert (await signed.command(1, M.MAV_CMD_DO_SET_MODE, 1, 5)).result == 0
            mark = len(signed.raw)
            await signed.wait_for(lambda: len(signed.raw) > mark + 5)
            assert sim.vehicles[1].encoder.mav.signing.sign_outgoing
            signed.send(signed.mav.setup_signing_encode(1, 1, [0] * 32, 0))
            await plain.wait_for(lambda: not sim.vehicles[1].signing.enabled)
            assert (await plain.command(1, M.MAV_CMD_DO_SET_MODE, 1, 4)).result == 0
        finally:
            plain.close()
            signed.close()


async def test_wait_for_on_both_clocks() -> None:
    """`wait_for` advances a manual clock or waits on the scaled one, and times out clearly."""
    async with SimFleet(SimConfig(drones=1, manual_clock=True)) as sim:
        ap = sim.vehicles[1].autopilot
        assert ap.set_mode(4) is None
        assert ap.arm() is None
        assert ap.guided_takeoff(10) is None
        t = await sim.wait_for(lambda: sim.vehicles[1].state.alt_rel_m > 9.5, timeout_s=60)
        assert 3 < t < 15
        with pytest.raises(TimeoutError, match="simulated seconds"):
            await sim.wait_for(lambda: False, timeout_s=2)
    async with SimFleet(SimConfig(drones=1, speedup=50)) as sim:
        t = await sim.wait_for(lambda: sim.vehicles[1].state.time_s >= 5, timeout_s=30)
        assert t >= 5


def test_vehicles_can_start_at_different_sites() -> None:
    """`homes` puts each vehicle at its own launch point; a wrong count is refused."""
    sites = ((29.05253, 119.181841, 40.0), (29.0612, 119.1950, 38.0))
    sim = SimFleet(SimConfig(drones=2, manual_clock=True, homes=sites))
    assert sim.vehicles[2].state.home == sites[1]
    assert sim.vehicles[2].state.lat_deg == pytest.approx(sites[1][0])
    with pytest.raises(ValueError, match="2 given for 3 drones"):
        SimFleet(SimConfig(drones=3, homes=sites))
