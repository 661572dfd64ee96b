"""Small pure parts of the link: health, modes, items, URLs, state builder, tlog, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from groundstation.errors import InvalidLinkUrl, UnknownMode
from groundstation.link.codec import Encoder
from groundstation.link.fleet import EventBus, FleetEvent
from groundstation.link.health import HealthTracker
from groundstation.link.items import mission_type_code, same_as, to_wire
from groundstation.link.modes import (
    AUTOPILOT_ARDUPILOT,
    AUTOPILOT_PX4,
    mode_name,
    px4_custom_mode,
    set_mode_params,
)
from groundstation.link.tlog import TlogWriter, read_tlog
from groundstation.link.transport import parse_url
from groundstation.link.vehicle import StateBuilder
from routes.mission import MissionItem

VEH = Encoder(5, 1).mav


def test_health_loss_from_gaps_and_lost_regained():
    """Sequence gaps count as loss, silence past the limit is lost once, a frame regains."""
    h = HealthTracker(lost_after_s=2.0)
    for seq in (250, 251, 252, 255, 0, 1):  # wraps; 253, 254 missing
        assert not h.on_frame(1, seq, now=100.0)
    snap = h.snapshot(100.5)
    assert (snap.received, snap.lost) == (6, 2)
    assert snap.status == "degraded"
    assert not h.check_lost(101.9)
    assert h.check_lost(102.1)
    assert not h.check_lost(103.0)  # only the transition
    assert h.snapshot(103.0).status == "lost"
    assert h.on_frame(1, 40, now=103.5)  # regained; gap across outage not counted
    assert h.lost == 2


def test_health_separate_streams_and_reorder():
    """Each component has its own seq stream; a backwards jump is reordering, not loss."""
    h = HealthTracker(lost_after_s=2.0)
    for compid, seq in ((1, 10), (100, 50), (1, 11), (100, 51), (1, 9)):
        h.on_frame(compid, seq, now=5.0)
    assert h.lost == 0
    with pytest.raises(ValueError):
        HealthTracker(lost_after_s=0)


def test_modes_round_trip_both_autopilots():
    """Mode names map to each autopilot's numbers and back."""
    assert mode_name(AUTOPILOT_ARDUPILOT, 6) == "RTL"
    assert set_mode_params(AUTOPILOT_ARDUPILOT, "guided") == (1.0, 4.0, 0.0)
    p = set_mode_params(AUTOPILOT_PX4, "RTL")
    assert mode_name(AUTOPILOT_PX4, px4_custom_mode(int(p[1]), int(p[2]))) == "RTL"
    assert mode_name(AUTOPILOT_ARDUPILOT, 99) == "MODE_99"
    with pytest.raises(UnknownMode, match="known"):
        set_mode_params(AUTOPILOT_PX4, "SMART_RTL")


def test_urls():
    """pymavlink-style URLs parse; bad ones name the problem."""
    assert parse_url("udp:0.0.0.0:14550").kind == "udpin"
    assert parse_url("udpout://127.0.0.1:14551").port == 14551
    for bad, why in [("udpin:1.2.3.4", "KIND:HOST:PORT"), ("tcp:h:0", "port 0"),
                     ("udpin:h:70000", "out of range"), ("udpin::5", "missing host")]:  # fmt: skip
        with pytest.raises(InvalidLinkUrl, match=why):
            parse_url(bad)


def test_items_conversion_and_types():
    """Items with mission-item attributes convert with renumbered seq; unknown types are refused."""

    class RouteItem:  # duck-typed: anything with MISSION_ITEM_INT attributes
        seq, frame, command, current, autocontinue = 7, 3, 16, 0, 1
        param1 = param2 = param3 = param4 = 0.0
        x, y, z, mission_type = 290000000, 1190000000, 50.0, 0

    wire = to_wire(RouteItem(), seq=0, mission_type=1)
    assert (wire.seq, wire.mission_type, wire.x) == (0, 1, 290000000)
    assert same_as(
        wire,
        MissionItem(
            seq=0, frame=3, command=16, x=290000000, y=1190000000, z=50.0000001, mission_type=1
        ),
    )
    with pytest.raises(ValueError, match="unknown mission type"):
        mission_type_code("geofence")


def test_state_builder_fields():
    """Telemetry messages fill the snapshot with unit-named fields."""
    b = StateBuilder(5, 1)
    b.apply(VEH.heartbeat_encode(2, 3, 1 | 128, 3, 4))
    b.apply(
        VEH.global_position_int_encode(
            0, 290512345, 1191701234, 120_500, 40_250, 300, 400, -100, 27000
        )
    )
    b.apply(VEH.extended_sys_state_encode(0, 2))
    b.apply(VEH.home_position_encode(290500000, 1191700000, 80_000, 0, 0, 0, [1, 0, 0, 0], 0, 0, 0))
    b.statustext("Mission: 3 WP")
    from groundstation.link.health import LinkHealth

    st = b.build(LinkHealth())
    assert st.mode == "AUTO"
    assert st.armed
    assert st.position is not None
    assert st.position.alt_rel_m == pytest.approx(40.25)
    assert st.position.alt_msl_m == pytest.approx(120.5)
    assert st.speed_m_s == pytest.approx(5.0)
    assert st.heading_deg == 270.0
    assert st.climb_m_s == 1.0
    assert st.landed_state == "in_air"
    assert st.home is not None
    assert st.home.alt_msl_m == 80.0
    assert st.last_text == "Mission: 3 WP"
    with pytest.raises(AttributeError):
        st.mode = "RTL"  # type: ignore[misc]  # frozen: what this line tests


def test_tlog_records_are_big_endian_microseconds(tmp_path):
    """Each record is an 8-byte big-endian µs stamp and the raw frame; files are per vehicle."""
    enc = Encoder(5, 1)
    frame = enc.encode(enc.mav.heartbeat_encode(2, 3, 1, 0, 4))
    logs = TlogWriter(tmp_path)
    logs.write(5, frame, unix_s=1_700_000_000.25)
    logs.write(6, frame, unix_s=1_700_000_000.5)
    logs.close()
    path = tmp_path / "2023-11-14_sys5.tlog"
    raw = path.read_bytes()
    assert int.from_bytes(raw[:8], "big") == 1_700_000_000_250_000
    assert raw[8:] == frame
    assert list(read_tlog(path)) == [(1_700_000_000_250_000, frame)]
    (tmp_path / "bad.tlog").write_bytes(raw[:8] + b"\x00\x01\x02")
    with pytest.raises(ValueError, match="unreadable"):
        list(read_tlog(tmp_path / "bad.tlog"))


async def test_event_bus_drops_oldest_for_slow_reader():
    """A reader that falls behind loses the oldest events, never blocks the publisher."""
    bus = EventBus(maxsize=3)
    it = bus.subscribe()
    assert isinstance(it, AsyncGenerator)  # closed below, as a reader leaving does
    first = asyncio.ensure_future(anext(it))
    await asyncio.sleep(0)  # subscribed and waiting
    for i in range(6):
        bus.publish(FleetEvent("statustext", 1, 0.0, text=str(i)))
    got = [(await first).text] + [(await anext(it)).text for _ in range(2)]
    assert got == ["3", "4", "5"]
    assert bus.dropped == 3
    await it.aclose()


def test_other_components_do_not_overwrite_vehicle_state():
    """A camera's heartbeat from the same system counts for health but not for mode or armed."""
    from groundstation.link import Fleet, LinkConfig

    fleet = Fleet([LinkConfig(url="udpin:127.0.0.1:0")])
    link = fleet.links[0]
    autopilot, camera = Encoder(5, 1), Encoder(5, 100)
    peer = ("127.0.0.1", 14555)
    link._on_data(autopilot.encode(autopilot.mav.heartbeat_encode(2, 3, 129, 4, 4)), peer, True)
    link._on_data(camera.encode(camera.mav.heartbeat_encode(30, 8, 0, 0, 4)), peer, True)
    link._on_data(camera.encode(camera.mav.heartbeat_encode(30, 8, 0, 0, 4)), peer, True)
    v = fleet.vehicle(5)
    assert v.state.mode == "GUIDED"
    assert v.state.armed
    assert v.state.vehicle_type == 2
    assert v.other_component_frames == 2
    assert v.state.link.received == 3
