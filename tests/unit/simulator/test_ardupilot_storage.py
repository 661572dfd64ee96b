"""What ArduCopter keeps of an item (AP_Mission, AC_PolyFence_loader, AP_Rally rules), and its
capacities; each expected value here was read back from ArduCopter SITL 90700977."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.ardupilot_storage import (
    StorageLimits,
    fence_bytes_required,
    fence_problem,
    int_to_legacy,
    legacy_to_int,
    store_fence_item,
    store_mission_item,
    store_rally_item,
)
from simulator.autopilot import Autopilot
from simulator.codec import Parser
from simulator.mission_items import FENCE, RALLY, MissionItem
from tests.unit.simulator.gcs import HOME, Gcs, item, of, one, text_of

M = mavlink2
LAT, LON = 290525300, 1191818410


def _item(frame: int, command: int, *params: float, x: int = 0, y: int = 0, z: float = 0.0,
          mission_type: int = 0) -> MissionItem:  # fmt: skip
    p1, p2, p3, p4 = [*params, 0.0, 0.0, 0.0, 0.0][:4]
    return MissionItem(1, frame, command, 0, 1, p1, p2, p3, p4, x, y, z, mission_type)


def _row(i: MissionItem) -> tuple[object, ...]:
    return (i.frame, i.command, i.autocontinue, i.param1, i.param2, i.param3, i.param4, i.x, i.y)


@pytest.mark.parametrize(
    ("sent", "read_back"),
    [
        (_item(6, 22, 15, z=30), (3, 22, 1, 15, 0, 0, 0, 0, 0)),
        (
            _item(6, 16, 2.5, 3.0, 1.0, 45.0, x=LAT, y=LON, z=30.123),
            (3, 16, 1, 2, 0, 0, 0, LAT, LON),
        ),
        (_item(2, 178, 1, 7.5, -1), (0, 178, 1, 1, 7.5, -1, 0, 0, 0)),
        (_item(3, 206, 20, 0, 1), (0, 206, 1, 20, 0, 1, 0, 0, 0)),
        (_item(6, 19, 5, 0, 2.5, x=LAT, y=LON, z=30), (3, 19, 1, 5, 0, 1, 0, LAT, LON)),
        (_item(6, 17, x=LAT, y=LON, z=30), (3, 17, 1, 0, 0, 0, 0, LAT, LON)),
        (_item(6, 18, 2, 0, 10, x=LAT, y=LON, z=30), (3, 18, 1, 2, 0, 10, 0, LAT, LON)),
        (_item(2, 177, 3, 2), (0, 177, 1, 3, 2, 0, 0, 0, 0)),
        (_item(0, 211, 1), (0, 211, 1, 1, 0, 0, 0, 0, 0)),
        (_item(2, 183, 9, 1900), (0, 183, 1, 9, 1900, 0, 0, 0, 0)),
        (_item(2, 112, 4), (0, 112, 1, 4, 0, 0, 0, 0, 0)),
        (_item(2, 115, 90, 10, 1), (0, 115, 1, 90, 10, 1, 0, 0, 0)),
        (_item(6, 201, x=LAT, y=LON, z=5), (3, 201, 1, 0, 0, 0, 0, LAT, LON)),
        (_item(6, 82, x=LAT, y=LON, z=30), (3, 82, 1, 0, 0, 0, 0, LAT, LON)),
        (_item(6, 93, 3), (0, 93, 1, 3, 0, 0, 0, 0, 0)),
        (_item(2, 203, x=1), (0, 203, 1, 0, 0, 0, 0, 1, 0)),
        (_item(2, 2000, 0, 0, 1), (0, 2000, 1, 0, 0, 1, 0, 0, 0)),
        (_item(2, 207, 1), (0, 207, 1, 1, 0, 0, 0, 0, 0)),
        (_item(3, 179, x=LAT, y=LON, z=40), (3, 179, 1, 0, 0, 0, 0, LAT, LON)),
        (_item(6, 31, 1, x=LAT, y=LON, z=30), (3, 31, 1, 0, 0, 0, 0, LAT, LON)),
        (_item(0, 21, x=LAT, y=LON), (0, 21, 1, 0, 0, 0, 1, LAT, LON)),
        (_item(6, 20), (0, 20, 1, 0, 0, 0, 0, 0, 0)),
        (_item(5, 16, x=LAT, y=LON, z=30), (0, 16, 1, 0, 0, 0, 0, LAT, LON)),
        (_item(10, 16, x=LAT, y=LON, z=30), (10, 16, 1, 0, 0, 0, 0, LAT, LON)),
    ],
)
def test_mission_item_reads_back_as_the_sitl_returned_it(
    sent: MissionItem, read_back: tuple[object, ...]
) -> None:
    result, stored = store_mission_item(sent)
    assert result == M.MAV_MISSION_ACCEPTED
    assert stored is not None
    assert _row(stored) == read_back


def test_altitude_is_kept_in_whole_centimetres() -> None:
    _, stored = store_mission_item(_item(6, 16, x=LAT, y=LON, z=30.123))
    assert stored is not None
    assert stored.z == pytest.approx(30.12, abs=1e-5)  # the SITL: 30.119998931884766


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (_item(6, 31000), M.MAV_MISSION_UNSUPPORTED),
        (_item(6, 0), M.MAV_MISSION_INVALID),
        (_item(6, 16, math.nan, x=LAT, y=LON), M.MAV_MISSION_INVALID_PARAM1),
        (_item(6, 178, 1, math.inf), M.MAV_MISSION_INVALID_PARAM2),
        (_item(1, 16, x=LAT, y=LON, z=10), M.MAV_MISSION_UNSUPPORTED_FRAME),
        (_item(6, 16, x=950_000_000, y=LON), M.MAV_MISSION_INVALID_PARAM5_X),
        (_item(6, 16, x=LAT, y=-1_900_000_000), M.MAV_MISSION_INVALID_PARAM6_Y),
        (_item(6, 16, x=LAT, y=LON, z=90000), M.MAV_MISSION_INVALID_PARAM7),
    ],
)
def test_mission_item_refusals(sent: MissionItem, code: int) -> None:
    assert store_mission_item(sent) == (code, None)


def test_waypoint_may_leave_yaw_nan_but_not_hold_time() -> None:
    assert store_mission_item(_item(6, 16, 0, 0, 0, math.nan, x=LAT, y=LON))[0] == 0
    assert store_mission_item(_item(2, 178, 0, 0, 0, math.nan))[0] == M.MAV_MISSION_INVALID_PARAM4


def test_float_positions_pass_through_float32() -> None:
    """29.1759967 sent as a float MISSION_ITEM was stored by the SITL as 291759968."""
    assert legacy_to_int(3, 16, 29.1759967, 119.9472731) == (0, 291759968, 1199472768)
    assert legacy_to_int(3, 16, 95.0, 0.0)[0] == M.MAV_MISSION_INVALID_PARAM5_X
    assert legacy_to_int(3, 203, 1.0, 2.0) == (0, 1, 2)  # DIGICAM_CONTROL: not a position
    # a MISSION_REQUEST download of the Longyou station, as the SITL answered it
    assert int_to_legacy(16, LAT, LON) == (29.052532196044922, 119.18183898925781)


def test_fence_and_rally_items_read_back_normalised() -> None:
    poly = _item(5, 5001, 4, x=LAT, y=LON, z=12, mission_type=FENCE)
    circle = _item(6, 5004, 50.5, x=LAT, y=LON, z=12, mission_type=FENCE)
    whole = _item(5, 5003, 800.0004, x=LAT, y=LON, mission_type=FENCE)
    assert [_row(store_fence_item(i)[1]) for i in (poly, circle, whole)] == [  # type: ignore[arg-type]
        (0, 5001, 0, 4, 0, 0, 0, LAT, LON),
        (0, 5004, 0, 50.5, 0, 0, 0, LAT, LON),
        (0, 5003, 0, 800, 0, 0, 0, LAT, LON),
    ]
    assert store_fence_item(_item(2, 5003, 1, mission_type=FENCE))[0] == 2  # UNSUPPORTED_FRAME
    assert store_fence_item(_item(0, 16, mission_type=FENCE))[0] == M.MAV_MISSION_UNSUPPORTED
    for frame, back in ((6, 3), (3, 3), (0, 0), (5, 0), (10, 10), (11, 10)):
        _, stored = store_rally_item(_item(frame, 5100, 1, 2, x=LAT, y=LON, z=30.7))
        assert stored is not None
        assert _row(stored) == (back, 5100, 0, 0, 0, 0, 0, LAT, LON)
        assert stored.z == 30
    assert store_rally_item(_item(2, 5100, x=LAT, y=LON))[0] == M.MAV_MISSION_UNSUPPORTED_FRAME
    assert store_rally_item(_item(3, 5100, x=LAT, y=LON, z=40000))[0] == 12  # INVALID_PARAM7


def _polygon(n: int, cmd: int = 5001) -> tuple[MissionItem, ...]:
    return tuple(replace(_item(0, cmd, n, x=LAT + i, y=LON), seq=i) for i in range(n))


def test_fence_validation_and_bytes() -> None:
    """validate_fence's refusals (its texts), and the bytes write_fence needs: a 4-byte header,
    2 + 8 a vertex per polygon, 13 a circle, 9 a return point."""
    assert fence_problem(_polygon(4)) is None
    assert fence_problem(_polygon(2)) == "Invalid vertex count (2)"
    assert fence_problem(_polygon(4)[:3]) == "Incorrect item count"
    mixed = _polygon(4)[:2] + _polygon(4, 5002)[:2]
    assert fence_problem(mixed) == "Received incorrect vertex type (want=98 got=97)"
    ret = _item(0, 5000, x=LAT, y=LON)
    assert fence_problem((ret, ret)) == "Multiple return points"
    assert fence_problem((_item(0, 5003, 0, x=LAT, y=LON),)) == "Non-positive circle radius"
    assert fence_bytes_required(_polygon(69)) == 558
    assert fence_bytes_required(_polygon(70)) == 566
    circle = _item(0, 5003, 10, x=LAT, y=LON)
    assert fence_bytes_required((*_polygon(3), circle, ret)) == 4 + 26 + 13 + 9


def test_capacities_of_the_sitl_storage_layout() -> None:
    """StorageManager's copter layout in 16 KiB: 650 commands, 70 fence items, 46 rally."""
    lim = StorageLimits()
    assert (lim.mission_items, lim.fence_items, lim.rally_items) == (650, 70, 46)
    assert StorageLimits(fence_bytes=4096).fence_items == 255  # a uint8_t count


def test_mission_and_rally_capacity_refuse_one_more(gcs: Gcs) -> None:
    """651 mission items and 47 rally points are refused with NO_SPACE and ArduPilot's text."""
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 651, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_NO_SPACE
    assert gcs.texts() == ["Only 650 items are supported"]
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 47, RALLY))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_NO_SPACE
    rally = [item(i, 5100, HOME[0], HOME[1], 30, mission_type=RALLY) for i in range(46)]
    assert gcs.upload(rally, RALLY).type == M.MAV_MISSION_ACCEPTED


def test_capacity_is_configurable_per_vehicle() -> None:
    ap = Autopilot(1, HOME, storage=StorageLimits(mission_bytes=4 + 15 * 100))
    gcs = Gcs(ap)
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 101, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_NO_SPACE
    assert gcs.texts() == ["Only 100 items are supported"]


@pytest.mark.parametrize("length", [50, 51, 100, 130])
def test_long_statustext_is_sent_in_chunks(ap: Autopilot, length: int) -> None:
    """Over 50 bytes: 50-byte chunks sharing a non-zero id, chunk_seq 0, 1, ..., the last one
    shorter (empty when the text fills its chunks exactly), as GCS::send_textv does."""
    text = "".join(chr(ord("a") + i % 26) for i in range(length))
    ap.statustext(text)
    mav = M.MAVLink(None, 1, 1)
    out = [m for msg in of(ap.drain(), "STATUSTEXT") for m in Parser().feed(msg.pack(mav))]
    if length <= 50:
        assert [(m.id, m.chunk_seq, text_of(m)) for m in out] == [(0, 0, text)]
        return
    assert len({m.id for m in out}) == 1
    assert out[0].id != 0
    assert [m.chunk_seq for m in out] == list(range(length // 50 + 1))
    assert "".join(text_of(m) for m in out) == text
    assert len(text_of(out[-1])) < 50


def _fence_polygon(n: int) -> list[tuple[object, ...]]:
    return [
        item(i, 5001, HOME[0] + 1e-3 * math.cos(2 * math.pi * i / n),
             HOME[1] + 1e-3 * math.sin(2 * math.pi * i / n), p1=n, mission_type=FENCE)
        for i in range(n)
    ]  # fmt: skip


def test_fence_capacity_is_the_bytes_of_its_storage(gcs: Gcs, ap: Autopilot) -> None:
    """560 bytes of fence storage: a 69-vertex polygon fits; 70 pass the count check but not
    the storage (ERROR after the upload, 'Fence exceeds storage size', the old fence kept); 71
    are NO_SPACE at once; a polygon of 2 is refused as ArduPilot's validation does."""
    assert gcs.upload(_fence_polygon(69), FENCE).type == M.MAV_MISSION_ACCEPTED
    gcs.received.clear()
    assert gcs.upload(_fence_polygon(70), FENCE).type == M.MAV_MISSION_ERROR
    assert gcs.texts() == ["Fence exceeds storage size"]
    assert len(ap.mission.items[FENCE]) == 69
    assert gcs.upload(_fence_polygon(71), FENCE).type == M.MAV_MISSION_NO_SPACE
    gcs.received.clear()
    assert gcs.upload(_fence_polygon(2), FENCE).type == M.MAV_MISSION_ERROR
    assert gcs.texts() == ["Invalid vertex count (2)", "Fence validation failed"]
    bigger = Autopilot(1, HOME, storage=StorageLimits(fence_bytes=1300))
    assert Gcs(bigger).upload(_fence_polygon(150), FENCE).type == M.MAV_MISSION_ACCEPTED
