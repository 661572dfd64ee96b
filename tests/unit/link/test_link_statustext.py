"""STATUSTEXT chunks reassembled: in order, out of order, interleaved, cut short."""

from __future__ import annotations

from typing import Any

from groundstation.link.codec import Decoder, Encoder
from groundstation.link.statustext import StatusTextAssembler

VEHICLE = Encoder(2, 1)

LONG = "PreArm: No return path or landing sequence found; check the mission for a DO_LAND_START"


def _wire(text: bytes, text_id: int = 0, seq: int = 0, severity: int = 3):
    """A STATUSTEXT as the station decodes it off the wire (text up to its first NUL)."""
    frame = VEHICLE.encode(VEHICLE.mav.statustext_encode(severity, text, text_id, seq))
    (msg,) = Decoder().feed(frame, datagram=True)
    return msg


def _chunks(text: str, text_id: int) -> list[Any]:
    data = text.encode()
    return [_wire(data[i : i + 50], text_id, n) for n, i in enumerate(range(0, len(data), 50))]


def test_single_message_texts_pass_straight_through():
    asm = StatusTextAssembler()
    assert asm.feed(_wire(b"Mission: 3 WP"), 0.0) == [(3, "Mission: 3 WP")]
    assert asm.feed(_wire(b"x" * 50), 0.0) == [(3, "x" * 50)]  # id 0: whole, even at 50
    assert not asm.pending


def test_chunks_in_order_make_one_text():
    asm = StatusTextAssembler()
    first, second = _chunks(LONG, 9)
    assert len(first.text) == 50
    assert asm.feed(first, 0.0) == []
    assert asm.pending
    assert asm.feed(second, 0.01) == [(3, LONG)]
    assert not asm.pending


def test_chunks_out_of_order_and_interleaved_with_other_texts():
    asm = StatusTextAssembler()
    a0, a1 = _chunks(LONG, 1)
    b0, b1 = _chunks("B" * 60, 2)
    out = []
    for msg in (a1, b0, _wire(b"between"), a0, b1):
        out += asm.feed(msg, 0.0)
    assert out == [(3, "between"), (3, LONG), (3, "B" * 60)]


def test_a_text_cut_short_is_given_out_after_the_timeout_with_the_gap_marked():
    asm = StatusTextAssembler(timeout_s=1.0)
    text = "A" * 50 + "B" * 50 + "C" * 10
    c0, _c1, c2 = _chunks(text, 4)
    assert asm.feed(c0, 0.0) == []
    assert asm.feed(c2, 0.2) == []
    assert asm.expire(0.5) == []
    assert asm.expire(1.1) == [(3, "A" * 50 + "..." + "C" * 10)]
    assert asm.incomplete == 1
    d0, _d1 = _chunks(LONG, 5)
    asm.feed(d0, 2.0)
    assert asm.expire(3.5) == [(3, LONG[:50] + "...")]


def test_a_sender_that_never_ends_its_texts_cannot_grow_the_buffer():
    asm = StatusTextAssembler(max_open=3)
    given_out = []
    for text_id in range(1, 10):
        given_out += asm.feed(_wire(b"z" * 50, text_id), 0.0)
    assert len(asm._open) == 3
    assert len(given_out) == 6
