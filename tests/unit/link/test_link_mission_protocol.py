"""Mission protocol state machines driven by hand-fed messages."""

from __future__ import annotations

import pytest

from groundstation.errors import MissionDownloadError, MissionTimeout, MissionUploadError
from groundstation.link.codec import Encoder
from groundstation.link.mission_protocol import (
    ClearTransfer,
    DownloadTransfer,
    SetCurrentTransfer,
    UploadTransfer,
)
from routes.mission import MissionItem

GCS = Encoder(255, 190).mav
VEH = Encoder(2, 1).mav


def _items(n: int, mission_type: int = 0) -> list[MissionItem]:
    return [
        MissionItem(seq=i, frame=6, command=16, x=290500000 + i, y=1191700000, z=40.0 + i,
                 mission_type=mission_type)
        for i in range(n)
    ]  # fmt: skip


def test_upload_answers_each_request_and_ends_on_ack():
    """Upload sends COUNT, the requested items (INT), and completes on an ACCEPTED ack."""
    progress = []
    up = UploadTransfer(GCS, (2, 1), 255, _items(3), progress=lambda d, t: progress.append((d, t)))
    (count,) = up.start()
    assert count.get_type() == "MISSION_COUNT"
    assert count.count == 3
    assert count.target_system == 2
    for seq in range(3):
        (item,) = up.handle(VEH.mission_request_int_encode(255, 190, seq, 0))
        assert item.get_type() == "MISSION_ITEM_INT"
        assert item.seq == seq
        assert item.x == 290500000 + seq
    assert up.handle(VEH.mission_ack_encode(255, 190, 0, 0)) == []
    assert up.done
    assert up.error is None
    assert progress[-1] == (3, 3)


def _req(seq: int, mission_type: int = 0, legacy: bool = False):
    encode = VEH.mission_request_encode if legacy else VEH.mission_request_int_encode
    return encode(255, 190, seq, mission_type)


def _ack(result: int, mission_type: int = 0):
    return VEH.mission_ack_encode(255, 190, result, mission_type)


def test_upload_repeated_request_answered_unless_it_came_before_our_answer_could_arrive():
    """A re-request for the item just sent is answered again, but not sooner than the guard."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3), repeat_guard_s=0.05)
    up.start()
    (first,) = up.handle(_req(0), now=10.0)
    assert first.seq == 0
    assert up.handle(_req(0), now=10.01) == []  # sent before our item could have arrived
    assert up.duplicate_requests == 1
    (again,) = up.handle(_req(0), now=11.0)  # the vehicle's re-request: our item was lost
    assert again.get_type() == "MISSION_ITEM_INT"
    assert again.seq == 0
    assert up.last_was_repeat
    assert up.repeated_requests == 1
    (nxt,) = up.handle(_req(1), now=11.01)
    assert nxt.seq == 1
    assert not up.last_was_repeat


def test_upload_legacy_request_answered_with_item_int_exact_position():
    """ArduPilot's MISSION_REQUEST gets MISSION_ITEM_INT: degE7 integers, no float rounding."""
    items = [MissionItem(seq=0, frame=6, command=16, x=290525312, y=1191818369, z=60.0)]
    up = UploadTransfer(GCS, (2, 1), 255, items)
    up.start()
    (item,) = up.handle(_req(0, legacy=True))
    assert item.get_type() == "MISSION_ITEM_INT"
    assert (item.x, item.y) == (290525312, 1191818369)
    assert up.legacy_requests == 1
    assert up.legacy_items == 0


def test_upload_legacy_item_only_for_a_vehicle_without_mission_int():
    """use_int=False (AUTOPILOT_VERSION lacks MISSION_INT): MISSION_REQUEST gets float degrees."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2), use_int=False)
    up.start()
    (item,) = up.handle(_req(0, legacy=True))
    assert item.get_type() == "MISSION_ITEM"
    assert item.x == pytest.approx(29.05)
    (item,) = up.handle(_req(1))  # a MISSION_REQUEST_INT still gets the INT item
    assert item.get_type() == "MISSION_ITEM_INT"
    assert up.legacy_items == 1


def test_upload_invalid_sequence_ack_mid_upload_is_counted_and_upload_goes_on():
    """MISSION_ACK(INVALID_SEQUENCE), ArduPilot's answer to a duplicate, does not end the upload."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3))
    up.start()
    up.handle(_req(0))
    assert up.handle(_ack(13)) == []  # INVALID_SEQUENCE
    assert up.handle(_ack(13)) == []
    assert not up.done
    assert up.invalid_sequence_acks == 2
    up.handle(_req(1))
    up.handle(_req(2))
    up.handle(_ack(0))
    assert up.done
    assert up.error is None


def test_upload_count_resent_until_first_request_then_vehicle_paces():
    """Before any request a timeout resends MISSION_COUNT; after one the vehicle drives."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2), max_retries=3, paced_retries=2)
    up.start()
    assert not up.vehicle_paced
    assert up.retry_budget == 3
    (again,) = up.on_timeout()
    assert again.get_type() == "MISSION_COUNT"
    assert up.last_was_repeat
    up.handle(_req(0))
    assert up.vehicle_paced
    assert up.retry_budget == 2
    assert up.retries == 0  # the request was progress


def test_upload_long_silence_resends_item_then_gives_up_after_paced_retries():
    """With no request for a long while the item is resent; after paced_retries the upload fails."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2), max_retries=20, paced_retries=3)
    up.start()
    up.handle(_req(0))
    for _ in range(3):
        (again,) = up.on_timeout()
        assert again.get_type() == "MISSION_ITEM_INT"
        assert again.seq == 0
    assert up.timeout_resends == 3
    assert up.on_timeout() == []
    assert isinstance(up.error, MissionTimeout)
    assert "3 retries" in str(up.error)


def test_upload_error_after_resending_last_item_means_final_ack_lost():
    """ArduPilot answers ERROR to an item once it stopped receiving: the ACCEPTED was lost."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2))
    up.start()
    up.handle(_req(0))
    up.handle(_req(1))
    assert up.all_sent
    up.on_timeout()  # no ACK: resend the last item
    up.handle(_ack(1))  # ERROR: "not receiving"
    assert isinstance(up.error, MissionTimeout)
    assert up.cancel() == []  # the vehicle is not in a transfer any more
    refused = UploadTransfer(GCS, (2, 1), 255, _items(2))
    refused.start()
    refused.handle(_req(0))
    refused.handle(_req(1))
    refused.handle(_ack(1))  # ERROR as the answer to the last item itself: a refusal
    assert isinstance(refused.error, MissionUploadError)
    assert refused.error.result_name == "ERROR"


def test_upload_cancelled_by_vehicle_says_so_and_is_not_cancelled_again():
    """The vehicle's own OPERATION_CANCELLED fails the upload; the station sends no cancel."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3), mission_type=1)
    up.start()
    up.handle(_req(0, mission_type=1))
    up.handle(_ack(15, mission_type=1))
    assert isinstance(up.error, MissionUploadError)
    assert up.error.result_name == "OPERATION_CANCELLED"
    assert "cancelled" in up.error.reason
    assert up.cancel() == []


def test_cancel_of_an_abandoned_upload_and_download():
    """A transfer that timed out (or was given up) is cancelled with MISSION_ACK(CANCELLED)."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3), mission_type=2, max_retries=0)
    assert up.cancel() == []  # never started: nothing to cancel
    up.start()
    up.on_timeout()
    assert up.done
    (ack,) = up.cancel()
    assert ack.get_type() == "MISSION_ACK"
    assert (ack.type, ack.mission_type, ack.target_system) == (15, 2, 2)
    ok = UploadTransfer(GCS, (2, 1), 255, _items(1))
    ok.start()
    ok.handle(_req(0))
    ok.handle(_ack(0))
    assert ok.cancel() == []  # finished: nothing to cancel
    down = DownloadTransfer(GCS, (2, 1), 255)
    down.start()
    down.handle(VEH.mission_count_encode(255, 190, 5, 0))
    (ack,) = down.cancel()  # e.g. the task was cancelled half-way
    assert (ack.get_type(), ack.type) == ("MISSION_ACK", 15)
    count = DownloadTransfer(GCS, (2, 1), 255, count_only=True)
    count.start()
    (end,) = count.handle(VEH.mission_count_encode(255, 190, 5, 0))
    assert count.done
    assert count.count == 5
    assert (end.get_type(), end.type) == ("MISSION_ACK", 15)  # ends PX4's open download


def test_upload_no_space_is_typed_error():
    """A MISSION_ACK NO_SPACE fails the upload with a MissionUploadError naming the cause."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(5))
    up.start()
    up.handle(VEH.mission_ack_encode(255, 190, 4, 0))
    assert up.done
    assert isinstance(up.error, MissionUploadError)
    assert up.error.result_name == "NO_SPACE"
    assert "vehicle 2" in str(up.error)


def test_upload_ignores_stale_accept_and_other_types_and_targets():
    """An ACCEPTED ack before the last item, other mission types and other targets are ignored."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2))
    up.start()
    up.handle(VEH.mission_ack_encode(255, 190, 0, 0))
    assert not up.done
    assert up.handle(VEH.mission_request_int_encode(255, 190, 0, 1)) == []  # fence
    assert up.handle(VEH.mission_request_int_encode(254, 190, 0, 0)) == []  # other GCS
    assert up.handle(VEH.mission_request_int_encode(255, 190, 9, 0)) == []  # out of range


def test_upload_timeouts_resend_count_then_fail():
    """Unanswered MISSION_COUNT is resent; after max_retries without progress the upload fails."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2), max_retries=3)
    up.start()
    for _ in range(3):
        (again,) = up.on_timeout()
        assert again.get_type() == "MISSION_COUNT"
    assert up.on_timeout() == []
    assert isinstance(up.error, MissionTimeout)


def test_upload_progress_resets_retry_budget():
    """A new request after some timeouts resets the retry count."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3), max_retries=2)
    up.start()
    up.on_timeout()
    up.on_timeout()
    up.handle(VEH.mission_request_int_encode(255, 190, 0, 0))
    assert up.retries == 0
    up.on_timeout()
    assert not up.done


def test_upload_rejects_bad_sequence_numbers():
    """Items whose seq does not match their position are refused before sending."""
    with pytest.raises(ValueError, match="seq"):
        UploadTransfer(GCS, (2, 1), 255, [MissionItem(seq=1, frame=6, command=16)])


def test_download_requests_each_item_then_acks():
    """Download: REQUEST_LIST, COUNT, one REQUEST_INT per item, final ACK; items in order."""
    down = DownloadTransfer(GCS, (2, 1), 255, mission_type=1)
    (req,) = down.start()
    assert req.get_type() == "MISSION_REQUEST_LIST"
    assert req.mission_type == 1
    (r0,) = down.handle(VEH.mission_count_encode(255, 190, 2, 1))
    assert r0.get_type() == "MISSION_REQUEST_INT"
    assert r0.seq == 0
    # a duplicate of nothing we asked for is ignored
    assert (
        down.handle(VEH.mission_item_int_encode(255, 190, 1, 5, 5000, 0, 1, 0, 0, 0, 0, 1, 2, 3, 1))
        == []
    )
    (r1,) = down.handle(
        VEH.mission_item_int_encode(255, 190, 0, 5, 5001, 0, 1, 0, 0, 0, 0, 1, 2, 3, 1)
    )
    assert r1.seq == 1
    (ack,) = down.handle(
        VEH.mission_item_int_encode(255, 190, 1, 5, 5001, 0, 1, 0, 0, 0, 0, 4, 5, 6, 1)
    )
    assert ack.get_type() == "MISSION_ACK"
    assert ack.type == 0
    assert down.done
    assert [i.y for i in down.items] == [2, 5]


def test_download_empty_and_refused():
    """An empty list completes at once; an error ACK fails with MissionDownloadError."""
    down = DownloadTransfer(GCS, (2, 1), 255)
    down.start()
    (ack,) = down.handle(VEH.mission_count_encode(255, 190, 0, 0))
    assert down.done
    assert down.items == []
    assert ack.get_type() == "MISSION_ACK"
    bad = DownloadTransfer(GCS, (2, 1), 255)
    bad.start()
    bad.handle(VEH.mission_ack_encode(255, 190, 14, 0))  # DENIED
    assert isinstance(bad.error, MissionDownloadError)
    assert bad.error.result_name == "DENIED"


def test_download_legacy_items_converted_to_int():
    """A MISSION_ITEM reply (float degrees) is stored as degE7."""
    down = DownloadTransfer(GCS, (2, 1), 255)
    down.start()
    down.handle(VEH.mission_count_encode(255, 190, 1, 0))
    down.handle(VEH.mission_item_encode(255, 190, 0, 3, 16, 0, 1, 0, 0, 0, 0, 29.05, 119.17, 40, 0))
    assert (down.items[0].x, down.items[0].y) == (290500000, 1191700000)


def test_clear_and_set_current():
    """Clear completes on ACK; set-current completes when MISSION_CURRENT shows the seq."""
    clear = ClearTransfer(GCS, (2, 1), 255, 255, 3)
    (msg,) = clear.start()
    assert msg.get_type() == "MISSION_CLEAR_ALL"
    assert msg.mission_type == 255
    clear.handle(VEH.mission_ack_encode(255, 190, 0, 255))
    assert clear.done
    assert clear.error is None
    cur = SetCurrentTransfer(GCS, (2, 1), 255, 4)
    cur.start()
    cur.handle(VEH.mission_current_encode(3))
    assert not cur.done
    cur.handle(VEH.mission_current_encode(4))
    assert cur.done


def test_upload_invalid_sequence_after_a_resend_sends_the_next_item():
    """A resend answered INVALID_SEQUENCE: the vehicle holds the item and its request for the
    next was lost, so the next goes out at once instead of after ArduPilot's 1 s re-request."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(4))
    up.start()
    up.handle(_req(0))
    up.handle(_req(1))
    assert up.handle(_ack(13)) == []  # a duplicate's answer, no resend of ours: nothing to infer
    (again,) = up.on_timeout()
    assert again.seq == 1
    (nxt,) = up.handle(_ack(13), now=1.0)
    assert (nxt.get_type(), nxt.seq) == ("MISSION_ITEM_INT", 2)
    assert up.inferred_requests == 1
    assert up.last_was_repeat  # a guess: the reply to it times nothing
    assert up.highest_requested == 1  # not progress: the vehicle did not say so
    assert up.handle(_ack(13)) == []  # a second answer to an older copy: no second guess
    (item3,) = up.handle(_req(3))
    assert item3.seq == 3
    up.handle(_ack(0))
    assert up.done
    assert up.error is None


def test_upload_lost_item_is_resent_on_the_timer_and_the_vehicle_asks_on():
    """A lost item is resent by the station's timer; the vehicle stores it and asks for the next."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3))
    up.start()
    up.handle(_req(0))
    (again,) = up.on_timeout()
    (again2,) = up.on_timeout()
    assert again.seq == again2.seq == 0
    assert up.timeout_resends == 2
    (item1,) = up.handle(_req(1))
    assert item1.seq == 1
    assert up.retries == 0


def test_upload_guesses_stop_a_few_items_past_the_last_request():
    """Each guess needs a resend answered INVALID_SEQUENCE, and guessing stops
    ``max_inferred_ahead`` past the last request seen: a stale answer walks the station no
    further than that; the vehicle's own re-request puts it back on track."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(10), max_inferred_ahead=2)
    up.start()
    up.handle(_req(0))
    sent = []
    for _ in range(4):
        up.on_timeout()
        sent += [m.seq for m in up.handle(_ack(13))]
    assert sent == [1, 2]
    assert up.inferred_requests == 2
    (back,) = up.handle(_req(1))  # the vehicle asks for what it still wants
    assert back.seq == 1
    up.on_timeout()
    assert [m.seq for m in up.handle(_ack(13))] == [2]


def test_upload_no_guess_past_the_last_item():
    """Once the last item went out, INVALID_SEQUENCE guesses nothing (the final ACK decides)."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2))
    up.start()
    up.handle(_req(0))
    up.handle(_req(1))
    up.on_timeout()
    assert up.handle(_ack(13)) == []
    assert not up.done
    assert up.inferred_requests == 0


def test_download_from_a_given_item_on():
    """``first`` asks only for the items from that seq on (the last one, after a lost ACK)."""
    down = DownloadTransfer(GCS, (2, 1), 255, first=2)
    down.start()
    (req,) = down.handle(VEH.mission_count_encode(255, 190, 3, 0))
    assert req.seq == 2
    item = _items(3)[2]
    reply = VEH.mission_item_int_encode(
        255, 190, 2, item.frame, item.command, 0, 1, 0, 0, 0, 0, item.x, item.y, item.z, 0
    )
    (ack,) = down.handle(reply)
    assert ack.get_type() == "MISSION_ACK"
    assert down.done
    assert [i.seq for i in down.items] == [2]


def test_download_ignores_answers_to_the_last_uploads_late_copies():
    """ERROR or INVALID_SEQUENCE before MISSION_COUNT answer a copy of the previous upload's last
    item that arrived after it ended; the download goes on. After the count they refuse it."""
    down = DownloadTransfer(GCS, (2, 1), 255)
    down.start()
    assert down.handle(_ack(1)) == []  # ERROR: "not receiving"
    assert down.handle(_ack(13)) == []
    assert not down.done
    (req,) = down.handle(VEH.mission_count_encode(255, 190, 2, 0))
    assert req.seq == 0
    down.handle(_ack(1))
    assert isinstance(down.error, MissionDownloadError)
