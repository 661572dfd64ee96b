"""Mission protocol on the vehicle: upload, download, legacy items; failures keep the old one."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.mission_items import FENCE, MISSION, RALLY
from tests.unit.simulator.gcs import HOME, Gcs, item, of, one, survey_mission

M = mavlink2


def test_upload_then_download_round_trips(gcs: Gcs, ap: Autopilot) -> None:
    """Items uploaded with MISSION_ITEM_INT come back identical from a download."""
    items = survey_mission()
    ack = gcs.upload(items)
    assert ack.type == M.MAV_MISSION_ACCEPTED
    assert ack.target_system == 255
    assert ack.target_component == 190
    got = gcs.download()
    assert [(m.seq, m.command, m.x, m.y, m.z) for m in got] == [
        (i[0], i[2], i[9], i[10], i[11]) for i in items
    ]
    assert ap.params.get("MIS_TOTAL") == len(items)


def test_legacy_mission_item_upload_and_download(gcs: Gcs, ap: Autopilot) -> None:
    """Float MISSION_ITEMs are accepted and MISSION_REQUEST is answered with MISSION_ITEM."""
    lat, lon, _ = HOME
    rows = [
        (0, 0, 16, 0, 1, 0, 0, 0, 0, lat, lon, 0, 0),
        (1, 3, 16, 0, 1, 0, 0, 0, 0, lat + 0.001, lon, 30, 0),
    ]
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 2, 0))
    for kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):  # legacy asked for, once seen
        req = one(out, kind)
        out = gcs.send(gcs.mav.mission_item_encode(1, 1, *rows[req.seq]))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    # float32 degrees carry about 0.2 m: the reason MISSION_ITEM_INT exists
    assert ap.mission.items[MISSION][1].x == pytest.approx((lat + 0.001) * 1e7, abs=30)
    back = gcs.download(legacy=True)
    assert back[1].x == pytest.approx(lat + 0.001, abs=3e-6)
    assert back[1].z == 30


def test_failed_upload_keeps_previous_mission(gcs: Gcs, ap: Autopilot) -> None:
    """An item at latitude 95 is NACKed with INVALID_PARAM5_X and the old mission stays."""
    gcs.upload(survey_mission())
    before = ap.mission.items[MISSION]
    bad = survey_mission()
    bad[3] = item(3, M.MAV_CMD_NAV_WAYPOINT, 95.0, HOME[1], 20)
    ack = gcs.upload(bad)
    assert ack.type == M.MAV_MISSION_INVALID_PARAM5_X
    assert ap.mission.items[MISSION] == before


def test_count_too_large_is_no_space(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_COUNT 65535 answers NO_SPACE and stores nothing new."""
    gcs.upload(survey_mission())
    before = ap.mission.items[MISSION]
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 65535, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_NO_SPACE
    assert ap.mission.items[MISSION] == before
    assert not of(out, "MISSION_REQUEST_INT")


def test_stalled_upload_is_re_requested_then_cancelled(gcs: Gcs, ap: Autopilot) -> None:
    """A client that stops answering gets re-requests, then OPERATION_CANCELLED; nothing changes."""
    gcs.upload(survey_mission())
    before = ap.mission.items[MISSION]
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 4, 0))
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(0, 16, *HOME[:2])))
    got = gcs.run(5)
    requests = [m.seq for m in of(got, "MISSION_REQUEST_INT")]
    assert requests
    assert set(requests) == {1}
    got = gcs.run(120)
    assert one(got, "MISSION_ACK").type == M.MAV_MISSION_OPERATION_CANCELLED
    assert ap.mission.items[MISSION] == before
    assert of(out, "MISSION_REQUEST_INT")[0].seq == 0


def test_out_of_order_item_is_re_requested(gcs: Gcs, ap: Autopilot) -> None:
    """An item with the wrong seq is not stored; the expected one is asked for again."""
    gcs.send(gcs.mav.mission_count_encode(1, 1, 2, 0))
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(1, 16, *HOME[:2], 10)))
    assert one(out, "MISSION_REQUEST_INT").seq == 0
    assert ap.mission.items[MISSION] == ()


def test_second_gcs_is_denied_during_upload(gcs: Gcs, ap: Autopilot) -> None:
    """While one GCS uploads, another GCS's MISSION_COUNT is DENIED and the first continues."""
    other = Gcs(ap, sysid=250)
    gcs.send(gcs.mav.mission_count_encode(1, 1, 2, 0))
    out = other.send(other.mav.mission_count_encode(1, 1, 3, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_DENIED
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(0, 16, *HOME[:2])))
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *item(1, 16, *HOME[:2], 10)))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED


def test_fence_and_rally_are_stored_apart(gcs: Gcs, ap: Autopilot) -> None:
    """Fence and rally uploads do not touch the mission, and clear-all empties every type."""
    gcs.upload(survey_mission())
    lat, lon, _ = HOME
    fence = [
        item(
            i,
            M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
            lat + dy,
            lon + dx,
            p1=4,
            mission_type=FENCE,
        )
        for i, (dy, dx) in enumerate([(-0.01, -0.01), (-0.01, 0.01), (0.01, 0.01), (0.01, -0.01)])
    ]
    rally = [item(0, M.MAV_CMD_NAV_RALLY_POINT, lat + 0.002, lon, 30, mission_type=RALLY)]
    assert gcs.upload(fence, FENCE).type == M.MAV_MISSION_ACCEPTED
    assert gcs.upload(rally, RALLY).type == M.MAV_MISSION_ACCEPTED
    assert len(ap.mission.items[MISSION]) == 6
    assert len(gcs.download(FENCE)) == 4
    assert len(gcs.download(RALLY)) == 1
    out = gcs.send(gcs.mav.mission_clear_all_encode(1, 1, M.MAV_MISSION_TYPE_ALL))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert all(ap.mission.items[t] == () for t in (MISSION, FENCE, RALLY))


def test_request_past_the_end_is_invalid_sequence(gcs: Gcs) -> None:
    """Asking for an item that does not exist answers INVALID_SEQUENCE."""
    gcs.upload(survey_mission())
    out = gcs.send(gcs.mav.mission_request_int_encode(1, 1, 99, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_INVALID_SEQUENCE


def test_mission_for_another_system_is_ignored(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_COUNT addressed to system 2 gets no answer from system 1."""
    out = gcs.send(gcs.mav.mission_count_encode(2, 1, 3, 0))
    assert out == []
    assert ap.mission.upload is None


def test_empty_count_clears(gcs: Gcs, ap: Autopilot) -> None:
    """MISSION_COUNT 0 is the clear-by-upload of the spec: ACCEPTED and empty."""
    gcs.upload(survey_mission())
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, 0, 0))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    assert ap.mission.items[MISSION] == ()


def test_last_item_again_gets_the_final_ack_again(gcs: Gcs, ap: Autopilot) -> None:
    """If the final MISSION_ACK was lost, the client's resent last item is acknowledged again."""
    items = survey_mission()
    gcs.upload(items)
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[-1]))
    assert one(out, "MISSION_ACK").type == M.MAV_MISSION_ACCEPTED
    out = gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[2]))
    assert out == []


def test_duplicate_items_are_counted_per_upload(gcs: Gcs, ap: Autopilot) -> None:
    """Items sent twice are counted in the snapshot; a new upload starts the count again."""
    items = survey_mission()
    out = gcs.send(gcs.mav.mission_count_encode(1, 1, len(items), 0))
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[0]))
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[0]))
    gcs.send(gcs.mav.mission_item_int_encode(1, 1, *items[0]))
    assert ap.state.upload_duplicates == 2
    assert one(out, "MISSION_REQUEST_INT").seq == 0
    gcs.upload(items)
    assert ap.state.upload_duplicates == 0
