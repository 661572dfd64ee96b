"""Sans-I/O state machines of the MAVLink mission protocol (mission, fence and rally).

Each transfer is an object driven from outside: ``start()`` returns the messages to send,
``handle(msg)`` takes a message from the vehicle and returns the replies, ``on_timeout()``
returns what to resend (or fails the transfer after ``max_retries`` timeouts in a row without
progress). ``done`` and ``error`` tell the outcome. No clock, no sockets: tests feed messages by
hand; :mod:`groundstation.link.mission_client` drives them over a live link.

Only messages from the target (sysid, compid) addressed to this station and of the transfer's
mission type are considered; the caller filters by source, these machines check the rest.
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
from groundstation.link.codec import enum_name
from groundstation.link.items import from_message, legacy_xy, mission_type_label
from routes.mission import MissionItem

Msg = Any  # pymavlink message
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
        self.done = False
        self.error: MissionError | None = None
        self.last_sent: list[Msg] = []

    @property
    def type_label(self) -> str:
        return mission_type_label(self.mission_type)

    def _for_me(self, msg: Msg) -> bool:
        target = getattr(msg, "target_system", 0)
        if target not in (0, self.own_system):
            return False
        msg_type = getattr(msg, "mission_type", 0)
        return self.mission_type == 255 or bool(msg_type == self.mission_type)

    def _send(self, *msgs: Msg) -> list[Msg]:
        self.last_sent = list(msgs)
        return list(msgs)

    def _fail(self, error: MissionError) -> list[Msg]:
        self.done = True
        self.error = error
        return []

    def _refused(self, result: int, what: str) -> list[Msg]:
        """Fail with :attr:`error_type`: the vehicle answered ``what`` with ``result``."""
        name = result_name(result)
        reason = f"vehicle refused {what}: {name}"
        return self._fail(self.error_type(self.sysid, self.type_label, reason, name))

    def _progress_made(self) -> None:
        self.retries = 0
        self.progress_events += 1

    def on_timeout(self) -> list[Msg]:
        """Nothing useful came back in time: resend, or give up after ``max_retries``."""
        if self.done:
            return []
        self.retries += 1
        if self.retries > self.max_retries:
            return self._fail(
                MissionTimeout(
                    self.sysid,
                    self.type_label,
                    f"{self.kind} timed out after {self.max_retries} retries",
                )
            )
        return list(self.last_sent)

    def start(self) -> list[Msg]:
        raise NotImplementedError

    def handle(self, msg: Msg) -> list[Msg]:
        raise NotImplementedError


class UploadTransfer(_Transfer):
    """GCS -> vehicle: MISSION_COUNT, answer each MISSION_REQUEST(_INT), end on MISSION_ACK."""

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
    ) -> None:
        super().__init__(mav, target, own_system, mission_type, max_retries)
        for index, item in enumerate(items):
            if item.seq != index:
                raise ValueError(f"item at index {index} has seq {item.seq}; seq must be 0..n-1")
        self.items = list(items)
        self.progress = progress
        self.highest_requested = -1
        self.last_answered = -1
        self.duplicate_requests = 0
        self.all_sent = not self.items
        self.legacy_requests = 0

    def start(self) -> list[Msg]:
        count = self.mav.mission_count_encode(
            self.sysid, self.compid, len(self.items), self.mission_type
        )
        return self._send(count)

    def _item_message(self, seq: int, legacy: bool) -> Msg:
        item = self.items[seq]
        if legacy:
            x, y = legacy_xy(item)
            return self.mav.mission_item_encode(
                self.sysid, self.compid, item.seq, item.frame, item.command, item.current,
                item.autocontinue, item.param1, item.param2, item.param3, item.param4,
                x, y, item.z, self.mission_type,
            )  # fmt: skip
        return self.mav.mission_item_int_encode(
            self.sysid, self.compid, item.seq, item.frame, item.command, item.current,
            item.autocontinue, item.param1, item.param2, item.param3, item.param4,
            item.x, item.y, item.z, self.mission_type,
        )  # fmt: skip

    def handle(self, msg: Msg) -> list[Msg]:
        if self.done or not self._for_me(msg):
            return []
        kind = msg.get_type()
        if kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            seq = int(msg.seq)
            if not 0 <= seq < len(self.items):
                return []  # a stray request for an item we never offered
            if seq == self.last_answered:
                # A repeated request for the item just sent: answering it too would double every
                # later exchange (TFTP's "sorcerer's apprentice"). Our own timeout resends it.
                self.duplicate_requests += 1
                return []
            self.last_answered = seq
            legacy = kind == "MISSION_REQUEST"
            self.legacy_requests += legacy
            if seq > self.highest_requested:
                self.highest_requested = seq
                self._progress_made()
                if self.progress is not None:
                    self.progress(seq, len(self.items))
            if seq == len(self.items) - 1:
                self.all_sent = True
            return self._send(self._item_message(seq, legacy))
        if kind == "MISSION_ACK":
            result = int(msg.type)
            if result == mavlink.MAV_MISSION_ACCEPTED:
                if not self.all_sent:
                    return []  # a late ACK from an earlier transfer: not ours
                self.done = True
                if self.progress is not None:
                    self.progress(len(self.items), len(self.items))
                return []
            return self._refused(result, "the upload")
        return []


class DownloadTransfer(_Transfer):
    """Vehicle -> GCS: MISSION_REQUEST_LIST, MISSION_COUNT, request each item, final ACK."""

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
    ) -> None:
        super().__init__(mav, target, own_system, mission_type, max_retries)
        self.progress = progress
        self.count_only = count_only
        self.count: int | None = None
        self.items: list[MissionItem] = []

    def start(self) -> list[Msg]:
        return self._send(
            self.mav.mission_request_list_encode(self.sysid, self.compid, self.mission_type)
        )

    def _request_next(self) -> list[Msg]:
        assert self.count is not None
        if len(self.items) >= self.count:
            self.done = True
            ack = self.mav.mission_ack_encode(
                self.sysid, self.compid, mavlink.MAV_MISSION_ACCEPTED, self.mission_type
            )
            return [ack]
        return self._send(
            self.mav.mission_request_int_encode(
                self.sysid, self.compid, len(self.items), self.mission_type
            )
        )

    def handle(self, msg: Msg) -> list[Msg]:
        if self.done or not self._for_me(msg):
            return []
        kind = msg.get_type()
        if kind == "MISSION_COUNT" and self.count is None:
            self.count = int(msg.count)
            self._progress_made()
            if self.count_only:
                self.done = True
                return []
            if self.progress is not None:
                self.progress(0, self.count)
            return self._request_next()
        if kind in ("MISSION_ITEM_INT", "MISSION_ITEM") and self.count is not None:
            if int(msg.seq) != len(self.items):
                return []  # a duplicate or out-of-order item: the request for ours stands
            self.items.append(from_message(msg))
            self._progress_made()
            if self.progress is not None:
                self.progress(len(self.items), self.count)
            return self._request_next()
        if kind == "MISSION_ACK" and int(msg.type) != mavlink.MAV_MISSION_ACCEPTED:
            return self._refused(int(msg.type), "the download")
        return []


class ClearTransfer(_Transfer):
    """MISSION_CLEAR_ALL answered by MISSION_ACK."""

    kind = "clear"
    error_type = MissionUploadError

    def start(self) -> list[Msg]:
        return self._send(
            self.mav.mission_clear_all_encode(self.sysid, self.compid, self.mission_type)
        )

    def handle(self, msg: Msg) -> list[Msg]:
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

    def start(self) -> list[Msg]:
        return self._send(self.mav.mission_set_current_encode(self.sysid, self.compid, self.seq))

    def handle(self, msg: Msg) -> list[Msg]:
        if not self.done and msg.get_type() == "MISSION_CURRENT" and int(msg.seq) == self.seq:
            self.done = True
        return []
