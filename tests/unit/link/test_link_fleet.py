"""Fleet on loopback UDP against FakeAutopilot vehicles (the link's own test double)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import replace

import pytest

from groundstation.errors import (
    CommandRejected,
    CommandTimeout,
    CommandUnsupported,
    InvalidLinkUrl,
    LinkError,
    MissionTimeout,
    MissionUploadError,
    MissionVerifyError,
    UnknownMode,
    UnknownVehicle,
)
from groundstation.link import CommandTiming, Fleet, LinkConfig, MissionTiming
from groundstation.link.handle import DEFAULT_STREAMS_HZ, OPTIONAL_STREAMS_HZ
from groundstation.link.signing import SigningConfig, key_from_passphrase
from groundstation.link.stored_form import Autopilot, as_stored
from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint
from groundstation.link.tlog import read_tlog
from routes.mission import MissionItem

FAST_CMD = CommandTiming(ack_timeout_s=0.2, retries=3, in_progress_timeout_s=1.0)
FAST_MISSION = MissionTiming(
    min_timeout_s=0.005, max_timeout_s=0.3, max_retries=30, item_resend_s=0.3
)


def _fleet(**kw) -> Fleet:
    kw.setdefault("lost_after_s", 1.0)
    return Fleet(
        [LinkConfig(url="udpin:127.0.0.1:0", signing_key=kw.pop("key", None),
                    reject_unsigned=kw.pop("reject", False))],
        command_timing=FAST_CMD,
        mission_timing=FAST_MISSION,
        **kw,
    )  # fmt: skip


def _mission(n: int, sysid: int) -> list[MissionItem]:
    return [
        MissionItem(
            seq=i, frame=6, command=16, x=290500000 + 10 * i, y=1191700000 + sysid, z=30.0 + i
        )
        for i in range(n)
    ]


@contextlib.asynccontextmanager
async def _vehicles(fleet: Fleet, *autopilots: FakeAutopilot):
    addr = fleet.links[0].local_address
    async with contextlib.AsyncExitStack() as stack:
        eps = [await stack.enter_async_context(FakeVehicleEndpoint(a, addr)) for a in autopilots]
        await fleet.wait_for_vehicles(len(autopilots), timeout_s=5)
        yield eps


async def test_vehicles_appear_with_state_and_streams_requested():
    """Each vehicle appears on its heartbeat, its state fills in and streams are requested."""
    async with _fleet() as fleet, _vehicles(fleet, FakeAutopilot(2), FakeAutopilot(3)):
        v = fleet.vehicle(2)
        st = await v.wait_for(lambda s: s.position is not None and s.battery_pct is not None, 5)
        assert st.position is not None
        assert st.position.lat_deg == pytest.approx(29.05)
        assert st.position.alt_rel_m == pytest.approx(10.0)
        assert st.battery_pct == 87
        assert st.satellites == 12
        assert st.gps_fix == 3
        assert st.autopilot == "ArduPilot"
        assert st.mode == "STABILIZE"
        assert sorted(fleet.vehicles) == [2, 3]
        await asyncio.sleep(0.3)
        assert v.stream_requests == 1
        assert fleet.vehicle(3).state.link.status in ("ok", "degraded")
        with pytest.raises(UnknownVehicle):
            fleet.vehicle(99)


async def test_old_autopilot_gets_request_data_stream():
    """A vehicle refusing SET_MESSAGE_INTERVAL is asked with REQUEST_DATA_STREAM instead."""
    ap = FakeAutopilot(2, legacy_streams=True)
    modern = FakeAutopilot(3)
    async with _fleet() as fleet, _vehicles(fleet, ap, modern):
        await asyncio.sleep(0.5)
    assert ap.data_stream_requests >= 1
    assert ap.commands_seen.count(511) == 1
    assert modern.data_stream_requests == 0
    assert modern.commands_seen.count(511) == len(DEFAULT_STREAMS_HZ) + len(OPTIONAL_STREAMS_HZ)


async def test_vehicle_without_wind_keeps_its_streams_and_contact_requests():
    """A vehicle refusing only the WIND stream stays on SET_MESSAGE_INTERVAL and is still asked
    for its version and home."""
    ap = FakeAutopilot(2, missing_messages=frozenset({168}))
    async with _fleet() as fleet, _vehicles(fleet, ap):
        await asyncio.sleep(0.5)
    assert ap.data_stream_requests == 0
    # (at least: an ACK late on a loaded machine makes the station send a command again)
    assert ap.commands_seen.count(511) >= len(DEFAULT_STREAMS_HZ) + len(OPTIONAL_STREAMS_HZ)
    assert ap.commands_seen.count(512) >= 2  # REQUEST_MESSAGE: AUTOPILOT_VERSION, HOME_POSITION


async def test_watch_yields_only_changes_and_cleans_up():
    """A field iterator yields on change only and unsubscribes when closed."""
    ap = FakeAutopilot(2)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        v = fleet.vehicle(2)
        modes = v.flight_modes()
        assert isinstance(modes, AsyncGenerator)  # closed below, as a reader leaving does
        assert await anext(modes) == "STABILIZE"
        await v.set_mode("LOITER")
        assert await asyncio.wait_for(anext(modes), 5) == "LOITER"
        assert v._topic.subscribers == 1
        await modes.aclose()
        assert v._topic.subscribers == 0
        positions = v.positions()
        assert isinstance(positions, AsyncGenerator)
        first = await anext(positions)
        assert first is not None
        assert first.lat_deg == pytest.approx(29.05)
        await positions.aclose()


async def test_rejected_arm_raises_typed_error_with_reason():
    """Arming without a GPS fix raises CommandRejected carrying the PreArm text."""
    async with _fleet() as fleet, _vehicles(fleet, FakeAutopilot(2, gps_fix=1)):
        with pytest.raises(CommandRejected) as info:
            await fleet.vehicle(2).arm()
        assert "Need 3D Fix" in info.value.reason
        assert info.value.result_name == "FAILED"


async def test_commands_and_modes():
    """Arm and set mode succeed and show in the next heartbeat; unknown modes are refused."""
    async with _fleet() as fleet, _vehicles(fleet, FakeAutopilot(2)):
        v = fleet.vehicle(2)
        await v.arm()
        await v.set_mode("GUIDED")
        st = await v.wait_for(lambda s: s.armed and s.mode == "GUIDED", 5)
        assert st.armed
        with pytest.raises(UnknownMode):
            await v.set_mode("WARP")
        with pytest.raises(CommandUnsupported):
            await v.commands.long(9999)


async def test_concurrent_uploads_on_one_port_stay_separate():
    """Three vehicles on one port, different missions uploaded at once: each holds only its own."""
    aps = [FakeAutopilot(s, loss=0.1, seed=s) for s in (2, 3, 4)]
    async with _fleet() as fleet, _vehicles(fleet, *aps):
        missions = {s: _mission(20 + s, s) for s in (2, 3, 4)}
        await asyncio.gather(*(fleet.vehicle(s).upload_mission(missions[s]) for s in missions))
        for ap in aps:
            assert ap.missions[0] == missions[ap.sysid]
        got = await fleet.vehicle(3).download_mission()
        assert got == missions[3]


@pytest.mark.parametrize("loss", [0.0, 0.3])
async def test_long_mission_upload_under_loss_verifies(loss):
    """A 200-item mission uploads and verifies at 0% and 30% loss each way, with progress.

    The vehicle re-requests what it misses, as ArduPilot does; the station also resends on its
    own short timer, and each copy the vehicle already holds draws an INVALID_SEQUENCE: about
    one for every two items at this loss, never as many as there are items.
    """
    seen = []
    ap = FakeAutopilot(2, loss=loss, seed=7, rerequest_s=0.02)
    async with _fleet() as fleet, _vehicles(fleet, ap) as _:
        items = _mission(200, 2)
        await fleet.vehicle(2).upload_mission(items, progress=lambda d, t: seen.append(d))
    assert seen[-1] == 200
    assert seen == sorted(seen)
    assert ap.missions[0] == items
    assert ap.invalid_sequence_acks < len(items)
    assert ap.items_float == 0


async def test_lost_final_ack_still_confirmed_by_read_back():
    """When only the final ACK is lost the upload succeeds after counting and reading back."""
    ap = FakeAutopilot(2, silent_after_upload=True, drop_final_acks=1)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        items = _mission(5, 2)
        await fleet.vehicle(2).upload_mission(items, verify=False)
    assert ap.missions[0] == items


async def test_verify_accepts_what_ardupilot_keeps_and_catches_a_real_difference():
    """A vehicle storing items as ArduPilot does verifies; one that moved an altitude does not."""
    items = [MissionItem(seq=0, frame=0, command=16, x=290500000, y=1191700000)] + [
        MissionItem(seq=i, frame=6, command=16, param2=5.0, x=290500000 + 10 * i,
                    y=1191700000, z=60.0)
        for i in range(1, 5)
    ]  # fmt: skip
    ardupilot = FakeAutopilot(2, store=lambda i: as_stored(i, Autopilot.ARDUPILOT))
    async with _fleet() as fleet, _vehicles(fleet, ardupilot):
        await fleet.vehicle(2).upload_mission(items)
    assert ardupilot.missions[0][1].frame == 3  # it did normalise
    sagged = FakeAutopilot(
        3,
        store=lambda i: replace(
            as_stored(i, Autopilot.ARDUPILOT), z=i.z - 1 if i.seq == 3 else i.z
        ),
    )
    async with _fleet() as fleet, _vehicles(fleet, sagged):
        with pytest.raises(MissionVerifyError, match=r"item 3 differs .*z 60\.0 != 59\.0"):
            await fleet.vehicle(3).upload_mission(items)


async def test_upload_refused_says_what_vehicle_holds():
    """NO_SPACE raises MissionUploadError naming the cause and the vehicle's current count."""
    ap = FakeAutopilot(2, capacity=5)
    ap.missions[0] = _mission(3, 2)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        with pytest.raises(MissionUploadError) as info:
            await fleet.vehicle(2).upload_mission(_mission(10, 2))
    assert info.value.result_name == "NO_SPACE"
    assert info.value.vehicle_count == 3
    assert "now holds 3" in str(info.value)


async def test_fence_rally_clear_and_legacy_requests():
    """Fence and rally lists are separate; clear removes them; legacy MISSION_REQUESTs are
    answered with MISSION_ITEM_INT, so positions arrive exact."""
    ap = FakeAutopilot(2, legacy_requests=True)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        v = fleet.vehicle(2)
        fence = [MissionItem(seq=i, frame=5, command=5001, param1=4, x=290500001 + i, y=1191700007)
                 for i in range(4)]  # fmt: skip
        await v.upload_mission(fence, mission_type="fence")
        assert [(i.x, i.y) for i in ap.missions[1]] == [(i.x, i.y) for i in fence]
        assert ap.items_int >= 4  # (a copy more if the station's timer beat a slow loop)
        assert ap.items_float == 0
        await v.upload_mission(_mission(2, 2), mission_type="rally")
        assert len(await v.download_mission("fence")) == 4
        assert ap.missions[2][0].mission_type == 2
        await v.clear_mission("all")
        assert await v.download_mission("fence") == []
        await v.set_current_item(1)
        assert ap.current_seq == 1


async def test_arming_refusal_reason_reassembled_from_statustext_chunks():
    """A PreArm reason longer than one STATUSTEXT arrives in chunks and is reported whole."""
    reason = (
        "PreArm: No return path or landing sequence found; check the mission for a DO_LAND_START"
    )
    ap = FakeAutopilot(2, gps_fix=0, prearm_text=reason)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        v = fleet.vehicle(2)
        with pytest.raises(CommandRejected) as info:
            await v.arm()
        assert reason in info.value.reason
        assert v.state.last_text == reason


async def test_legacy_items_only_to_a_vehicle_without_mission_int():
    """A vehicle whose AUTOPILOT_VERSION lacks MISSION_INT gets float MISSION_ITEMs."""
    ap = FakeAutopilot(2, legacy_requests=True, mission_int=False)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        v = fleet.vehicle(2)
        await v.wait_for(lambda s: v.builder.capabilities is not None, 5)
        assert not v.supports_mission_int
        await v.upload_mission(_mission(3, 2))
    assert (ap.items_int, ap.items_float) == (0, 3)


async def test_abandoned_upload_is_cancelled_on_the_vehicle():
    """An upload that times out, or whose task is cancelled, ends with MISSION_ACK(CANCELLED)."""
    ap = FakeAutopilot(2, stall_upload_after=2)
    async with _fleet() as fleet, _vehicles(fleet, ap):
        v = fleet.vehicle(2)
        with pytest.raises(MissionTimeout):
            await v.upload_mission(_mission(5, 2), mission_type="rally")
        await asyncio.sleep(0.1)
        assert ap.station_acks == [15]
        task = asyncio.create_task(v.upload_mission(_mission(5, 2)))
        await asyncio.sleep(0.2)  # two items in, the vehicle stalls
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.1)
        assert ap.station_acks == [15, 15]
        assert ap.upload_open is False


async def test_link_cut_lost_then_regained_others_commandable():
    """A silent vehicle goes lost then regained with streams re-requested; others still obey."""
    async with _fleet(lost_after_s=0.5) as fleet:
        events = fleet.events()
        async with _vehicles(fleet, FakeAutopilot(2), FakeAutopilot(3)) as (ep2, _ep3):
            await asyncio.sleep(0.3)
            ep2.cut(1.5)
            kinds = []
            async with asyncio.timeout(5):
                async for ev in events:
                    if ev.sysid == 2 and ev.kind in ("lost", "regained"):
                        kinds.append(ev.kind)
                        if ev.kind == "lost":
                            assert fleet.vehicle(2).state.link.status == "lost"
                            await fleet.vehicle(3).arm()  # another vehicle during the cut
                            with pytest.raises(CommandTimeout):
                                await fleet.vehicle(2).disarm()
                        if ev.kind == "regained":
                            break
            assert kinds == ["lost", "regained"]
            v2 = fleet.vehicle(2)
            await asyncio.sleep(0.3)
            assert v2.stream_requests == 2
            assert v2.state.link.status != "lost"
            assert v2.state.link.last_heard_s < 0.3


async def test_garbage_and_unknown_systems_counted():
    """Random bytes, truncated frames and frames from systems without a heartbeat are counted."""
    async with _fleet() as fleet, _vehicles(fleet, FakeAutopilot(2)) as (ep,):
        stranger = FakeAutopilot(77)
        ep.send_raw(b"\x00\x01garbage\xfd\x05")
        ep.send_raw(stranger.telemetry()[0])
        ep.send_raw(ep.autopilot.heartbeat()[:9])
        await asyncio.sleep(0.2)
        link = fleet.links[0]
        stats = link.decode_stats()
        assert stats.garbage_bytes > 0
        assert stats.truncated > 0
        assert link.counters.unknown_system_frames >= 1
        assert 77 not in fleet.vehicles
        await fleet.vehicle(2).arm()


async def test_signing_unsigned_station_refused_signed_accepted():
    """A keyed vehicle ignores an unsigned station and obeys the station holding the key."""
    key = key_from_passphrase("longyou patrol")
    ap = FakeAutopilot(2, signing=SigningConfig(key, reject_unsigned=True))
    async with _fleet() as plain, _vehicles(plain, ap):
        with pytest.raises(CommandTimeout):
            await plain.vehicle(2).arm()
    ap2 = FakeAutopilot(2, signing=SigningConfig(key, reject_unsigned=True))
    async with _fleet(key=key, reject=True) as signed, _vehicles(signed, ap2):
        await signed.vehicle(2).arm()
        assert signed.links[0].counters.signed_ok > 0


async def test_setup_signing_keys_an_unkeyed_vehicle():
    """SETUP_SIGNING gives the vehicle the station's key: then only signed commands work."""
    key = key_from_passphrase("longyou patrol")
    ap = FakeAutopilot(2)
    async with _fleet(key=key) as signed, _vehicles(signed, ap):
        await signed.vehicle(2).setup_signing()
        await asyncio.sleep(0.1)
        assert ap.signing is not None
        assert ap.signing.key == key
        await signed.vehicle(2).arm()
        assert ap.armed
    async with _fleet() as plain, _vehicles(plain, ap):
        with pytest.raises(CommandTimeout):
            await plain.vehicle(2).disarm()
        with pytest.raises(LinkError, match="no signing key"):
            await plain.vehicle(2).setup_signing()
    assert ap.armed


async def test_tlog_written_per_vehicle(tmp_path):
    """Frames in and out are written to one .tlog per vehicle that replays as MAVLink."""
    async with _fleet(tlog_dir=tmp_path) as fleet, _vehicles(fleet, FakeAutopilot(2)):
        await fleet.vehicle(2).arm()
        await asyncio.sleep(0.1)
    (path,) = list(tmp_path.glob("*_sys2.tlog"))
    records = list(read_tlog(path))
    assert len(records) > 5
    stamps = [t for t, _ in records]
    assert stamps == sorted(stamps)
    from groundstation.link.codec import Decoder

    dec = Decoder()
    types = {m.get_type() for _, f in records for m in dec.feed(f)}
    assert {"HEARTBEAT", "COMMAND_LONG", "COMMAND_ACK"} <= types


def test_bad_url_is_clear_error():
    """A malformed link URL raises InvalidLinkUrl naming the problem."""
    with pytest.raises(InvalidLinkUrl, match="unknown kind"):
        Fleet([LinkConfig(url="serial:/dev/ttyUSB0:57600")])
    with pytest.raises(InvalidLinkUrl, match="port"):
        Fleet([LinkConfig(url="udpin:0.0.0.0:abc")])
