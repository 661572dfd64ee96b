"""The sans-I/O codec: split frames, sequence numbers, MAVLink 2 signing."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import Encoder, Parser
from simulator.signing import SigningState, now_timestamp

M = mavlink2
KEY = bytes(range(32))


def _heartbeat(enc: Encoder) -> bytes:
    data = enc.encode(enc.mav.heartbeat_encode(6, 8, 0, 0, 0))
    assert data is not None
    return data


def test_frame_split_across_datagrams() -> None:
    """A frame fed one byte at a time comes out once, when complete."""
    data = _heartbeat(Encoder(3))
    parser = Parser()
    got = [m for i in range(len(data)) for m in parser.feed(data[i : i + 1])]
    assert [m.get_srcSystem() for m in got] == [3]


def test_encoder_numbers_frames() -> None:
    """Consecutive frames carry consecutive sequence numbers, wrapping at 256."""
    enc = Encoder(1)
    seqs = [_heartbeat(enc)[4] for _ in range(258)]
    assert seqs[:3] == [0, 1, 2]
    assert seqs[256:] == [0, 1]


def test_signed_frames_accepted_with_the_right_key() -> None:
    """A frame signed with the shared key passes; the same key signs what the vehicle sends."""
    data = _heartbeat(Encoder(1, signing_key=KEY))
    assert data[2] & M.MAVLINK_IFLAG_SIGNED
    parser = Parser(KEY)
    assert len(parser.feed(data)) == 1


def test_unsigned_and_wrongly_signed_frames_rejected() -> None:
    """With a key set, unsigned and wrongly signed frames are dropped and counted."""
    parser = Parser(KEY)
    assert parser.feed(_heartbeat(Encoder(1))) == []
    assert parser.feed(_heartbeat(Encoder(1, signing_key=bytes(32)))) == []
    assert parser.bad_frames == 2
    assert parser.bad_signatures == 2


def test_replayed_signed_frame_rejected() -> None:
    """A signed frame replayed (same timestamp) is refused the second time."""
    data = _heartbeat(Encoder(1, signing_key=KEY))
    parser = Parser(KEY)
    assert len(parser.feed(data)) == 1
    assert parser.feed(data) == []


def test_bad_system_id_refused() -> None:
    """An encoder for system 0 or 256 is a programming error with a clear message."""
    with pytest.raises(ValueError, match="system id"):
        Encoder(0)


def _signed_heartbeat(key: bytes, timestamp: int) -> object:
    mav = M.MAVLink(None, 255, 190)
    mav.signing.secret_key = key
    mav.signing.sign_outgoing = True
    mav.signing.timestamp = timestamp
    frame = mav.heartbeat_encode(6, 8, 0, 0, 0).pack(mav)
    return Parser().feed(frame)[0]


def test_vehicle_signing_state_checks_key_replay_and_age() -> None:
    """SigningState accepts the right key once per timestamp, refuses stale new streams."""
    now = now_timestamp()
    state = SigningState(KEY)
    good = _signed_heartbeat(KEY, now + 10)
    assert state.accept(good)
    assert not state.accept(good)  # replay
    assert not state.accept(_signed_heartbeat(bytes(32), now + 20))  # wrong key
    old = SigningState(KEY)
    assert not old.accept(_signed_heartbeat(KEY, now - 10_000_000))  # 100 s in the past
    assert old.rejected == 1
    off = SigningState(bytes(32))
    assert not off.enabled
    assert off.accept(good)
