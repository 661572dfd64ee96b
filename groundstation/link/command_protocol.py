"""COMMAND_LONG / COMMAND_INT with acknowledgement, retries and typed results.

A command waits for its COMMAND_ACK, matched by (sysid, compid, command) through a dict of
futures. Without an answer it is resent with the ``confirmation`` field counting up (COMMAND_LONG),
``retries`` times. ``MAV_RESULT_IN_PROGRESS`` extends the wait without resending. Any result but
ACCEPTED raises a typed :class:`~groundstation.errors.CommandError` carrying the command, its
parameters, the result and the last STATUSTEXT the vehicle sent (ArduPilot explains a refused
arm there: "PreArm: Need 3D Fix").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.errors import (
    CommandDenied,
    CommandError,
    CommandRejected,
    CommandTimeout,
    CommandUnsupported,
)
from groundstation.link.codec import MavMessage, enum_name

Key = tuple[int, int, int]  # (sysid, compid, command)


@dataclass(frozen=True, slots=True)
class CommandTiming:
    """How long to wait for an ACK, how often to resend, how long IN_PROGRESS may last."""

    ack_timeout_s: float = 1.0
    retries: int = 3
    in_progress_timeout_s: float = 30.0


def command_name(command: int) -> str:
    """``MAV_CMD_NAV_TAKEOFF`` -> ``NAV_TAKEOFF``.

    >>> command_name(22)
    'NAV_TAKEOFF'
    """
    return enum_name("MAV_CMD", command).removeprefix("MAV_CMD_")


def result_label(result: int) -> str:
    """``MAV_RESULT_DENIED`` -> ``DENIED``.

    >>> result_label(4)
    'FAILED'
    """
    return enum_name("MAV_RESULT", result).removeprefix("MAV_RESULT_")


def error_for(
    sysid: int, command: int, params: Sequence[float], result: int, reason: str
) -> CommandError:
    """The typed error for a COMMAND_ACK result other than ACCEPTED."""
    cls: type[CommandError]
    if result == mavlink.MAV_RESULT_DENIED:
        cls = CommandDenied
    elif result == mavlink.MAV_RESULT_UNSUPPORTED:
        cls = CommandUnsupported
    else:
        cls = CommandRejected
    return cls(sysid, command, command_name(command), params, result, result_label(result), reason)


class AckRouter:
    """Pending commands by (sysid, compid, command); COMMAND_ACKs resolve their futures."""

    def __init__(self) -> None:
        self._pending: dict[Key, asyncio.Queue[MavMessage]] = {}
        self.unmatched = 0

    def pending(self) -> list[Key]:
        return list(self._pending)

    def open(self, key: Key) -> asyncio.Queue[MavMessage]:
        if key in self._pending:
            raise RuntimeError(f"command {key} already in flight")
        queue: asyncio.Queue[MavMessage] = asyncio.Queue()
        self._pending[key] = queue
        return queue

    def close(self, key: Key) -> None:
        self._pending.pop(key, None)

    def handle_ack(self, sysid: int, compid: int, msg: MavMessage, own_system: int) -> bool:
        """Route a COMMAND_ACK; ``False`` if no command was waiting for it."""
        target = int(getattr(msg, "target_system", 0))
        if target not in (0, own_system):
            return False
        queue = self._pending.get((sysid, compid, int(msg.command)))
        if queue is None:
            self.unmatched += 1
            return False
        queue.put_nowait(msg)
        return True


class CommandSender:
    """Sends commands to one vehicle and waits for their outcome."""

    def __init__(
        self,
        mav: Any,
        send: Callable[[MavMessage], None],
        router: AckRouter,
        target: tuple[int, int],
        own_system: int,
        last_text: Callable[[float], str],
        timing: CommandTiming | None = None,
    ) -> None:
        self._mav = mav
        self._send = send
        self._router = router
        self.sysid, self.compid = target
        self._own = own_system
        self._last_text = last_text
        self.timing = timing or CommandTiming()
        self._locks: dict[int, asyncio.Lock] = {}

    async def long(
        self, command: int, *params: float, timing: CommandTiming | None = None
    ) -> MavMessage:
        """Send COMMAND_LONG ``command`` with up to 7 params; return the accepting COMMAND_ACK."""
        if len(params) > 7:
            raise ValueError(f"COMMAND_LONG takes at most 7 params, got {len(params)}")
        full = [float(p) for p in params] + [0.0] * (7 - len(params))

        def build(confirmation: int) -> MavMessage:
            msg: MavMessage = self._mav.command_long_encode(
                self.sysid, self.compid, command, min(confirmation, 255), *full
            )
            return msg

        return await self._run(command, full, build, timing or self.timing)

    async def int_(
        self,
        command: int,
        frame: int,
        params: Sequence[float],
        x: int,
        y: int,
        z: float,
        timing: CommandTiming | None = None,
    ) -> MavMessage:
        """Send COMMAND_INT (positions as degE7) and return the accepting COMMAND_ACK."""
        p = [float(v) for v in params] + [0.0] * (4 - len(params))
        shown = [*p[:4], float(x), float(y), float(z)]

        def build(_confirmation: int) -> MavMessage:
            msg: MavMessage = self._mav.command_int_encode(
                self.sysid, self.compid, frame, command, 0, 0, *p[:4], x, y, z
            )
            return msg

        return await self._run(command, shown, build, timing or self.timing)

    async def _run(
        self,
        command: int,
        params: list[float],
        build: Callable[[int], MavMessage],
        timing: CommandTiming,
    ) -> MavMessage:
        lock = self._locks.setdefault(command, asyncio.Lock())
        async with lock:
            key = (self.sysid, self.compid, command)
            queue = self._router.open(key)
            try:
                return await self._exchange(command, params, build, timing, queue)
            finally:
                self._router.close(key)

    async def _exchange(
        self,
        command: int,
        params: list[float],
        build: Callable[[int], MavMessage],
        timing: CommandTiming,
        queue: asyncio.Queue[MavMessage],
    ) -> MavMessage:
        loop = asyncio.get_running_loop()
        attempt = 0
        started = loop.time()
        self._send(build(attempt))
        deadline = loop.time() + timing.ack_timeout_s
        in_progress = False
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    ack = await queue.get()
            except TimeoutError:
                if in_progress or attempt >= timing.retries:
                    what = "still IN_PROGRESS" if in_progress else "no COMMAND_ACK"
                    raise CommandTimeout(
                        self.sysid,
                        command,
                        command_name(command),
                        params,
                        None,
                        "TIMEOUT",
                        f"{what} after {attempt + 1} attempt(s)",
                    ) from None
                attempt += 1
                self._send(build(attempt))
                deadline = loop.time() + timing.ack_timeout_s
                continue
            result = int(ack.result)
            if result == mavlink.MAV_RESULT_ACCEPTED:
                return ack
            if result == mavlink.MAV_RESULT_IN_PROGRESS:
                in_progress = True
                deadline = loop.time() + timing.in_progress_timeout_s
                continue
            raise error_for(self.sysid, command, params, result, self._last_text(started))
