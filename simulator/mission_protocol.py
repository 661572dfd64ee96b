"""The vehicle side of the MAVLink mission protocol, for mission, fence and rally items.

Upload: MISSION_COUNT -> MISSION_REQUEST_INT(seq) ... <- MISSION_ITEM_INT (or legacy MISSION_ITEM)
-> MISSION_ACK. Items are collected aside and committed only when the last one arrived and every
one passed its checks, so a failed, cancelled or timed-out upload leaves the stored items exactly
as they were (ArduPilot issue #3338 is the bug this avoids). Missing items are re-requested every
`retry_s` of simulated time; after `max_retries` re-requests without progress the upload is
abandoned with MAV_MISSION_OPERATION_CANCELLED.

Download: MISSION_REQUEST_LIST -> MISSION_COUNT, then each MISSION_REQUEST_INT / MISSION_REQUEST
is answered with MISSION_ITEM_INT / MISSION_ITEM; a request past the end gets
MAV_MISSION_INVALID_SEQUENCE. MISSION_CLEAR_ALL clears one type (or all with type 255).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.ardupilot_storage import (
    StorageLimits,
    fence_bytes_required,
    fence_problem,
    store_fence_item,
)
from simulator.codec import MavMessage
from simulator.mission_items import (
    FENCE,
    MISSION,
    RALLY,
    TYPE_NAMES,
    MissionItem,
    check_item,
)

ACCEPTED = mavlink2.MAV_MISSION_ACCEPTED
Target = tuple[int, int]


@dataclass(slots=True)
class _Upload:
    partner: Target
    mission_type: int
    count: int
    last_tx_s: float
    items: list[MissionItem] = field(default_factory=list)
    retries: int = 0
    legacy: bool = False  # the partner answers with float MISSION_ITEMs


class MissionProtocol:
    """Stores mission/fence/rally items and runs uploads and downloads for one vehicle."""

    def __init__(
        self,
        mav: Any,
        emit: Callable[[MavMessage], None],
        statustext: Callable[[str, int], None],
        on_changed: Callable[[int], None],
        retry_s: float = 1.5,
        max_retries: int = 40,
        limits: StorageLimits | None = None,
    ) -> None:
        self._mav = mav
        self._emit = emit
        self._text = statustext
        self._on_changed = on_changed
        self.limits = limits or StorageLimits()
        self.retry_s = retry_s
        self.max_retries = max_retries
        self.items: dict[int, tuple[MissionItem, ...]] = dict.fromkeys(TYPE_NAMES, ())
        self.upload: _Upload | None = None
        self._last_done: tuple[Target, int, int] | None = None  # partner, type, count
        self.duplicates = 0
        """Items received again (seq already stored) during the latest upload."""

    def max_items(self, mission_type: int) -> int:
        """ArduCopter's counts: 650 mission items with home, 70 fence items (whose bytes are
        checked when the upload is complete), 46 rally points."""
        lim = self.limits
        return {MISSION: lim.mission_items, FENCE: lim.fence_items, RALLY: lim.rally_items}[
            mission_type
        ]

    # ------------------------------------------------------------------ incoming
    def handle(self, msg: MavMessage, now: float) -> bool:
        """Process one mission-protocol message; False if `msg` is not one."""
        kind = msg.get_type()
        partner = (msg.get_srcSystem(), msg.get_srcComponent())
        mtype = getattr(msg, "mission_type", MISSION)
        if kind == "MISSION_COUNT":
            self._on_count(partner, mtype, msg.count, now)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            self._on_item(partner, msg, now)
        elif kind == "MISSION_REQUEST_LIST":
            if mtype not in self.items:
                self._ack(partner, mtype, mavlink2.MAV_MISSION_UNSUPPORTED)
            else:
                items = self.items[mtype]
                self._emit(
                    self._mav.mission_count_encode(partner[0], partner[1], len(items), mtype)
                )
        elif kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            self._on_request(partner, mtype, msg.seq, legacy=kind == "MISSION_REQUEST")
        elif kind == "MISSION_CLEAR_ALL":
            self._on_clear(partner, mtype)
        elif kind == "MISSION_WRITE_PARTIAL_LIST":
            self._ack(partner, mtype, mavlink2.MAV_MISSION_UNSUPPORTED)
        elif kind == "MISSION_ACK":
            pass  # the end of a download; nothing to do
        else:
            return False
        return True

    def _on_count(self, partner: Target, mtype: int, count: int, now: float) -> None:
        if mtype not in self.items:
            self._ack(partner, mtype, mavlink2.MAV_MISSION_UNSUPPORTED)
            return
        up = self.upload
        if up is not None and up.partner != partner:
            self._ack(partner, mtype, mavlink2.MAV_MISSION_DENIED)
            self._text("Mission upload busy with another GCS", 4)
            return
        self.upload = None
        self._last_done = None
        limit = self.max_items(mtype)
        if count > limit:
            self._ack(partner, mtype, mavlink2.MAV_MISSION_NO_SPACE)
            self._text(f"Only {limit} items are supported", 4)
            return
        if count == 0:
            self._commit(mtype, ())
            self._ack(partner, mtype, ACCEPTED)
            return
        self.upload = _Upload(partner, mtype, count, now)
        self.duplicates = 0
        self._request(0)

    def _on_item(self, partner: Target, msg: MavMessage, now: float) -> None:
        up = self.upload
        if up is None or up.partner != partner:
            done = self._last_done
            mtype = getattr(msg, "mission_type", MISSION)
            if done is not None and done == (partner, mtype, msg.seq + 1):
                self.duplicates += 1
                self._ack(partner, mtype, ACCEPTED)  # our final ACK was lost: say it again
            return  # otherwise not expecting items from this partner: ignore, as the spec says
        if getattr(msg, "mission_type", MISSION) != up.mission_type:
            return
        expected = len(up.items)
        if msg.seq < expected:
            self.duplicates += 1
        if msg.seq != expected:
            self._request(expected)  # a duplicate or an item from the future: ask again
            return
        item = MissionItem.from_message(msg)
        result = check_item(item)
        if result != ACCEPTED:
            self.upload = None
            self._ack(partner, up.mission_type, result)
            self._text(f"Mission item {item.seq} rejected: error {result}", 4)
            return
        up.items.append(item)
        up.legacy = msg.get_type() == "MISSION_ITEM"
        up.retries = 0
        up.last_tx_s = now
        if len(up.items) < up.count:
            self._request(len(up.items))
            return
        self.upload = None
        if up.mission_type == FENCE:
            why = self._fence_refusal(tuple(up.items))
            if why is not None:
                self._text(why, 4)
                self._ack(partner, FENCE, mavlink2.MAV_MISSION_ERROR)
                return
        self._commit(up.mission_type, tuple(up.items))
        self._last_done = (partner, up.mission_type, up.count)
        self._ack(partner, up.mission_type, ACCEPTED)

    def _fence_refusal(self, items: tuple[MissionItem, ...]) -> str | None:
        """AC_PolyFence_loader::write_fence: invalid, or over the fence storage's bytes."""
        stored = []
        for it in items:
            result, kept = store_fence_item(it)
            if kept is None:
                return f"Fence item {it.seq} rejected: error {result}"
            stored.append(kept)
        why = fence_problem(tuple(stored))
        if why is not None:
            return why
        if fence_bytes_required(tuple(stored)) > self.limits.fence_bytes:
            return "Fence exceeds storage size"
        return None

    def _on_request(self, partner: Target, mtype: int, seq: int, legacy: bool) -> None:
        items = self.items.get(mtype)
        if items is None:
            self._ack(partner, mtype, mavlink2.MAV_MISSION_UNSUPPORTED)
            return
        if not 0 <= seq < len(items):
            self._ack(partner, mtype, mavlink2.MAV_MISSION_INVALID_SEQUENCE)
            return
        item = items[seq]
        msg = (
            item.to_legacy_message(self._mav, partner)
            if legacy
            else item.to_int_message(self._mav, partner)
        )
        self._emit(msg)

    def _on_clear(self, partner: Target, mtype: int) -> None:
        types = list(self.items) if mtype == mavlink2.MAV_MISSION_TYPE_ALL else [mtype]
        if any(t not in self.items for t in types):
            self._ack(partner, mtype, mavlink2.MAV_MISSION_UNSUPPORTED)
            return
        if self.upload is not None and self.upload.mission_type in types:
            self.upload = None
        for t in types:
            self._commit(t, ())
        self._ack(partner, mtype, ACCEPTED)

    def replace(self, mission_type: int, items: tuple[MissionItem, ...]) -> None:
        """Store `items` directly, as a finished upload would (for benches and test set-up)."""
        if mission_type not in self.items:
            raise ValueError(f"unknown mission type {mission_type}")
        for item in items:
            if check_item(item) != ACCEPTED:
                raise ValueError(f"mission item {item.seq} is invalid: {item}")
        self._commit(mission_type, tuple(items))

    # ------------------------------------------------------------------ time
    def update(self, now: float) -> None:
        """Re-request a missing item, or give the upload up, when its timer ran out."""
        up = self.upload
        if up is None or now - up.last_tx_s < self.retry_s:
            return
        if up.retries >= self.max_retries:
            self.upload = None
            self._ack(up.partner, up.mission_type, mavlink2.MAV_MISSION_OPERATION_CANCELLED)
            self._text("Mission upload timed out", 4)
            return
        up.retries += 1
        up.last_tx_s = now
        self._request(len(up.items))

    # ------------------------------------------------------------------ helpers
    def _request(self, seq: int) -> None:
        """Ask for item `seq` with MISSION_REQUEST_INT, or with the legacy MISSION_REQUEST once the
        partner has answered with a legacy float MISSION_ITEM (it gets what it speaks; a modern
        GCS is never pushed to float32 coordinates)."""
        up = self.upload
        assert up is not None
        mav = self._mav
        encode = mav.mission_request_encode if up.legacy else mav.mission_request_int_encode
        self._emit(encode(up.partner[0], up.partner[1], seq, up.mission_type))

    def _ack(self, partner: Target, mtype: int, result: int) -> None:
        self._emit(self._mav.mission_ack_encode(partner[0], partner[1], result, mtype))

    def _commit(self, mtype: int, items: tuple[MissionItem, ...]) -> None:
        self.items[mtype] = items
        self._on_changed(mtype)
