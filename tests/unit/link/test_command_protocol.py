"""Command tests: ACK matching by (sysid, compid, command), retries, IN_PROGRESS, typed errors."""

from __future__ import annotations

import asyncio

import pytest

from groundstation.errors import (
    CommandDenied,
    CommandRejected,
    CommandTimeout,
    CommandUnsupported,
)
from groundstation.link.codec import Encoder
from groundstation.link.command_protocol import AckRouter, CommandSender, CommandTiming

FAST = CommandTiming(ack_timeout_s=0.05, retries=2, in_progress_timeout_s=0.5)
VEH = Encoder(2, 1).mav  # builds the vehicle's COMMAND_ACKs


def _setup(texts: str = ""):
    sent: list[object] = []
    router = AckRouter()
    station = Encoder(255, 190).mav
    sender = CommandSender(station, sent.append, router, (2, 1), 255, lambda since: texts, FAST)
    return sent, router, sender


def _ack(command: int, result: int, target: int = 255):
    return VEH.command_ack_encode(command, result, 0, 0, target, 190)


async def test_accepted_ack_completes_command():
    """An ACCEPTED ack for the same (sysid, compid, command) completes the call."""
    sent, router, sender = _setup()
    task = asyncio.create_task(sender.long(400, 1))
    await asyncio.sleep(0)
    assert router.handle_ack(2, 1, _ack(400, 0), 255)
    ack = await task
    assert ack.result == 0
    assert sent[0].command == 400
    assert sent[0].target_system == 2
    assert sent[0].param1 == 1


async def test_ack_from_other_vehicle_or_command_not_matched():
    """ACKs from another system, component or command do not complete the call."""
    _sent, router, sender = _setup()
    task = asyncio.create_task(sender.long(400, 1))
    await asyncio.sleep(0)
    assert not router.handle_ack(3, 1, _ack(400, 0), 255)
    assert not router.handle_ack(2, 1, _ack(176, 0), 255)
    assert not router.handle_ack(2, 1, _ack(400, 0, target=17), 255)
    with pytest.raises(CommandTimeout):
        await task
    assert router.unmatched == 2


async def test_retries_count_up_confirmation_then_time_out():
    """Without an ACK the command is resent with confirmation 0,1,2 and then times out."""
    sent, _, sender = _setup()
    with pytest.raises(CommandTimeout) as info:
        await sender.long(22, 0, 0, 0, 0, 0, 0, 30)
    assert [m.confirmation for m in sent] == [0, 1, 2]
    assert info.value.command == 22
    assert info.value.params[6] == 30
    assert "NAV_TAKEOFF" in str(info.value)


async def test_in_progress_waits_for_final_result():
    """IN_PROGRESS stops resending and waits for the final ACK."""
    sent, router, sender = _setup()
    task = asyncio.create_task(sender.long(241))
    await asyncio.sleep(0)
    router.handle_ack(2, 1, _ack(241, 5), 255)
    await asyncio.sleep(0.12)  # longer than two ack timeouts
    assert len(sent) == 1
    router.handle_ack(2, 1, _ack(241, 0), 255)
    assert (await task).result == 0


@pytest.mark.parametrize(
    ("result", "error"),
    [(1, CommandRejected), (2, CommandDenied), (3, CommandUnsupported), (4, CommandRejected)],
)
async def test_results_map_to_typed_errors(result, error):
    """Each MAV_RESULT failure raises its error type carrying command, params and reason."""
    _, router, sender = _setup(texts="PreArm: Need 3D Fix")
    task = asyncio.create_task(sender.long(400, 1))
    await asyncio.sleep(0)
    router.handle_ack(2, 1, _ack(400, result), 255)
    with pytest.raises(error) as info:
        await task
    assert info.value.result == result
    assert info.value.params[0] == 1.0
    assert info.value.reason == "PreArm: Need 3D Fix"
    assert "COMPONENT_ARM_DISARM" in str(info.value)


async def test_command_int_carries_position():
    """COMMAND_INT sends the frame and degE7 position and completes on its ACK."""
    sent, router, sender = _setup()
    task = asyncio.create_task(sender.int_(192, 6, [-1, 1, 0, 0], 290500000, 1191700000, 40.0))
    await asyncio.sleep(0)
    router.handle_ack(2, 1, _ack(192, 0), 255)
    await task
    assert (sent[0].x, sent[0].y, sent[0].frame) == (290500000, 1191700000, 6)


async def test_too_many_params_refused():
    """COMMAND_LONG with more than seven params is refused before sending."""
    sent, _, sender = _setup()
    with pytest.raises(ValueError, match="at most 7"):
        await sender.long(1, *range(8))
    assert sent == []
