"""Bad input on the wire: nothing crashes, the right NACK is sent, and the vehicle keeps flying."""

from __future__ import annotations

import random

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.codec import Encoder, Parser
from simulator.mission_items import MISSION
from simulator.modes import AUTO
from tests.unit.simulator.gcs import HOME, Gcs, item, of, one, survey_mission

M = mavlink2


def _frame(gcs: Gcs, msg: object) -> bytes:
    data: bytes = msg.pack(gcs.mav)  # type: ignore[attr-defined]
    gcs.mav.seq = (gcs.mav.seq + 1) % 256
    return data


@pytest.fixture
def flying(gcs: Gcs, ap: Autopilot) -> Gcs:
    gcs.upload(survey_mission(0.003))
    gcs.set_mode(AUTO)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    gcs.run(20)
    assert ap.flying
    assert ap.runner.current == 3
    return gcs


def test_garbage_bytes_are_skipped_and_counted(flying: Gcs, ap: Autopilot) -> None:
    """Random garbage between good frames is counted and the good frames still work."""
    parser = Parser()
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(500)).replace(b"\xfd", b"").replace(b"\xfe", b"")
    good = _frame(
        flying,
        flying.mav.command_long_encode(1, 1, M.MAV_CMD_DO_CHANGE_SPEED, 0, 1, 6, 0, 0, 0, 0, 0),
    )
    out = flying.feed_bytes(junk + good + junk, parser)
    assert one(out, "COMMAND_ACK").result == M.MAV_RESULT_ACCEPTED
    assert parser.bad_frames >= 1
    assert ap.speed_override == 6


def test_truncated_frame_then_good_frame(flying: Gcs) -> None:
    """A frame cut short is dropped (its bytes count as bad); the next full frame is understood."""
    parser = Parser()
    good = _frame(flying, flying.mav.param_request_read_encode(1, 1, b"RTL_ALT", -1))
    # a truncated v2 frame whose claimed length swallows part of the next frame
    out = flying.feed_bytes(good[:7] + good + good, parser)
    assert len(of(out, "PARAM_VALUE")) >= 1
    assert parser.bad_frames >= 1


def test_wrong_crc_is_rejected(flying: Gcs, ap: Autopilot) -> None:
    """A frame with a broken checksum is not obeyed."""
    parser = Parser()
    frame = bytearray(
        _frame(
            flying, flying.mav.command_long_encode(1, 1, M.MAV_CMD_NAV_LAND, 0, 0, 0, 0, 0, 0, 0, 0)
        )
    )
    frame[-1] ^= 0xFF
    out = flying.feed_bytes(bytes(frame), parser)
    assert out == []
    assert parser.bad_frames == 1
    assert ap.mode == AUTO


def test_unknown_message_id_is_ignored(flying: Gcs, ap: Autopilot) -> None:
    """A well-formed MAVLink 2 frame with an unknown message id is dropped; flight continues."""
    parser = Parser()
    header = bytes([0xFD, 3, 0, 0, 0, 255, 190, 0x39, 0x30, 0x00])  # msgid 12345
    out = flying.feed_bytes(header + b"abc" + b"\x00\x00", parser)
    assert out == []
    assert parser.unknown_ids == 1
    flying.run(5)
    assert ap.flying
    assert ap.mode == AUTO


def test_out_of_range_items_rejected_and_flight_continues(flying: Gcs, ap: Autopilot) -> None:
    """Latitude 95 and longitude 200 are NACKed and the vehicle flies on. As in ArduPilot, the
    MISSION_COUNT already truncated the mission and item 0 was written: it is now 2 items."""
    before = ap.mission.items[MISSION]
    for bad, code in [
        (item(1, 16, 95.0, HOME[1], 20), M.MAV_MISSION_INVALID_PARAM5_X),
        (item(1, 16, HOME[0], 200.0, 20), M.MAV_MISSION_INVALID_PARAM6_Y),
        (item(1, 16, HOME[0], HOME[1], float("inf")), M.MAV_MISSION_INVALID_PARAM7),
        (
            item(1, 16, HOME[0], HOME[1], 20, frame=M.MAV_FRAME_BODY_FRD),
            M.MAV_MISSION_UNSUPPORTED_FRAME,
        ),
    ]:
        items = [item(0, 16, *HOME[:2]), bad]
        assert flying.upload(items).type == code
    assert flying.upload([item(0, 16, *HOME[:2])] * 65535).type == M.MAV_MISSION_NO_SPACE
    assert ap.mission.items[MISSION][1:] == before[1:2]
    flying.run(10)
    assert ap.flying


def test_mavlink1_frames_are_understood_and_answered_in_kind(ap: Autopilot) -> None:
    """A MAVLink 1 PARAM_REQUEST_READ is answered; an Encoder in v1 mode frames replies as v1."""
    gcs_mav = M.MAVLink(None, 255, 190)
    frame = gcs_mav.param_request_read_encode(1, 1, b"RTL_ALT", -1).pack(
        gcs_mav, force_mavlink1=True
    )
    assert frame[0] == 0xFE
    msgs = Parser().feed(frame)
    ap.handle(msgs[0])
    reply = one(ap.drain(), "PARAM_VALUE")
    enc = Encoder(1)
    enc.mavlink1 = True
    assert enc.encode(reply)[0] == 0xFE  # type: ignore[index]
    big = ap.mav.open_drone_id_system_update_encode(0, 0, 0, 0, 0, 0)  # id 12919: no v1 form
    assert enc.encode(big) is None
