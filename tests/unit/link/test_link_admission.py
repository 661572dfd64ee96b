"""The link trusts no sender by its claim: unknown systems, spoofed addresses, signatures, replay.

Loopback UDP against FakeAutopilot vehicles; a spoofer is a second FakeAutopilot with the real
vehicle's system id on another UDP port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest

from groundstation.errors import CommandTimeout, LinkTimeout, UnknownVehicle, VehicleHeld
from groundstation.link import CommandTiming, Fleet, LinkConfig, MissionTiming
from groundstation.link.admission import Admission
from groundstation.link.signing import SignatureVerifier, Verdict, hkdf_sha256, vehicle_key
from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint
from routes.mission import MissionItem

FAST_CMD = CommandTiming(ack_timeout_s=0.2, retries=3, in_progress_timeout_s=1.0)
FAST_MISSION = MissionTiming(min_timeout_s=0.005, max_timeout_s=0.3, max_retries=30)
STATION_KEY = bytes(range(32))


def _fleet(admission: Admission | None = None) -> Fleet:
    return Fleet(
        [LinkConfig(url="udpin:127.0.0.1:0")],
        lost_after_s=1.0,
        command_timing=FAST_CMD,
        mission_timing=FAST_MISSION,
        admission=admission,
    )


def _items(n: int) -> list[MissionItem]:
    return [MissionItem(seq=i, frame=6, command=16, x=290500000 + i, y=1191700000, z=30.0)
            for i in range(n)]  # fmt: skip


@contextlib.asynccontextmanager
async def _endpoint(fleet: Fleet, autopilot: FakeAutopilot):
    async with FakeVehicleEndpoint(autopilot, fleet.links[0].local_address) as ep:
        yield ep


async def _until(predicate, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 (polling link state is the point)
            await asyncio.sleep(0.02)


def test_hkdf_matches_rfc5869_test_case_1():
    okm = hkdf_sha256(bytes([0x0B] * 22), bytes(range(0xF0, 0xFA)), 42, bytes(range(13)))
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_vehicle_keys_differ_per_vehicle_and_generation():
    keys = {vehicle_key(STATION_KEY, s, g) for s in (1, 2, 3) for g in (1, 2)}
    assert len(keys) == 6
    assert STATION_KEY not in keys


async def test_unknown_heartbeats_are_listed_not_admitted_until_accepted():
    """On a closed fleet an unknown system is only 'heard'; accepted, it becomes a vehicle."""
    fleet = _fleet(Admission(open_fleet=False))
    events = []
    async with fleet, _endpoint(fleet, FakeAutopilot(7)):

        async def collect():
            async for ev in fleet.events():
                events.append(ev)

        task = asyncio.create_task(collect())
        await _until(lambda: 7 in fleet.heard)
        assert 7 not in fleet.vehicles
        with pytest.raises(UnknownVehicle):
            fleet.vehicle(7)
        await _until(lambda: fleet.heard[7].heartbeats >= 2)
        assert [e.kind for e in events].count("unknown_heard") == 1
        fleet.accept(7)
        assert 7 in fleet.vehicles
        assert 7 not in fleet.heard
        await fleet.vehicle(7).arm()
        task.cancel()


async def test_spoofer_on_open_fleet_gets_no_command_and_raises_an_address_change():
    """A second sender with drone 2's system id: its frames are dropped, commands to drone 2
    are held (VehicleHeld) until the pilot refuses the new address; then the real drone obeys
    and the spoofer never saw a command or a mission item."""
    real, spoof = FakeAutopilot(2), FakeAutopilot(2, seed=9)
    fleet = _fleet()
    async with fleet, _endpoint(fleet, real):
        await fleet.wait_for_vehicles(1, 5)
        address = fleet.vehicle(2).peer
        async with _endpoint(fleet, spoof):
            await _until(lambda: fleet.security(2)["held"])
            status = fleet.security(2)
            assert status["address"] == f"{address[0]}:{address[1]}"
            assert status["pending_address"] != status["address"]
            assert status["dropped"]["foreign_address"] >= 1
            with pytest.raises(VehicleHeld, match="confirm or refuse"):
                await fleet.vehicle(2).arm()
            with pytest.raises(VehicleHeld):
                await fleet.vehicle(2).upload_mission(_items(3), "mission")
            assert fleet.vehicle(2).peer == address
            fleet.settle_address(2, accept=False)
            await fleet.vehicle(2).arm()
            await fleet.vehicle(2).upload_mission(_items(3), "mission")
            await asyncio.sleep(0.3)  # the spoofer keeps sending: refused without a new hold
            assert not fleet.security(2)["held"]
        assert real.armed
        assert len(real.missions[0]) == 3
        assert spoof.commands_seen == []
        assert spoof.missions == {}
        assert fleet.vehicle(2).peer == address


async def test_address_rebinds_only_after_the_old_one_is_silent():
    """A vehicle that really moves (old address silent for rebind_after_s) is followed."""
    first, moved = FakeAutopilot(2), FakeAutopilot(2)
    fleet = _fleet(Admission(rebind_after_s=0.5))
    async with fleet:
        async with _endpoint(fleet, first):
            await fleet.wait_for_vehicles(1, 5)
            old = fleet.vehicle(2).peer
        async with _endpoint(fleet, moved):
            await _until(lambda: fleet.vehicle(2).peer != old)
            await fleet.vehicle(2).arm()
        assert moved.armed
        assert not first.armed


async def test_pilot_confirms_a_new_address():
    real, other = FakeAutopilot(2), FakeAutopilot(2)
    fleet = _fleet()
    async with fleet, _endpoint(fleet, real), _endpoint(fleet, other):
        await _until(lambda: 2 in fleet.vehicles and fleet.security(2)["held"])
        new = fleet.security(2)["pending_address"]
        bound = fleet.settle_address(2, accept=True)
        assert f"{bound[0]}:{bound[1]}" == new


async def test_enrolled_vehicle_signs_spoofer_dropped_without_hold():
    """After SETUP_SIGNING with its own key, the vehicle's frames are signed; a spoofer's
    unsigned frames are dropped and counted, raise no hold, and commands still reach the
    real vehicle only."""
    real, spoof = FakeAutopilot(2), FakeAutopilot(2, seed=9)
    fleet = _fleet(Admission(open_fleet=False, require_signing=True, accepted=[2]))
    key = vehicle_key(STATION_KEY, 2, 1)
    async with fleet, _endpoint(fleet, real):
        await fleet.wait_for_vehicles(1, 5)
        with pytest.raises(VehicleHeld, match="not enrolled"):
            await fleet.vehicle(2).arm()
        await fleet.set_vehicle_key(2, key)
        assert real.signing is not None
        assert real.signing.key == key
        await fleet.vehicle(2).arm()
        async with _endpoint(fleet, spoof):
            await _until(lambda: fleet.security(2)["dropped"]["unsigned"] >= 3)
            assert not fleet.security(2)["held"]
            await fleet.vehicle(2).disarm()
        assert spoof.commands_seen == []
        assert not real.armed
        assert fleet.security(2)["signed"] is True


async def test_rotation_switches_to_the_new_key():
    real = FakeAutopilot(2)
    fleet = _fleet(Admission(open_fleet=False, accepted=[2]))
    async with fleet, _endpoint(fleet, real):
        await fleet.wait_for_vehicles(1, 5)
        await fleet.set_vehicle_key(2, vehicle_key(STATION_KEY, 2, 1))
        await fleet.set_vehicle_key(2, vehicle_key(STATION_KEY, 2, 2))
        assert real.signing is not None
        assert real.signing.key == vehicle_key(STATION_KEY, 2, 2)
        await fleet.vehicle(2).arm()


async def test_vehicle_that_cannot_sign_keeps_no_key():
    """A vehicle that ignores SETUP_SIGNING: enrolment times out and the old (no) key stays."""

    class NoSigning(FakeAutopilot):
        def _handle(self, msg):
            return [] if msg.get_type() == "SETUP_SIGNING" else super()._handle(msg)

    fleet = _fleet(Admission(open_fleet=False, accepted=[2]))
    async with fleet, _endpoint(fleet, NoSigning(2)):
        await fleet.wait_for_vehicles(1, 5)
        with pytest.raises(LinkTimeout, match="keeps its old key"):
            await fleet.set_vehicle_key(2, vehicle_key(STATION_KEY, 2, 1), timeout_s=0.6)
        assert fleet.admission.key_of(2) is None
        await fleet.vehicle(2).arm()


async def test_replayed_signed_frame_is_dropped():
    """A signed frame sent again (same timestamp) is dropped and counted as replayed."""
    real = FakeAutopilot(2)
    fleet = _fleet(Admission(open_fleet=False, accepted=[2]))
    async with fleet, _endpoint(fleet, real) as ep:
        await fleet.wait_for_vehicles(1, 5)
        await fleet.set_vehicle_key(2, vehicle_key(STATION_KEY, 2, 1))
        frame = real.heartbeat()
        ep.send_raw(frame)
        await asyncio.sleep(0.1)
        before = fleet.security(2)["dropped"]["replayed"]
        ep.send_raw(frame)  # from the vehicle's own address: only the timestamp gives it away
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:  # and from elsewhere
            other.sendto(frame, fleet.links[0].local_address)
        await _until(lambda: fleet.security(2)["dropped"]["replayed"] >= before + 2)
        assert not fleet.security(2)["held"]


def test_verifier_does_not_let_a_forged_future_timestamp_lock_the_stream():
    """pymavlink moves a stream's timestamp before checking the signature; we do not."""
    key = vehicle_key(STATION_KEY, 2, 1)
    ap = FakeAutopilot(2)
    from groundstation.link.signing import SigningConfig

    SigningConfig(key).apply(ap.encoder.mav, outgoing=True)
    good = ap.heartbeat()
    forged = bytearray(good)
    forged[-12:-6] = (2**47).to_bytes(6, "little")
    verifier = SignatureVerifier()
    assert verifier.check(bytes(forged), 0, [key])[0] is Verdict.BAD_SIGNATURE
    assert verifier.check(good, 0, [key]) == (Verdict.OK, 0)
    assert verifier.check(good, 0, [key])[0] is Verdict.REPLAYED


async def test_unsigned_command_ack_from_elsewhere_does_not_confirm_a_command():
    """ACK frames alone (spoofed, from another port) do not make a command 'accepted'."""

    class Mute(FakeAutopilot):
        def _handle(self, msg):
            return [] if msg.get_type() == "COMMAND_LONG" else super()._handle(msg)

    fleet = _fleet()
    async with fleet, _endpoint(fleet, Mute(2)):
        await fleet.wait_for_vehicles(1, 5)
        spoof = FakeAutopilot(2)
        ack = spoof.encoder.encode(spoof.mav.command_ack_encode(400, 0, 0, 0, 255, 190))

        async def flood():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                while True:
                    s.sendto(ack, fleet.links[0].local_address)
                    await asyncio.sleep(0.01)

        task = asyncio.create_task(flood())
        try:
            with pytest.raises((CommandTimeout, VehicleHeld)):
                await fleet.vehicle(2).arm()
        finally:
            task.cancel()
