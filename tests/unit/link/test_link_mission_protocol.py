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


def test_upload_ignores_repeated_request_for_item_just_sent():
    """A second request for the item just answered is not answered again (no duplicate storm)."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(3))
    up.start()
    assert len(up.handle(VEH.mission_request_int_encode(255, 190, 0, 0))) == 1
    assert up.handle(VEH.mission_request_int_encode(255, 190, 0, 0)) == []
    assert up.duplicate_requests == 1
    (again,) = up.on_timeout()
    assert again.seq == 0


def test_upload_legacy_request_gets_legacy_item():
    """A MISSION_REQUEST (legacy) is answered with MISSION_ITEM in float degrees."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(1))
    up.start()
    (item,) = up.handle(VEH.mission_request_encode(255, 190, 0, 0))
    assert item.get_type() == "MISSION_ITEM"
    assert item.x == pytest.approx(29.05)
    assert up.legacy_requests == 1


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


def test_upload_timeouts_resend_then_fail():
    """Timeouts resend the last message; after max_retries without progress the upload fails."""
    up = UploadTransfer(GCS, (2, 1), 255, _items(2), max_retries=3)
    up.start()
    up.handle(VEH.mission_request_int_encode(255, 190, 0, 0))
    for _ in range(3):
        (again,) = up.on_timeout()
        assert again.get_type() == "MISSION_ITEM_INT"
        assert again.seq == 0
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
