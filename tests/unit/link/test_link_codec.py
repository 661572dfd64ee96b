"""Codec tests: recorded and constructed bytes, split, garbage, bad CRC, signing."""

from __future__ import annotations

import random

import pytest

from groundstation.link.codec import Decoder, Encoder, enum_name, message_name
from groundstation.link.signing import SigningConfig, key_from_passphrase


def _vehicle_frames(n: int = 5, system: int = 7) -> list[bytes]:
    enc = Encoder(system=system, component=1)
    out = [enc.encode(enc.mav.heartbeat_encode(2, 3, 1, 4, 4))]
    for i in range(n - 1):
        out.append(
            enc.encode(
                enc.mav.global_position_int_encode(i, 290500000 + i, 1191700000, 1, 2, 3, 4, 5, 6)
            )
        )
    return out


def test_every_byte_split_still_decodes_all_frames():
    """Feeding a stream one byte at a time yields exactly the frames, in order."""
    frames = _vehicle_frames(6)
    dec = Decoder()
    got = []
    for b in b"".join(frames):
        got += dec.feed(bytes([b]))
    assert [m.get_type() for m in got] == ["HEARTBEAT"] + ["GLOBAL_POSITION_INT"] * 5
    assert [m.time_boot_ms for m in got[1:]] == [0, 1, 2, 3, 4]
    assert dec.stats.frames == 6
    assert dec.stats.errors == 0


def test_garbage_between_frames_is_counted_and_skipped():
    """Random bytes without start markers are counted as garbage; the frames around them survive."""
    frames = _vehicle_frames(3)
    junk = bytes(b for b in random.Random(1).randbytes(200) if b not in (0xFD, 0xFE))
    dec = Decoder()
    got = dec.feed(frames[0] + junk + frames[1] + junk + frames[2])
    assert len(got) == 3
    assert dec.stats.garbage_bytes == 2 * len(junk)


def test_wrong_crc_frame_dropped_and_next_frame_found():
    """A frame with a corrupted CRC is counted and the following frame still decodes."""
    frames = _vehicle_frames(3)
    bad = bytearray(frames[1])
    bad[-1] ^= 0xFF
    dec = Decoder()
    got = dec.feed(frames[0] + bytes(bad) + frames[2])
    assert [m.time_boot_ms for m in got if m.get_type() == "GLOBAL_POSITION_INT"] == [1]
    assert dec.stats.bad_crc == 1


def test_false_start_marker_does_not_swallow_real_frame():
    """Garbage ending in 0xFD with a long length does not hide the real frame after it."""
    frames = _vehicle_frames(2)
    dec = Decoder()
    got = dec.feed(b"\x01\x02\xfd\xff\x00" + frames[1], datagram=True)
    assert [m.get_type() for m in got] == ["GLOBAL_POSITION_INT"]
    assert dec.stats.errors > 0


def test_truncated_datagram_counted_and_next_datagram_clean():
    """A datagram cut short is counted as truncated and does not poison the next datagram."""
    frames = _vehicle_frames(2)
    dec = Decoder()
    assert dec.feed(frames[1][:10], datagram=True) == []
    assert dec.stats.truncated >= 1
    assert [m.get_type() for m in dec.feed(frames[0], datagram=True)] == ["HEARTBEAT"]


def test_random_bytes_never_raise():
    """A megabyte of random bytes, markers included, decodes without raising."""
    rng = random.Random(42)
    dec = Decoder()
    for _ in range(100):
        dec.feed(rng.randbytes(rng.randint(1, 2000)), datagram=True)
    assert dec.stats.bytes_in > 0
    assert dec.stats.errors > 0


def test_unknown_message_id_counted():
    """A CRC-less frame with a message id outside the dialect is counted as unknown."""
    frame = bytes([0xFD, 1, 0, 0, 0, 9, 1, 0xAA, 0xAA, 0xAA, 0x00, 0x12, 0x34])
    dec = Decoder()
    assert dec.feed(frame, datagram=True) == []
    assert dec.stats.unknown_msgid == 1


def test_signed_frames_accepted_and_unsigned_rejected_when_required():
    """With reject_unsigned, signed frames with the right key pass and unsigned ones are dropped."""
    key = key_from_passphrase("longyou")
    signed_enc = Encoder(7, 1, SigningConfig(key))
    plain_enc = Encoder(8, 1)
    dec = Decoder(SigningConfig(key, reject_unsigned=True))
    good = signed_enc.encode(signed_enc.mav.heartbeat_encode(2, 3, 1, 4, 4))
    plain = plain_enc.encode(plain_enc.mav.heartbeat_encode(2, 3, 1, 4, 4))
    got = dec.feed(good + plain)
    assert [m.get_srcSystem() for m in got] == [7]
    assert dec.stats.bad_signature == 1
    assert dec.stats.signed_ok == 1


def test_wrong_key_rejected():
    """A frame signed with another key is rejected when unsigned frames are not allowed."""
    enc = Encoder(7, 1, SigningConfig(key_from_passphrase("other")))
    dec = Decoder(SigningConfig(key_from_passphrase("longyou"), reject_unsigned=True))
    assert dec.feed(enc.encode(enc.mav.heartbeat_encode(2, 3, 1, 4, 4))) == []
    assert dec.stats.bad_signature == 1


def test_encoder_sequence_wraps_and_ids_validated():
    """The encoder's seq counts 0..255 and wraps; bad system ids are refused."""
    enc = Encoder(9, 1)
    seqs = []
    dec = Decoder()
    for _ in range(260):
        seqs += [m.get_seq() for m in dec.feed(enc.encode(enc.mav.heartbeat_encode(6, 8, 0, 0, 4)))]
    assert seqs[:3] == [0, 1, 2]
    assert seqs[256] == 0
    with pytest.raises(ValueError, match="system id"):
        Encoder(0, 1)


def test_names():
    """Message and enum names resolve, unknown values get a placeholder."""
    assert message_name(0) == "HEARTBEAT"
    assert enum_name("MAV_RESULT", 2) == "MAV_RESULT_DENIED"
    assert message_name(999999) == "MSG_999999"


def test_signing_config_validates_key():
    """A signing key that is not 32 bytes is refused with a clear message."""
    with pytest.raises(ValueError, match="32 bytes"):
        SigningConfig(b"short")
    with pytest.raises(ValueError, match="empty"):
        key_from_passphrase("")
