"""Mission protocol on the vehicle, as ArduCopter 4.7 runs it (each rule was seen on its SITL).

Every message goes through packed bytes from a pymavlink encoder (the `Gcs` helper)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.mission_items import FENCE, MISSION, RALLY
from tests.unit.simulator.gcs import HOME, Gcs, item, of, one, survey_mission

M = mavlink2
LAT, LON, _ = HOME


Row = tuple[Any, ...]


def _polygon(n: int, r_deg: float = 0.001, cmd: int = 5001, first: int = 0) -> list[Row]:
    return [
        item(
            first + i, cmd, LAT + r_deg * math.cos(2 * math.pi * i / n),
            LON + r_deg * math.sin(2 * math.pi * i / n), p1=n, mission_type=FENCE,
            frame=M.MAV_FRAME_GLOBAL_INT,
        )
        for i in range(n)
    ]  # fmt: skip


def _waypoints(n: int, alt: float = 30) -> list[Row]:
    return [item(0, 16, LAT, LON, 0, frame=M.MAV_FRAME_GLOBAL_INT)] + [
        item(i, 16, LAT + i * 1e-5, LON, alt) for i in range(1, n)
    ]


# ---------------------------------------------------------------------------- read-back
def test_download_returns_what_ap_mission_stores(gcs: Gcs, ap: Autopilot) -> None:
    """Frames 6 -> 3 and 5 -> 0 for navigation items, 0 for the others; NAV_WAYPOINT keeps only
    its hold time (whole seconds; acceptance radius, pass radius and yaw dropped); altitudes in
    whole centimetres; each command keeps its own params in its own C types; slot 0 is home."""
    items = [
        item(0, 16, LAT + 0.01, LON + 0.01, 99, frame=M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT),
        item(1, 22, alt=30, p1=15),
        (2, 6, 16, 0, 1, 2.5, 3.0, 1.0, 45.0, round((LAT + 1e-4) * 1e7), round(LON * 1e7),
         30.123, 0),
        item(3, 178, p1=1, p2=7.5, p3=-1, frame=M.MAV_FRAME_MISSION),
        item(4, 206, p1=20, p3=1, frame=M.MAV_FRAME_GLOBAL_RELATIVE_ALT),
        item(5, 19, LAT, LON, 30, p1=5, p3=2.5),
        item(6, 18, LAT, LON, 30, p1=2, p3=10),
        item(7, 177, p1=3, p2=2),
        item(8, 183, p1=9, p2=1900),
        item(9, 31, LAT, LON, 30, p1=1),
        item(10, 21, LAT, LON, 0, frame=M.MAV_FRAME_GLOBAL),
        item(11, 20),
        item(12, 16, LAT, LON, 30, frame=M.MAV_FRAME_GLOBAL_INT),
        item(13, 16, LAT, LON, 30, frame=M.MAV_FRAME_GLOBAL_TERRAIN_ALT),
    ]  # fmt: skip
    assert gcs.upload(items).type == M.MAV_MISSION_ACCEPTED
    got = gcs.download()
    rows = [(m.frame, m.command, m.autocontinue, m.param1, m.param2, m.param3, m.param4,
             m.x, m.y) for m in got]  # fmt: skip
    lat, lon = round(LAT * 1e7), round(LON * 1e7)
    assert rows == [
        (0, 16, 1, 0, 0, 0, 0, lat, lon),  # the vehicle's home, not what was sent
        (3, 22, 1, 15, 0, 0, 0, 0, 0),
        (3, 16, 1, 2, 0, 0, 0, round((LAT + 1e-4) * 1e7), lon),
        (0, 178, 1, 1, 7.5, -1, 0, 0, 0),
        (0, 206, 1, 20, 0, 1, 0, 0, 0),
        (3, 19, 1, 5, 0, 1, 0, lat, lon),  # LOITER_TIME keeps only the direction
        (3, 18, 1, 2, 0, 10, 0, lat, lon),
        (0, 177, 1, 3, 2, 0, 0, 0, 0),
        (0, 183, 1, 9, 1900, 0, 0, 0, 0),
        (3, 31, 1, 0, 0, 0, 0, lat, lon),
        (0, 21, 1, 0, 0, 0, 1, lat, lon),  # LAND reads back param4 = 1 (yaw direction)
        (0, 20, 1, 0, 0, 0, 0, 0, 0),
        (0, 16, 1, 0, 0, 0, 0, lat, lon),
        (10, 16, 1, 0, 0, 0, 0, lat, lon),
    ]
    assert got[0].z == pytest.approx(HOME[2])
    assert got[2].z == pytest.approx(30.12, abs=1e-5)  # 30.123 m kept as 3012 cm
    assert ap.params.get("MIS_TOTAL") == len(items)


def test_unknown_command_and_bad_values_are_refused(gcs: Gcs) -> None:
    """ArduPilot refuses what AP_Mission cannot store, naming the field."""
    home = item(0, 16, LAT, LON, 0, frame=M.MAV_FRAME_GLOBAL_INT)
    nan = float("nan")
    for bad, code in [
        (item(1, 31000), M.MAV_MISSION_UNSUPPORTED),
        (item(1, 16, LAT, LON, 10, p1=nan), M.MAV_MISSION_INVALID_PARAM1),
        (item(1, 16, LAT, LON, 10, frame=M.MAV_FRAME_LOCAL_NED), M.MAV_MISSION_UNSUPPORTED_FRAME),
        (item(1, 16, 95.0, LON, 20), M.MAV_MISSION_INVALID_PARAM5_X),
        (item(1, 16, LAT, 200.0, 20), M.MAV_MISSION_INVALID_PARAM6_Y),
        (item(1, 16, LAT, LON, float("inf")), M.MAV_MISSION_INVALID_PARAM7),
        (item(1, 177, p1=0, p2=1), M.MAV_MISSION_ERROR),  # DO_JUMP to 0
        (item(1, 177, p1=5, p2=1), M.MAV_MISSION_ERROR),  # DO_JUMP past the end
    ]:
        assert gcs.upload([home, bad]).type == code, bad
    waypoint_nan_yaw = list(item(1, 16, LAT, LON, 10))
    waypoint_nan_yaw[8] = nan  # NAV_WAYPOINT may leave param4 (yaw) NaN
    assert gcs.upload([home, tuple(waypoint_nan_yaw)]).type == M.MAV_MISSION_ACCEPTED


def test_fence_and_rally_read_back_normalised(gcs: Gcs, ap: Autopilot) -> None:
    """Fence items come back in frame 0 with autocontinue 0 and z 0, param1 the vertex count or
    radius; rally points in frame 0/3/10 with autocontinue 0, params 0, whole-metre altitude."""
    fence = [
        *_polygon(4),
        item(4, 5004, LAT, LON + 5e-4, 12, p1=50.5, mission_type=FENCE),
        item(5, 5003, LAT, LON, 0, p1=800, mission_type=FENCE, frame=M.MAV_FRAME_GLOBAL_INT),
        item(6, 5000, LAT, LON, 7, mission_type=FENCE, frame=M.MAV_FRAME_GLOBAL),
    ]
    assert gcs.upload(fence, FENCE).type == M.MAV_MISSION_ACCEPTED
    got = gcs.download(FENCE)
    assert {(m.frame, m.autocontinue, m.z) for m in got} == {(0, 0, 0.0)}
    assert [(m.command, m.param1) for m in got] == [(5001, 4)] * 4 + [
        (5004, 50.5), (5003, 800), (5000, 0)
    ]  # fmt: skip
    rally = [
        item(i, 5100, LAT + i * 1e-4, LON, 30.7, p1=1, p2=2, mission_type=RALLY, frame=frame)
        for i, frame in enumerate((6, 3, 5, 11))
    ]
    assert gcs.upload(rally, RALLY).type == M.MAV_MISSION_ACCEPTED
    got = gcs.download(RALLY)
    assert [(m.frame, m.autocontinue, m.param1, m.z) for m in got] == [
        (3, 0, 0, 30), (3, 0, 0, 30), (0, 0, 0, 30), (10, 0, 0, 30)
    ]  # fmt: skip
    assert gcs.download(MISSION) == []  # untouched: still empty
    out = gcs.send(gcs.mav.mission_clear_all_encode(1, 1, M.MAV_MISSION_TYPE_ALL))
    assert {m.type for m in of(out, "MISSION_ACK")} == {M.MAV_MISSION_ACCEPTED}
    assert all(ap.mission.items[t] == () for t in (MISSION, FENCE, RALLY))


def test_bad_fence_and_rally_items(gcs: Gcs, ap: Autopilot) -> None:
    """Wrong commands or frames are refused at once; a polygon of 2 is refused at the end."""
    assert gcs.upload([item(0, 16, LAT, LON, mission_type=FENCE)], FENCE).type == (
        M.MAV_MISSION_UNSUPPORTED
    )
    bad_frame = item(0, 5003, LAT, LON, p1=100, mission_type=FENCE, frame=M.MAV_FRAME_MISSION)
    assert gcs.upload([bad_frame], FENCE).type == M.MAV_MISSION_UNSUPPORTED_FRAME
    gcs.received.clear()
    assert gcs.upload(_polygon(2), FENCE).type == M.MAV_MISSION_ERROR
    assert gcs.texts() == ["Invalid vertex count (2)", "Fence validation failed"]
    assert ap.mission.items[FENCE] == ()
    high = item(0, 5100, LAT, LON, 40000, mission_type=RALLY)
    assert gcs.upload([high], RALLY).type == M.MAV_MISSION_INVALID_PARAM7
    mission_frame = item(0, 5100, LAT, LON, 40, mission_type=RALLY, frame=M.MAV_FRAME_MISSION)
    assert gcs.upload([mission_frame], RALLY).type == M.MAV_MISSION_UNSUPPORTED_FRAME


# ---------------------------------------------------------------------------- requests, duplicates
def test_vehicle_asks_with_mission_request_and_a_duplicate_is_invalid_sequence(
    gcs: Gcs, ap: Autopilot
) -> None:
    """ArduPilot asks with MISSION_REQUEST; an item sent again gets INVALID_SEQUENCE and the
    upload goes on to ACCEPTED; so does an item from the future."""
    items = survey_mission()
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, len(items), 0))
    assert one(out, "MISSION_REQUEST").seq == 0
    assert not of(out, "MISSION_REQUEST_INT")
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[0]))
    assert one(out, "MISSION_REQUEST").seq == 1
    for again in (items[0], items[3]):  # a resend, then one from the future
        out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *again))
        assert [(m.get_type(), m.type) for m in out] == [
            ("MISSION_ACK", M.MAV_MISSION_INVALID_SEQUENCE)
        ]
    assert ap.state.upload_duplicates == 1
    for it in items[1:]:
        out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *it))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert "Flight plan received" in gcs.texts()
    assert len(ap.mission.items[MISSION]) == len(items)


def test_next_item_sent_unasked_is_stored_and_a_duplicate_brings_no_early_request(
    gcs: Gcs, ap: Autopilot
) -> None:
    """What a station's resend relies on (seen on ArduCopter SITL 90700977): an item is stored
    when its seq is the one wanted, asked for or not; a copy of the item before draws
    INVALID_SEQUENCE and no request, the wanted one being asked again only a second after the
    vehicle last asked (``MissionItemProtocol::handle_mission_item`` / ``update``)."""
    items = _waypoints(5)
    gcs.send(gcs.mav.mission_count_encode(1, 1, len(items), 0))
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[0]))
    assert one(out, "MISSION_REQUEST").seq == 1  # (say this request was lost on the way)
    asked_at = ap.t
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[0]))  # the station's resend
    assert [(m.get_type(), m.type) for m in out] == [
        ("MISSION_ACK", M.MAV_MISSION_INVALID_SEQUENCE)
    ]
    while not of(out := gcs.run(0.1), "MISSION_REQUEST"):
        assert ap.t - asked_at < 2.0
    assert one(out, "MISSION_REQUEST").seq == 1
    assert 1.0 <= ap.t - asked_at <= 1.2
    out = []
    for it in items[1:3]:  # sent back to back, the second before it was asked for
        out += gcs.send(gcs.mav.mission_item_int_encode(1, 1, *it))
    assert [m.seq for m in of(out, "MISSION_REQUEST")] == [2, 3]
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[4]))  # one too far ahead
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_INVALID_SEQUENCE
    for it in items[3:]:
        out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *it))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert len(ap.mission.items[MISSION]) == len(items)


def test_wanted_item_is_asked_again_each_second_then_upload_times_out(
    gcs: Gcs, ap: Autopilot
) -> None:
    """A ground station gone quiet gets MISSION_REQUEST again after each second without one, and
    8 s after its last item the upload ends with OPERATION_CANCELLED; the items it did send
    stay written over the old mission, as in ArduPilot."""
    assert gcs.upload(_waypoints(6, alt=50)).type == M.MAV_MISSION_ACCEPTED
    gcs.send(gcs.mav.mission_count_encode(1, 1, 5, 0))
    for it in _waypoints(2, alt=77):
        gcs.send(gcs.mav.mission_item_int_encode(1, 1, *it))
    start, times = ap.t, []  # when the vehicle asked again
    while not of(got := gcs.run(0.1), "MISSION_ACK"):
        assert all(m.seq == 2 for m in of(got, "MISSION_REQUEST"))
        times += [ap.t - start for _ in of(got, "MISSION_REQUEST")]
    assert one(got, "MISSION_ACK").type == M.MAV_MISSION_OPERATION_CANCELLED
    assert 8.0 < ap.t - start <= 8.2
    assert len(times) == 7  # as many as the SITL sent (at 10 Hz steps)
    assert all(1.0 <= b - a <= 1.2 for a, b in itertools.pairwise([0.0, *times]))
    assert "Mission upload timeout" in gcs.texts()
    assert [round(i.z) for i in ap.mission.items[MISSION]] == [0, 77, 50, 50, 50]


def test_downloads_are_denied_while_an_upload_is_open(gcs: Gcs, ap: Autopilot) -> None:
    """REQUEST_LIST and REQUEST_INT get DENIED until the upload ends; the ground station's own
    MISSION_ACK(OPERATION_CANCELLED) does not end it (ArduPilot ignores it), the 8 s timeout
    does; other mission types are not blocked."""
    gcs.upload(survey_mission())
    gcs.send(gcs.mav.mission_count_encode(1, 1, 3, 0))
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *survey_mission()[0]))
    gcs.send(gcs.mav.mission_ack_encode(1, 1, M.MAV_MISSION_OPERATION_CANCELLED, 0))
    for msg in (
        gcs.mav.mission_request_list_encode(1, 1, 0),
        gcs.mav.mission_request_int_encode(1, 1, 0, 0),
    ):
        gcs.run(3.0)
        out = gcs.send(msg)
        assert one(out, "MISSION_ACK").type == M.MAV_MISSION_DENIED
    out = gcs.send(gcs.mav.mission_request_list_encode(1, 1, FENCE))
    assert one(out, "MISSION_COUNT").count == 0
    gcs.run(3.0)
    out = gcs.send(gcs.mav.mission_request_list_encode(1, 1, 0))
    assert one(out, "MISSION_COUNT").count == 3


def test_second_gcs_is_denied_during_upload(gcs: Gcs, ap: Autopilot) -> None:
    """Another GCS's MISSION_COUNT and items are DENIED, its CLEAR_ALL gets DENIED then ERROR;
    the first goes on; the first GCS may restart its own upload with a new count."""
    other = Gcs(ap, sysid=250)
    gcs.send(gcs.mav.mission_count_encode(1, 1, 5, 0))
    out = other.send(other.mav.mission_count_encode(1, 1, 3, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_DENIED
    out = other.send(other.mav.mission_item_int_encode(1, 1, *item(0, 16, LAT, LON)))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_DENIED
    out = other.send(other.mav.mission_clear_all_encode(1, 1, 0))
    assert [m.type for m in of(out, "MISSION_ACK")] == [
        M.MAV_MISSION_DENIED, M.MAV_MISSION_ERROR
    ]  # fmt: skip
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 2, 0))  # a restart
    assert one(out, "MISSION_REQUEST").seq == 0
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(0, 16, LAT, LON)))
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(1, 16, LAT, LON, 10)))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED


def test_item_after_the_upload_ended_is_an_error(gcs: Gcs) -> None:
    """The last item resent after the final ACK (lost) gets MISSION_ACK(ERROR): ArduPilot is no
    longer receiving; a ground station must not resend once the vehicle may have finished."""
    items = survey_mission()
    gcs.upload(items)
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[-1]))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ERROR


def test_clear_all_by_the_uploader_ends_its_upload(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_CLEAR_ALL from the ground station uploading ends that upload and clears."""
    gcs.upload(survey_mission())
    gcs.send(gcs.mav.mission_count_encode(1, 1, 3, 0))
    out = gcs.send(gcs.mav.mission_clear_all_encode(1, 1, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert ap.mission.items[MISSION] == ()
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(0, 16, LAT, LON)))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ERROR


# ---------------------------------------------------------------------------- legacy messages
def test_float_mission_items_warn_and_lose_precision(gcs: Gcs, ap: Autopilot) -> None:
    """Answering with float MISSION_ITEM draws one warning per upload and positions pass
    through float32 (up to ~1 m off at this latitude); MISSION_REQUEST downloads are answered
    with MISSION_ITEM plus a warning, even while an upload is open."""
    lat = 29.1759967  # the position sent to the SITL
    rows = [
        (0, 0, 16, 0, 1, 0, 0, 0, 0, LAT, LON, 0, 0),
        (1, 3, 16, 0, 1, 0, 0, 0, 0, lat, 119.9472731, 30, 0),
        (2, 3, 16, 0, 1, 0, 0, 0, 0, lat, LON, 30, 0),
    ]
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 3, 0))
    for _ in rows:
        req = one(out, "MISSION_REQUEST")
        out = gcs.send(gcs.mav.mission_item_encode(1, 1, *rows[req.seq]))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert gcs.texts().count("got MISSION_ITEM; GCS should send MISSION_ITEM_INT") == 1
    stored = ap.mission.items[MISSION][1]
    assert stored.x != round(lat * 1e7)
    assert abs(stored.x - lat * 1e7) < 20  # float32 steps of 19 degE7 (~2 m) here
    assert (stored.x, stored.y) == (291759968, 1199472768)  # what the SITL stored for these
    gcs.send(gcs.mav.mission_count_encode(1, 1, 2, 0))
    back = gcs.send(gcs.mav.mission_request_encode(1, 1, 1, 0))
    assert one(back, "MISSION_ITEM").x == pytest.approx(lat, abs=2e-6)
    assert "got MISSION_REQUEST; use MISSION_REQUEST_INT!" in gcs.texts()


# ---------------------------------------------------------------------------- capacity
def test_mission_capacity_is_650_items_including_home(gcs: Gcs, ap: Autopilot) -> None:
    """650 items fit; 651 are refused at once with NO_SPACE and the text ArduPilot sends."""
    assert gcs.upload(_waypoints(650)).type == M.MAV_MISSION_ACCEPTED
    before = ap.mission.items[MISSION]
    gcs.received.clear()
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 651, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_NO_SPACE
    assert gcs.texts() == ["Only 650 items are supported"]
    assert not of(out, "MISSION_REQUEST")
    assert ap.mission.items[MISSION] == before


def test_mission_for_another_system_is_ignored(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_COUNT addressed to system 2 gets no answer from system 1."""
    out = gcs.send(gcs.mav.mission_count_encode(2, 1, 3, 0))
    assert out == []
    assert ap.mission.upload is None


def test_empty_count_clears(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_COUNT 0 is the clear-by-upload of the spec: ACCEPTED and empty; home still reads."""
    gcs.upload(survey_mission())
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 0, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert ap.mission.items[MISSION] == ()
    out = gcs.send(gcs.mav.mission_request_int_encode(1, 1, 0, 0))
    assert one(out, "MISSION_ITEM_INT").x == round(LAT * 1e7)


def test_request_past_the_end_is_invalid_sequence_with_the_count(gcs: Gcs) -> None:
    """Asking for an item that does not exist answers MISSION_COUNT, then INVALID_SEQUENCE."""
    gcs.upload(survey_mission())
    out = gcs.send(gcs.mav.mission_request_int_encode(1, 1, 99, 0))
    assert [m.get_type() for m in out] == ["MISSION_COUNT", "MISSION_ACK"]
    assert out[0].count == 6
    assert out[1].type == M.MAV_MISSION_INVALID_SEQUENCE
