"""Drives the mission-protocol state machines over a live link: upload, download, clear, verify.

Timeouts adapt to the link the way TCP's do (smoothed round-trip time plus four deviations,
clamped to ``MissionTiming``), so a loopback simulator is not waited on for the spec's 1.5 s per
lost packet while a slow radio still gets its full time. Retries count timeouts in a row without
progress, so a long mission on a lossy link succeeds while a silent vehicle fails quickly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from groundstation.errors import (
    MissionError,
    MissionTimeout,
    MissionUploadError,
    MissionVerifyError,
)
from groundstation.link.codec import MavMessage
from groundstation.link.items import mission_type_code, to_wire
from groundstation.link.mission_protocol import (
    ClearTransfer,
    DownloadTransfer,
    Progress,
    SetCurrentTransfer,
    UploadTransfer,
    _Transfer,
)
from groundstation.link.stored_form import Autopilot, differences
from routes.mission import MissionItem


@dataclass(frozen=True, slots=True)
class MissionTiming:
    """Bounds of the adaptive timeout and the retry budget (timeouts in a row, no progress)."""

    min_timeout_s: float = 0.01
    max_timeout_s: float = 1.5  # the MAVLink mission-protocol default
    #: before any round trip was measured (the first MISSION_COUNT or REQUEST_LIST): resending
    #: either is harmless (ArduPilot restarts an upload from item 0 for the same station), and
    #: waiting 1.5 s for each lost one was the longest stall of an upload at 30 % loss
    first_timeout_s: float = 0.5
    max_retries: int = 20
    #: while the station paces (count, download, clear), never give up sooner than this after
    #: the last progress, however short the timeouts: a vehicle that answered a moment ago gets
    #: this long (MAVProxy waits 10 s; ArduPilot itself gives an upload 8 s)
    patience_s: float = 10.0
    #: during an upload the vehicle re-requests what it still wants (ArduPilot after 1 s, PX4
    #: after 250 ms); the station resends the item it last sent after the round-trip timeout,
    #: never later than this: below ArduPilot's 1 s, so a vehicle's re-request always comes
    #: after a resend and is never timed as a round trip (Karn)
    item_resend_s: float = 0.5
    #: ... and gives up after this many such timeouts in a row and ``patience_s`` without a new
    #: request: by then ArduPilot (8 s) and PX4 (5 s) have abandoned the upload themselves
    paced_retries: int = 6
    #: once every item went out, this long without the final ACK ends the wait (then the station
    #: counts and reads back): a vehicle still missing an item would have asked again by then
    final_ack_wait_s: float = 2.0
    #: a repeated request sooner than this after our answer is not answered again (floor of the
    #: round-trip-based guard; the vehicles above re-request no sooner than 100 ms, even ArduPilot
    #: SITL at ten times real speed)
    min_repeat_guard_s: float = 0.02


class RttEstimator:
    """RFC 6298 round-trip estimator: ``timeout_s`` = srtt + 4 * rttvar, clamped.

    >>> rtt = RttEstimator(MissionTiming())
    >>> rtt.timeout_s
    0.5
    >>> for _ in range(20):
    ...     rtt.sample(0.01)
    >>> 0.01 <= rtt.timeout_s < 0.05
    True
    """

    def __init__(self, timing: MissionTiming) -> None:
        self.timing = timing
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.min_rtt: float | None = None

    def observe(self, rtt_s: float) -> None:
        """A reply time that may include the vehicle's own pacing: it only bounds the minimum."""
        if self.min_rtt is None or rtt_s < self.min_rtt:
            self.min_rtt = rtt_s

    def sample(self, rtt_s: float) -> None:
        """A clean round trip (a reply to what the station just sent, not to a resend)."""
        self.observe(rtt_s)
        if self.srtt is None:
            self.srtt, self.rttvar = rtt_s, rtt_s / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt_s)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt_s

    @property
    def timeout_s(self) -> float:
        if self.srtt is None:
            return min(self.timing.first_timeout_s, self.timing.max_timeout_s)
        value = self.srtt + 4 * self.rttvar
        return min(self.timing.max_timeout_s, max(self.timing.min_timeout_s, value))

    def paced_timeout_s(self, cap_s: float) -> float:
        """The item timer while the vehicle paces: :attr:`timeout_s`, at most ``cap_s``.

        Before any clean round trip, twice the fastest reply seen (the first request of an
        upload, which ArduPilot sends a little late), so the first items do not wait ``cap_s``.
        """
        if self.srtt is None and self.min_rtt is not None:
            return min(cap_s, max(self.timing.min_timeout_s, 2 * self.min_rtt))
        return min(cap_s, self.timeout_s)

    @property
    def repeat_guard_s(self) -> float:
        """A request sooner than this after our answer was sent before the answer arrived.

        Twice the fastest round trip seen: the smoothed time would also count the vehicle's
        re-request delays (a lost request shows up as a one-second round trip with ArduPilot)
        and grow until it hid the very re-requests that should be answered.
        """
        fastest = 2 * self.min_rtt if self.min_rtt is not None else 0.0
        return min(self.timing.max_timeout_s, max(self.timing.min_repeat_guard_s, fastest))


class MissionPort(Protocol):
    """What the client needs from a vehicle: ids, an encoder, a way out and a way in."""

    @property
    def sysid(self) -> int: ...
    @property
    def compid(self) -> int: ...
    @property
    def own_system(self) -> int: ...
    @property
    def stored_rules(self) -> Autopilot: ...
    @property
    def supports_mission_int(self) -> bool: ...
    @property
    def mav(self) -> Any: ...
    def send_message(self, msg: MavMessage) -> None: ...
    def mission_inbox(self) -> AbstractAsyncContextManager[asyncio.Queue[MavMessage]]: ...


async def run_transfer(
    port: MissionPort, machine: _Transfer, rtt: RttEstimator, timing: MissionTiming
) -> None:
    """Run ``machine`` to completion; raise its error if it failed.

    Gives up only after ``machine.retry_budget`` timeouts in a row *and* ``timing.patience_s``
    seconds without progress (``final_ack_wait_s`` once an upload sent every item), so tiny
    loopback timeouts do not make the retry budget tiny too.
    A transfer that fails, times out or whose task is cancelled is cancelled on the vehicle too
    (MISSION_ACK(OPERATION_CANCELLED)) unless the vehicle ended it itself.
    """
    async with port.mission_inbox() as inbox:
        try:
            await _drive(port, machine, rtt, timing, inbox)
        except BaseException:
            _send_all(port, machine.cancel())
            raise
    if machine.error is not None:
        _send_all(port, machine.cancel())
        raise machine.error


def _send_all(port: MissionPort, msgs: list[MavMessage]) -> None:
    for msg in msgs:
        port.send_message(msg)


async def _drive(
    port: MissionPort,
    machine: _Transfer,
    rtt: RttEstimator,
    timing: MissionTiming,
    inbox: asyncio.Queue[MavMessage],
) -> None:
    loop = asyncio.get_running_loop()

    def deadline_after(sent_at: float) -> float:
        if machine.vehicle_paced:
            # no back-off: a copy sent too early costs one message and one INVALID_SEQUENCE,
            # one sent too late a round trip's worth of waiting per lost message
            return sent_at + rtt.paced_timeout_s(timing.item_resend_s)
        return sent_at + rtt.timeout_s

    def patience() -> float:
        if isinstance(machine, UploadTransfer) and machine.vehicle_paced and machine.all_sent:
            return timing.final_ack_wait_s
        return timing.patience_s

    sent_at = loop.time()
    progress_at, progress_seen = sent_at, machine.progress_events
    retransmitted = False
    _send_all(port, machine.start())
    deadline = deadline_after(sent_at)
    while not machine.done:
        try:
            async with asyncio.timeout_at(deadline):
                reply = await inbox.get()
        except TimeoutError:
            if machine.progress_events != progress_seen:
                progress_at, progress_seen = loop.time(), machine.progress_events
            impatient = loop.time() - progress_at < patience()
            if impatient and machine.retries >= machine.retry_budget:
                machine.retries = machine.retry_budget - 1
            out = machine.on_timeout()
            retransmitted = True
        else:
            if isinstance(machine, UploadTransfer):
                machine.repeat_guard_s = rtt.repeat_guard_s
            paced = machine.vehicle_paced
            out = machine.handle(reply, loop.time())
            if not out and not machine.done:
                continue  # not for us, a duplicate, a refused duplicate: keep the same deadline
            elapsed = loop.time() - sent_at
            if not paced and machine.vehicle_paced:
                # the first request of an upload, which ArduPilot defers to its next stream slot
                # (``init_send_requests``) while it asks for the others at once: it only bounds
                # the fastest round trip, the items' timer until a clean one (timed from the
                # latest MISSION_COUNT even if it was resent: too short a timer costs a copy)
                rtt.observe(elapsed)
            elif retransmitted or machine.last_was_repeat:
                pass  # Karn: a reply to a resend, or a vehicle's re-request, times nothing
            else:
                # (a vehicle's own re-request comes after our resend: ``item_resend_s`` < 1 s)
                rtt.sample(elapsed)
            retransmitted = machine.last_was_repeat
        _send_all(port, out)
        sent_at = loop.time()
        deadline = deadline_after(sent_at)


class MissionClient:
    """Mission, fence and rally transfers with one vehicle, one at a time."""

    def __init__(self, port: MissionPort, timing: MissionTiming | None = None) -> None:
        self.port = port
        self.timing = timing or MissionTiming()
        self.rtt = RttEstimator(self.timing)
        self._lock = asyncio.Lock()

    def _ends(self) -> tuple[Any, tuple[int, int], int]:
        """A transfer's first arguments: the encoder, the vehicle's ids and our system id."""
        return self.port.mav, (self.port.sysid, self.port.compid), self.port.own_system

    async def _run(self, machine: _Transfer) -> None:
        await run_transfer(self.port, machine, self.rtt, self.timing)

    async def upload(
        self,
        items: Sequence[Any],
        mission_type: str = "mission",
        progress: Progress | None = None,
        verify: bool = True,
    ) -> None:
        """Upload ``items`` (route MissionItems, renumbered here); read back and compare."""
        code = mission_type_code(mission_type)
        if mission_type == "all":
            raise ValueError("upload one mission type at a time, not 'all'")
        wire = [to_wire(item, seq=i, mission_type=code) for i, item in enumerate(items)]
        async with self._lock:
            machine = UploadTransfer(
                *self._ends(),
                wire,
                code,
                self.timing.max_retries,
                progress,
                use_int=self.port.supports_mission_int,
                paced_retries=self.timing.paced_retries,
            )
            try:
                await self._run(machine)
            except MissionTimeout:
                if not (machine.all_sent and await self._count_or_none(code) == len(wire)):
                    raise
                # Every item went out and the vehicle holds that many. It stored every item
                # before the last it asked for; the rest (the last, or the few sent on a guess)
                # read back as sent prove that only the final ACK was lost (a vehicle does not
                # repeat it). The whole list is read if ``verify``.
                first = max(0, machine.highest_requested)
                tail = DownloadTransfer(*self._ends(), code, self.timing.max_retries, first=first)
                await self._run(tail)
                legacy = machine.legacy_items > 0
                self._compare(wire[first:], tail.items, mission_type, legacy=legacy)
                if verify:
                    got = await self._download(code, None)
                    self._compare(wire, got, mission_type, legacy=legacy)
                if progress is not None:
                    progress(len(wire), len(wire))
                return
            except MissionError as exc:
                exc.vehicle_count = await self._count_or_none(code)
                raise type(exc)(
                    exc.sysid, exc.mission_type, exc.reason, exc.result_name, exc.vehicle_count
                ) from exc
            if verify:
                got = await self._download(code, None)
                self._compare(wire, got, mission_type, legacy=machine.legacy_items > 0)

    def _compare(
        self,
        sent: list[MissionItem],
        got: list[MissionItem],
        mission_type: str,
        legacy: bool = False,
    ) -> None:
        sysid = self.port.sysid
        if len(sent) != len(got):
            raise MissionVerifyError(
                sysid,
                mission_type,
                f"sent {len(sent)} items, read back {len(got)}",
                vehicle_count=len(got),
            )
        rules = self.port.stored_rules
        for a, b in zip(sent, got, strict=True):
            wrong = differences(a, b, rules, float_xy=legacy)
            if wrong:
                raise MissionVerifyError(
                    sysid,
                    mission_type,
                    f"item {a.seq} differs from what {rules.value} keeps of it: "
                    f"{', '.join(wrong)} (sent {a}, read back {b})",
                    vehicle_count=len(got),
                )

    async def download(
        self, mission_type: str = "mission", progress: Progress | None = None
    ) -> list[MissionItem]:
        """Read the vehicle's list of ``mission_type`` items."""
        code = mission_type_code(mission_type)
        async with self._lock:
            return await self._download(code, progress)

    async def _download(self, code: int, progress: Progress | None) -> list[MissionItem]:
        machine = DownloadTransfer(*self._ends(), code, self.timing.max_retries, progress)
        await self._run(machine)
        return machine.items

    async def count(self, mission_type: str = "mission") -> int:
        """How many ``mission_type`` items the vehicle holds (MISSION_COUNT only)."""
        code = mission_type_code(mission_type)
        async with self._lock:
            return await self._count(code)

    async def _count(self, code: int) -> int:
        machine = DownloadTransfer(*self._ends(), code, max_retries=3, count_only=True)
        await self._run(machine)
        assert machine.count is not None
        return machine.count

    async def _count_or_none(self, code: int) -> int | None:
        try:
            return await self._count(code)
        except MissionError:
            return None

    async def clear(self, mission_type: str = "mission") -> None:
        """Delete the vehicle's ``mission_type`` items (``all`` clears every type)."""
        code = mission_type_code(mission_type)
        async with self._lock:
            machine = ClearTransfer(*self._ends(), code, self.timing.max_retries)
            await self._run(machine)

    async def set_current(self, seq: int) -> None:
        """Make mission item ``seq`` the current one; confirmed by MISSION_CURRENT."""
        if seq < 0:
            raise ValueError(f"mission seq must be >= 0, got {seq}")
        async with self._lock:
            machine = SetCurrentTransfer(*self._ends(), seq)
            try:
                await self._run(machine)
            except MissionError as exc:
                raise MissionUploadError(
                    exc.sysid, "mission", f"set current item {seq}: {exc.reason}"
                ) from exc
