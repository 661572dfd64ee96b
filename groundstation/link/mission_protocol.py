"""Sans-I/O state machines of the MAVLink mission protocol (mission, fence and rally).

Each transfer is an object driven from outside: ``start()`` returns the messages to send,
``handle(msg, now)`` takes a message from the vehicle and returns the replies, ``on_timeout()``
returns what to resend (or fails the transfer after too many timeouts in a row without progress)
and ``cancel()`` the messages that end an abandoned transfer on the vehicle. ``done`` and
``error`` tell the outcome. No clock, no sockets: tests feed messages and times by hand;
:mod:`groundstation.link.mission_client` drives them over a live link.

Only messages from the target (sysid, compid) addressed to this station and of the transfer's
mission type are considered; the caller filters by source, these machines check the rest.

An upload is paced by the vehicle, as ArduPilot and PX4 implement it: once it has asked for an
item it re-requests whatever it still wants on its own timer (ArduPilot every 1 s plus its
stream slow-down, ``MissionItemProtocol::update``; PX4 every 250 ms). Waiting for that timer
costs a second per lost message, so the station keeps a short timer of its own (a few round
trips, ``MissionTiming.item_resend_s`` at most) and resends the item it last sent when no next
request came. ArduPilot (``MissionItemProtocol::handle_mission_item``) stores an item whose seq
is the one it wants and answers any other with MISSION_ACK(INVALID_SEQUENCE), going on either
way and without asking again sooner. So the resend either is the lost item, stored at once, or
draws INVALID_SEQUENCE: the vehicle holds that item and its request for the next one was lost.
The station then sends that next item (:attr:`UploadTransfer.inferred_requests`), a few at most
ahead of the last request it saw; the vehicle's own re-request corrects any wrong guess.
QGroundControl's PlanManager and MAVProxy's ``wp`` never resend items at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.errors import (
    MissionDownloadError,
    MissionError,
    MissionTimeout,
    MissionUploadError,
)
from groundstation.link.codec import MavMessage, enum_name
from groundstation.link.items import from_message, legacy_xy, mission_type_label
from routes.mission import MissionItem

Progress = Callable[[int, int], None]


def result_name(code: int) -> str:
    """``NO_SPACE`` for MAV_MISSION_NO_SPACE etc."""
    return enum_name("MAV_MISSION_RESULT", code).removeprefix("MAV_MISSION_")


class _Transfer:
    """Shared bookkeeping: target ids, retries, outcome."""

    kind = "transfer"
    error_type: type[MissionError] = MissionError

    def __init__(
        self,
        mav: Any,
        target: tuple[int, int],
        own_system: int,
        mission_type: int,
        max_retries: int,
    ) -> None:
        self.mav = mav
        self.sysid, self.compid = target
        self.own_system = own_system
        self.mission_type = mission_type
        self.max_retries = max_retries
        self.retries = 0
        self.progress_events = 0
        self.started = False
        self.done = False
        self.error: MissionError | None = None
        #: the vehicle ended the transfer itself (an error MISSION_ACK): nothing to cancel
        self.ended_by_vehicle = False
        self.last_sent: list[MavMessage] = []
        #: the latest output repeats something sent before (Karn: no round-trip sample)
        self.last_was_repeat = False

    @property
    def type_label(self) -> str:
        return mission_type_label(self.mission_type)

    @property
    def vehicle_paced(self) -> bool:
        """True while the vehicle, not the station's timer, drives the exchange."""
        return False

    @property
    def retry_budget(self) -> int:
        """Timeouts in a row without progress before the transfer fails."""
        return self.max_retries

    def _for_me(self, msg: MavMessage) -> bool:
        target = getattr(msg, "target_system", 0)
        if target not in (0, self.own_system):
            return False
        msg_type = getattr(msg, "mission_type", 0)
        return self.mission_type == 255 or bool(msg_type == self.mission_type)

    def _send(self, *msgs: MavMessage, repeat: bool = False) -> list[MavMessage]:
        self.last_sent = list(msgs)
        self.last_was_repeat = repeat
        return list(msgs)

    def _fail(self, error: MissionError) -> list[MavMessage]:
        self.done = True
        self.error = error
        return []

    def _refused(self, result: int, what: str) -> list[MavMessage]:
        """Fail with :attr:`error_type`: the vehicle answered ``what`` with ``result``."""
        name = result_name(result)
        reason = f"vehicle refused {what}: {name}"
        if result == mavlink.MAV_MISSION_OPERATION_CANCELLED:
            reason = f"vehicle cancelled {what} (it waited too long for the station)"
        self.ended_by_vehicle = True
        return self._fail(self.error_type(self.sysid, self.type_label, reason, name))

    def _progress_made(self) -> None:
        self.retries = 0
        self.progress_events += 1

    def on_timeout(self) -> list[MavMessage]:
        """Nothing useful came back in time: resend, or give up after :attr:`retry_budget`."""
        if self.done:
            return []
        self.retries += 1
        if self.retries > self.retry_budget:
            return self._fail(
                MissionTimeout(
                    self.sysid,
                    self.type_label,
                    f"{self.kind} timed out after {self.retry_budget} retries",
                )
            )
        return self._send(*self.last_sent, repeat=True)

    def cancel(self) -> list[MavMessage]:
        """What tells the vehicle to end this transfer if the station abandons it."""
        return []

    def _cancel_ack(self) -> list[MavMessage]:
        if not self.started or self.ended_by_vehicle or (self.done and self.error is None):
            return []
        return [
            self.mav.mission_ack_encode(
                self.sysid,
                self.compid,
                mavlink.MAV_MISSION_OPERATION_CANCELLED,
                self.mission_type,
            )
        ]

    def start(self) -> list[MavMessage]:
        raise NotImplementedError

    def handle(self, msg: MavMessage, now: float | None = None) -> list[MavMessage]:
        raise NotImplementedError


class UploadTransfer(_Transfer):
    """GCS -> vehicle: MISSION_COUNT, answer each MISSION_REQUEST(_INT), end on MISSION_ACK.

    Requests are answered with MISSION_ITEM_INT, also the legacy MISSION_REQUEST that ArduPilot
    4.7 still sends (``use_int``: False only for a vehicle that says it lacks
    MAV_PROTOCOL_CAPABILITY_MISSION_INT), as QGroundControl and MAVProxy do: float degrees
    would move positions by up to a metre. A repeated request for the item just sent is answered
    again (the vehicle re-requests what it did not get) unless it came sooner than
    ``repeat_guard_s`` after the answer: the vehicle asked again before our item could have
    reached it, and answering would only make a duplicate. MISSION_ACK(INVALID_SEQUENCE), the
    vehicle's answer to a duplicate, is counted and the upload goes on; when it answers the
    station's own resend of the item last sent, the vehicle holds that item and wants the next,
    which is sent (up to ``max_inferred_ahead`` items past the last request seen).
    """

    kind = "upload"
    error_type = MissionUploadError

    def __init__(
        self,
        mav: Any,
        target: tuple[int, int],
        own_system: int,
        items: Sequence[MissionItem],
        mission_type: int = 0,
        max_retries: int = 20,
        progress: Progress | None = None,
        *,
        use_int: bool = True,
        paced_retries: int = 6,
        repeat_guard_s: float = 0.0,
        max_inferred_ahead: int = 8,
    ) -> None:
        super().__init__(mav, target, own_system, mission_type, max_retries)
        for index, item in enumerate(items):
            if item.seq != index:
                raise ValueError(f"item at index {index} has seq {item.seq}; seq must be 0..n-1")
        self.items = list(items)
        self.progress = progress
        self.use_int = use_int
        self.paced_retries = paced_retries
        self.repeat_guard_s = repeat_guard_s
        self.max_inferred_ahead = max_inferred_ahead
        self.highest_requested = -1
        self.last_answered = -1
        self.answered_at: float | None = None
        self.all_sent = not self.items
        #: the item last sent went out again on our timer since (an INVALID_SEQUENCE answer
        #: then means the vehicle already holds it)
        self.resent_last = False
        self.last_request_legacy = False
        #: every item went out and the last was resent on a timeout: an ERROR answer then means
        #: "not receiving any more" (the final ACK was lost), not a refusal
        self.resent_after_all_sent = False
        # counters, for tests and benches
        self.legacy_requests = 0  # MISSION_REQUEST (not _INT) seen
        self.legacy_items = 0  # float MISSION_ITEMs sent
        self.repeated_requests = 0  # requests for the item just sent, answered again
        self.duplicate_requests = 0  # such requests that came too soon and were not answered
        self.invalid_sequence_acks = 0  # MISSION_ACK(INVALID_SEQUENCE): duplicates refused
        self.timeout_resends = 0  # items resent by our own timer
        self.inferred_requests = 0  # next items sent on an INVALID_SEQUENCE answer to a resend

    @property
    def vehicle_paced(self) -> bool:
        return self.highest_requested >= 0 and not self.done

    @property
    def retry_budget(self) -> int:
        if not self.vehicle_paced:
            return self.max_retries
        if self.all_sent:
            # Every item went out and nothing came back: a vehicle still missing the last item
            # would have re-requested it by now, so the final ACK was most likely lost. Two
            # silences, then the caller counts and reads back instead of waiting on.
            return min(2, self.paced_retries)
        return self.paced_retries

    def start(self) -> list[MavMessage]:
        self.started = True
        count = self.mav.mission_count_encode(
            self.sysid, self.compid, len(self.items), self.mission_type
        )
        return self._send(count)

    def cancel(self) -> list[MavMessage]:
        return self._cancel_ack()

    def on_timeout(self) -> list[MavMessage]:
        out = super().on_timeout()
        if out and self.vehicle_paced:
            self.timeout_resends += 1
            self.resent_last = True
            self.resent_after_all_sent = self.all_sent
        return out

    def _item_message(self, seq: int, legacy: bool) -> MavMessage:
        item = self.items[seq]
        msg: MavMessage
        if legacy:
            self.legacy_items += 1
            x, y = legacy_xy(item)
            msg = self.mav.mission_item_encode(
                self.sysid, self.compid, item.seq, item.frame, item.command, item.current,
                item.autocontinue, item.param1, item.param2, item.param3, item.param4,
                x, y, item.z, self.mission_type,
            )  # fmt: skip
            return msg
        msg = self.mav.mission_item_int_encode(
            self.sysid, self.compid, item.seq, item.frame, item.command, item.current,
            item.autocontinue, item.param1, item.param2, item.param3, item.param4,
            item.x, item.y, item.z, self.mission_type,
        )  # fmt: skip
        return msg

    def handle(self, msg: MavMessage, now: float | None = None) -> list[MavMessage]:
        if self.done or not self._for_me(msg):
            return []
        kind = msg.get_type()
        if kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            return self._on_request(int(msg.seq), kind == "MISSION_REQUEST", now)
        if kind == "MISSION_ACK":
            return self._on_ack(int(msg.type), now)
        return []

    def _on_request(self, seq: int, legacy: bool, now: float | None) -> list[MavMessage]:
        if not 0 <= seq < len(self.items):
            return []  # a stray request for an item we never offered
        self.legacy_requests += legacy
        self.last_request_legacy = legacy
        repeat = seq == self.last_answered
        if repeat:
            too_soon = (
                now is not None
                and self.answered_at is not None
                and now - self.answered_at < self.repeat_guard_s
            )
            if too_soon:
                self.duplicate_requests += 1
                return []
            self.repeated_requests += 1
        if seq > self.highest_requested:
            self.highest_requested = seq
            self._progress_made()
            if self.progress is not None:
                self.progress(seq, len(self.items))
        return self._answer(seq, now, repeat)

    def _answer(self, seq: int, now: float | None, repeat: bool) -> list[MavMessage]:
        self.last_answered = seq
        self.answered_at = now
        self.resent_last = False
        if seq == len(self.items) - 1:
            self.all_sent = True
        legacy = self.last_request_legacy and not self.use_int
        return self._send(self._item_message(seq, legacy), repeat=repeat)

    def _next_is_wanted(self) -> bool:
        """An INVALID_SEQUENCE now answers our resend of the item last sent: the vehicle holds it.

        Items are stored strictly in order, so a vehicle that refused item k after asking for k
        (or after holding k - 1) wants k + 1: its request for it was lost. Guessing stops
        ``max_inferred_ahead`` items past the last request actually seen (a stale answer to an
        older duplicate would otherwise walk the station ahead of the vehicle).
        """
        nxt = self.last_answered + 1
        return (
            self.resent_last
            and not self.all_sent
            and 0 < nxt < len(self.items)
            and nxt - self.highest_requested <= self.max_inferred_ahead
        )

    def _on_ack(self, result: int, now: float | None = None) -> list[MavMessage]:
        if result == mavlink.MAV_MISSION_ACCEPTED:
            if not self.all_sent:
                return []  # a late ACK from an earlier transfer: not ours
            self.done = True
            if self.progress is not None:
                self.progress(len(self.items), len(self.items))
            return []
        if result == mavlink.MAV_MISSION_INVALID_SEQUENCE and self.started:
            # ArduPilot's answer to an item it did not ask for (MissionItemProtocol::
            # handle_mission_item): it goes on and re-requests the one it wants.
            self.invalid_sequence_acks += 1
            if self._next_is_wanted():
                self.inferred_requests += 1
                # (sent on a guess: the next reply may answer an older message, so it times
                # nothing, as after a resend)
                return self._answer(self.last_answered + 1, now, repeat=True)
            return []
        if result == mavlink.MAV_MISSION_ERROR and self.resent_after_all_sent:
            # ArduPilot answers an item with ERROR once it is no longer receiving: it finished
            # and its ACCEPTED was lost. Let the caller count and read back to be sure.
            self.ended_by_vehicle = True
            return self._fail(
                MissionTimeout(
                    self.sysid,
                    self.type_label,
                    "no final MISSION_ACK: the vehicle no longer takes items",
                )
            )
        return self._refused(result, "the upload")


#: what ArduPilot answers an upload item it did not want: one sent twice, or after the end
_STALE_UPLOAD_ANSWERS = frozenset({mavlink.MAV_MISSION_ERROR, mavlink.MAV_MISSION_INVALID_SEQUENCE})


class DownloadTransfer(_Transfer):
    """Vehicle -> GCS: MISSION_REQUEST_LIST, MISSION_COUNT, request each item, final ACK.

    ``first``: request items from that seq on only (``items`` then holds those).
    """

    kind = "download"
    error_type = MissionDownloadError

    def __init__(
        self,
        mav: Any,
        target: tuple[int, int],
        own_system: int,
        mission_type: int = 0,
        max_retries: int = 20,
        progress: Progress | None = None,
        count_only: bool = False,
        first: int = 0,
    ) -> None:
        super().__init__(mav, target, own_system, mission_type, max_retries)
        self.progress = progress
        self.count_only = count_only
        self.first = first
        self.count: int | None = None
        self.items: list[MissionItem] = []

    def start(self) -> list[MavMessage]:
        self.started = True
        return self._send(
            self.mav.mission_request_list_encode(self.sysid, self.compid, self.mission_type)
        )

    def cancel(self) -> list[MavMessage]:
        return self._cancel_ack()

    def _request_next(self) -> list[MavMessage]:
        assert self.count is not None
        if self.first + len(self.items) >= self.count:
            self.done = True
            ack = self.mav.mission_ack_encode(
                self.sysid, self.compid, mavlink.MAV_MISSION_ACCEPTED, self.mission_type
            )
            return [ack]
        return self._send(
            self.mav.mission_request_int_encode(
                self.sysid, self.compid, self.first + len(self.items), self.mission_type
            )
        )

    def handle(self, msg: MavMessage, now: float | None = None) -> list[MavMessage]:
        if self.done or not self._for_me(msg):
            return []
        kind = msg.get_type()
        if kind == "MISSION_COUNT" and self.count is None:
            self.count = int(msg.count)
            self._progress_made()
            if self.count_only:
                self.done = True
                if self.count == 0:
                    return []
                # PX4 holds a download open after REQUEST_LIST until an ACK (or 5 s) and refuses
                # uploads meanwhile; any MISSION_ACK ends it (mavlink_mission.cpp).
                return [
                    self.mav.mission_ack_encode(
                        self.sysid,
                        self.compid,
                        mavlink.MAV_MISSION_OPERATION_CANCELLED,
                        self.mission_type,
                    )
                ]
            if self.progress is not None:
                self.progress(0, self.count)
            return self._request_next()
        if kind in ("MISSION_ITEM_INT", "MISSION_ITEM") and self.count is not None:
            if int(msg.seq) != self.first + len(self.items):
                return []  # a duplicate or out-of-order item: the request for ours stands
            self.items.append(from_message(msg))
            self._progress_made()
            if self.progress is not None:
                self.progress(len(self.items), self.count)
            return self._request_next()
        if kind == "MISSION_ACK" and int(msg.type) != mavlink.MAV_MISSION_ACCEPTED:
            if self.count is None and int(msg.type) in _STALE_UPLOAD_ANSWERS:
                # ArduPilot's answer to a late copy of an upload's last item (the station's
                # timer resends it), arriving after that upload ended: not about this download
                return []
            return self._refused(int(msg.type), "the download")
        return []


class ClearTransfer(_Transfer):
    """MISSION_CLEAR_ALL answered by MISSION_ACK."""

    kind = "clear"
    error_type = MissionUploadError

    def start(self) -> list[MavMessage]:
        self.started = True
        return self._send(
            self.mav.mission_clear_all_encode(self.sysid, self.compid, self.mission_type)
        )

    def handle(self, msg: MavMessage, now: float | None = None) -> list[MavMessage]:
        if self.done or msg.get_type() != "MISSION_ACK" or not self._for_me(msg):
            return []
        result = int(msg.type)
        if result == mavlink.MAV_MISSION_ACCEPTED:
            self.done = True
            return []
        return self._refused(result, "to clear")


class SetCurrentTransfer(_Transfer):
    """MISSION_SET_CURRENT, confirmed by a MISSION_CURRENT carrying the new seq."""

    kind = "set current"
    error_type = MissionUploadError

    def __init__(
        self, mav: Any, target: tuple[int, int], own_system: int, seq: int, max_retries: int = 5
    ) -> None:
        super().__init__(mav, target, own_system, 0, max_retries)
        self.seq = seq

    def start(self) -> list[MavMessage]:
        self.started = True
        return self._send(self.mav.mission_set_current_encode(self.sysid, self.compid, self.seq))

    def handle(self, msg: MavMessage, now: float | None = None) -> list[MavMessage]:
        if not self.done and msg.get_type() == "MISSION_CURRENT" and int(msg.seq) == self.seq:
            self.done = True
        return []
