"""The vehicle side of the MAVLink mission protocol, for mission, fence and rally items, as
ArduPilot 4.7 runs it (`libraries/GCS_MAVLink/MissionItemProtocol.cpp` and the three
`MissionItemProtocol_*.cpp` backends; checked against ArduCopter SITL 90700977).

Upload: MISSION_COUNT -> MISSION_REQUEST(seq) ... <- MISSION_ITEM_INT (or float MISSION_ITEM)
-> MISSION_ACK. ArduPilot asks with the legacy MISSION_REQUEST whatever the ground station
speaks (`queued_request_send`); it accepts both item messages, warning once per upload
"got MISSION_ITEM; GCS should send MISSION_ITEM_INT". An item other than the one asked for
(the ground station resending what it just sent) gets MISSION_ACK(INVALID_SEQUENCE) and the
upload goes on. The wanted item is asked for again when no request went out for over
1 s (`wp_recv_timeout_ms`), and the upload ends with OPERATION_CANCELLED 8 s (`upload_timeout_ms`)
after the last good item. A MISSION_ACK from the ground station does not end it.

Mission and rally items are written into the store as they arrive (the count truncates it
first), so an upload that fails half-way leaves the new items in front of the old ones, as on
the real vehicle; fence items are kept aside and written only when all arrived and the fence
validates and fits (`write_fence`).

While an upload is open, MISSION_REQUEST_LIST and MISSION_REQUEST_INT are refused with DENIED
(a legacy MISSION_REQUEST is still answered, as ArduPilot's handler does not check).
MISSION_CLEAR_ALL ends the uploader's own upload and clears; another ground station's upload is
not interrupted (DENIED, then ERROR).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.ardupilot_storage import (
    StorageLimits,
    fence_bytes_required,
    fence_problem,
    int_to_legacy,
    legacy_to_int,
    store_fence_item,
    store_mission_item,
    store_rally_item,
)
from simulator.codec import MavMessage
from simulator.mission_items import FENCE, MISSION, RALLY, TYPE_NAMES, MissionItem

M = mavlink2
ACCEPTED = int(M.MAV_MISSION_ACCEPTED)
Target = tuple[int, int]

RE_REQUEST_S = 1.0
"""MissionItemProtocol::update: `wp_recv_timeout_ms = 1000 + stream slowdown`."""
UPLOAD_TIMEOUT_S = 8.0
"""MissionItemProtocol.h: `upload_timeout_ms = 8000` since the last accepted item."""

_TIMEOUT_TEXT = {
    MISSION: "Mission upload timeout",
    FENCE: "Fence upload timeout",
    RALLY: "Rally upload timeout",
}
_STORE = {MISSION: store_mission_item, FENCE: store_fence_item, RALLY: store_rally_item}


@dataclass(slots=True)
class _Upload:
    partner: Target
    first: int
    last: int
    next_seq: int
    last_receive_s: float
    last_request_s: float
    fence: list[MissionItem | None] | None = None  # fence items kept aside until complete


class MissionProtocol:
    """Stores mission/fence/rally items and runs uploads and downloads for one vehicle."""

    def __init__(
        self,
        mav: Any,
        emit: Callable[[MavMessage], None],
        statustext: Callable[[str, int], None],
        on_changed: Callable[[int], None],
        home: Callable[[], tuple[float, float, float]] = lambda: (0.0, 0.0, 0.0),
        limits: StorageLimits | None = None,
    ) -> None:
        self._mav = mav
        self._emit = emit
        self._text = statustext
        self._on_changed = on_changed
        self._home = home
        self.limits = limits or StorageLimits()
        self.items: dict[int, tuple[MissionItem, ...]] = dict.fromkeys(TYPE_NAMES, ())
        self.uploads: dict[int, _Upload] = {}
        self._warned_item: dict[int, bool] = dict.fromkeys(TYPE_NAMES, False)
        self._warned_request: dict[int, bool] = dict.fromkeys(TYPE_NAMES, False)
        self.duplicates = 0
        """Items received again (seq already accepted) during the latest upload."""

    @property
    def upload(self) -> _Upload | None:
        """The open mission (type 0) upload, if any."""
        return self.uploads.get(MISSION)

    def receiving(self, mission_type: int) -> bool:
        return mission_type in self.uploads

    def max_items(self, mission_type: int) -> int:
        lim = self.limits
        return {MISSION: lim.mission_items, FENCE: lim.fence_items, RALLY: lim.rally_items}[
            mission_type
        ]

    # ------------------------------------------------------------------ incoming
    def handle(self, msg: MavMessage, now: float) -> bool:
        """Process one mission-protocol message; False if `msg` is not one."""
        kind = msg.get_type()
        partner = (msg.get_srcSystem(), msg.get_srcComponent())
        mtype = int(getattr(msg, "mission_type", MISSION))
        if kind not in _KINDS:
            return False
        if mtype not in TYPE_NAMES and not (
            kind == "MISSION_CLEAR_ALL" and mtype == M.MAV_MISSION_TYPE_ALL
        ):
            self._ack(partner, mtype, M.MAV_MISSION_UNSUPPORTED)
            return True
        if kind == "MISSION_COUNT":
            self._on_count(partner, mtype, msg.count, now)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            self._on_item(partner, mtype, msg, now)
        elif kind == "MISSION_REQUEST_LIST":
            if self.receiving(mtype):  # someone is uploading: no download until done
                self._ack(partner, mtype, M.MAV_MISSION_DENIED)
            else:
                self._send_count(partner, mtype)
        elif kind == "MISSION_REQUEST_INT":
            if self.receiving(mtype):
                self._ack(partner, mtype, M.MAV_MISSION_DENIED)
            else:
                self._on_request(partner, mtype, msg.seq, legacy=False)
        elif kind == "MISSION_REQUEST":
            self._on_request(partner, mtype, msg.seq, legacy=True)
        elif kind == "MISSION_CLEAR_ALL":
            self._on_clear(partner, mtype, now)
        elif kind == "MISSION_WRITE_PARTIAL_LIST":
            self._on_partial(partner, mtype, msg.start_index, msg.end_index, now)
        # MISSION_ACK from a ground station: ArduPilot does nothing with it (not even cancel)
        return True

    def _cancel_upload(self, partner: Target, mtype: int) -> bool:
        """True when no upload is open or it was `partner`'s own (now dropped)."""
        up = self.uploads.get(mtype)
        if up is None:
            return True
        if up.partner != partner:
            self._ack(partner, mtype, M.MAV_MISSION_DENIED)
            return False
        self._end_upload(mtype)
        return True

    def _on_count(self, partner: Target, mtype: int, count: int, now: float) -> None:
        if not self._cancel_upload(partner, mtype):
            return
        limit = self.max_items(mtype)
        if count > limit:
            self._ack(partner, mtype, M.MAV_MISSION_NO_SPACE)
            self._text(f"Only {limit} items are supported", M.MAV_SEVERITY_WARNING)
            return
        if mtype != FENCE and count < len(self.items[mtype]):
            self._commit(mtype, self.items[mtype][:count])  # truncate; it never grows here
        fence: list[MissionItem | None] | None = [None] * count if mtype == FENCE else None
        if count == 0:
            self._ack(partner, mtype, self._complete(mtype, []))
            return
        self._start(mtype, _Upload(partner, 0, count - 1, 0, now, now, fence))

    def _on_partial(self, partner: Target, mtype: int, start: int, end: int, now: float) -> None:
        if self.receiving(mtype):
            self._ack(partner, mtype, M.MAV_MISSION_DENIED)
            return
        n = len(self.items[mtype])
        if start > n or end > n or end < start:
            self._text("Flight plan update rejected", M.MAV_SEVERITY_WARNING)
            self._ack(partner, mtype, M.MAV_MISSION_ERROR)
            return
        fence: list[MissionItem | None] | None = None
        if mtype == FENCE:
            fence = list(self.items[FENCE])
        self._start(mtype, _Upload(partner, start, end, start, now, now, fence))

    def _start(self, mtype: int, up: _Upload) -> None:
        self.uploads[mtype] = up
        self.duplicates = 0
        self._warned_item[mtype] = self._warned_request[mtype] = False
        self._request(mtype)

    def _on_item(self, partner: Target, mtype: int, msg: MavMessage, now: float) -> None:
        item = MissionItem.from_message(msg)
        if msg.get_type() == "MISSION_ITEM":
            result, x, y = legacy_to_int(msg.frame, msg.command, msg.x, msg.y)
            if result != ACCEPTED:
                self._ack(partner, mtype, result)
                return
            item = replace(item, x=x, y=y)
            if not self._warned_item[mtype]:
                self._warned_item[mtype] = True
                self._text("got MISSION_ITEM; GCS should send MISSION_ITEM_INT", 4)
        up = self.uploads.get(mtype)
        if up is None:
            self._ack(partner, mtype, M.MAV_MISSION_ERROR)  # not expecting items
            return
        if item.seq != up.next_seq:
            if item.seq < up.next_seq:
                self.duplicates += 1
            self._ack(partner, mtype, M.MAV_MISSION_INVALID_SEQUENCE)  # and the upload goes on
            return
        if partner != up.partner:
            self._ack(partner, mtype, M.MAV_MISSION_DENIED)
            return
        result = self._accept(mtype, up, item)
        if result != ACCEPTED:
            self._end_upload(mtype)
            self._ack(partner, mtype, result)
            return
        up.last_receive_s = now
        up.next_seq += 1
        if up.next_seq > up.last:
            self._end_upload(mtype)
            self._ack(partner, mtype, self._complete(mtype, up.fence))
            return
        up.last_request_s = now
        self._request(mtype)

    def _accept(self, mtype: int, up: _Upload, item: MissionItem) -> int:
        """Store one item where ArduPilot would: replace, append, or keep aside (fence)."""
        result, stored = _STORE[mtype](item)
        if result != ACCEPTED or stored is None:
            return result
        if mtype == FENCE:
            assert up.fence is not None
            if item.seq >= len(up.fence):
                return int(M.MAV_MISSION_INVALID_SEQUENCE)
            up.fence[item.seq] = stored
            return ACCEPTED
        if mtype == MISSION and item.command == M.MAV_CMD_DO_JUMP:
            target = int(stored.param1)  # MissionItemProtocol_Waypoints's DO_JUMP check
            if (target >= len(self.items[MISSION]) and target > up.last) or target == 0:
                return int(M.MAV_MISSION_ERROR)
        items = self.items[mtype]
        if item.seq < len(items):
            self.items[mtype] = (*items[: item.seq], stored, *items[item.seq + 1 :])
        elif item.seq == len(items):
            self.items[mtype] = (*items, stored)
        else:
            return int(M.MAV_MISSION_ERROR)
        return ACCEPTED

    def _complete(self, mtype: int, fence: list[MissionItem | None] | None) -> int:
        """The end of a transfer: what the backend's complete() answers."""
        if mtype == MISSION:
            self._commit(MISSION, self.items[MISSION])
            self._text("Flight plan received", M.MAV_SEVERITY_INFO)
        elif mtype == RALLY:
            self._commit(RALLY, self.items[RALLY])
        else:
            new = tuple(it for it in (fence or []) if it is not None)
            why = fence_problem(new)
            if why is not None:
                self._text(why, M.MAV_SEVERITY_WARNING)
                self._text("Fence validation failed", M.MAV_SEVERITY_WARNING)
                return int(M.MAV_MISSION_ERROR)
            if fence_bytes_required(new) > self.limits.fence_bytes:
                self._text("Fence exceeds storage size", M.MAV_SEVERITY_WARNING)
                return int(M.MAV_MISSION_ERROR)
            self._commit(FENCE, new)
            self._text("Fence Indexed OK", M.MAV_SEVERITY_DEBUG)  # SITL builds say so
        return ACCEPTED

    def _on_request(self, partner: Target, mtype: int, seq: int, legacy: bool) -> None:
        result, item = self._get_item(mtype, seq)
        if result != ACCEPTED or item is None:
            if result == M.MAV_MISSION_INVALID_SEQUENCE and not legacy:
                self._send_count(partner, mtype)  # "educate the GCS on the actual size"
            self._ack(partner, mtype, result)
            return
        if not legacy:
            self._emit(item.to_int_message(self._mav, partner))
            return
        if not self._warned_request[mtype]:
            self._warned_request[mtype] = True
            self._text("got MISSION_REQUEST; use MISSION_REQUEST_INT!", M.MAV_SEVERITY_WARNING)
        x, y = int_to_legacy(item.command, item.x, item.y)
        self._emit(
            self._mav.mission_item_encode(
                partner[0], partner[1], item.seq, item.frame, item.command, item.current,
                item.autocontinue, item.param1, item.param2, item.param3, item.param4, x, y,
                item.z, item.mission_type,
            )
        )  # fmt: skip

    def _get_item(self, mtype: int, seq: int) -> tuple[int, MissionItem | None]:
        items = self.items[mtype]
        if mtype == MISSION and seq == 0:
            lat, lon, alt = self._home()  # slot 0 is always the vehicle's own home
            home = MissionItem(
                0, 0, M.MAV_CMD_NAV_WAYPOINT, 0, 1, 0.0, 0.0, 0.0, 0.0,
                round(lat * 1e7), round(lon * 1e7), alt, MISSION,
            )  # fmt: skip
            return ACCEPTED, home
        if seq >= len(items):
            if mtype == FENCE and seq == len(items):
                return int(M.MAV_MISSION_ERROR), None
            return int(M.MAV_MISSION_INVALID_SEQUENCE), None
        return ACCEPTED, items[seq]

    def _on_clear(self, partner: Target, mtype: int, now: float) -> None:
        types = list(TYPE_NAMES) if mtype == M.MAV_MISSION_TYPE_ALL else [mtype]
        for t in types:
            if not self._cancel_upload(partner, t):
                self._ack(partner, t, M.MAV_MISSION_ERROR)
                continue
            self._commit(t, ())
            self._ack(partner, t, self._complete(t, []))

    def replace(self, mission_type: int, items: tuple[MissionItem, ...]) -> None:
        """Store `items` as a finished upload would (for benches and test set-up)."""
        if mission_type not in TYPE_NAMES:
            raise ValueError(f"unknown mission type {mission_type}")
        stored = []
        for item in items:
            result, it = _STORE[mission_type](item)
            if it is None:
                raise ValueError(f"mission item {item.seq} is refused ({result}): {item}")
            stored.append(it)
        self._commit(mission_type, tuple(stored))

    # ------------------------------------------------------------------ time
    def update(self, now: float) -> None:
        """Re-request the wanted item, or end an upload whose ground station went quiet."""
        for mtype, up in list(self.uploads.items()):
            if now - up.last_receive_s > UPLOAD_TIMEOUT_S:
                self._end_upload(mtype)
                self._text(_TIMEOUT_TEXT[mtype], M.MAV_SEVERITY_WARNING)
                self._ack(up.partner, mtype, M.MAV_MISSION_OPERATION_CANCELLED)
            elif now - up.last_request_s > RE_REQUEST_S:
                up.last_request_s = now
                self._request(mtype)

    # ------------------------------------------------------------------ helpers
    def _end_upload(self, mtype: int) -> None:
        if self.uploads.pop(mtype, None) is not None and mtype != FENCE:
            self._commit(mtype, self.items[mtype])  # what was written so far is the mission

    def _request(self, mtype: int) -> None:
        up = self.uploads[mtype]
        self._emit(self._mav.mission_request_encode(*up.partner, up.next_seq, mtype))

    def _send_count(self, partner: Target, mtype: int) -> None:
        count = len(self.items[mtype])
        self._emit(self._mav.mission_count_encode(partner[0], partner[1], count, mtype))

    def _ack(self, partner: Target, mtype: int, result: int) -> None:
        self._emit(self._mav.mission_ack_encode(partner[0], partner[1], result, mtype))

    def _commit(self, mtype: int, items: tuple[MissionItem, ...]) -> None:
        self.items[mtype] = items
        self._on_changed(mtype)


_KINDS = frozenset(
    {
        "MISSION_COUNT",
        "MISSION_ITEM_INT",
        "MISSION_ITEM",
        "MISSION_REQUEST_LIST",
        "MISSION_REQUEST_INT",
        "MISSION_REQUEST",
        "MISSION_CLEAR_ALL",
        "MISSION_WRITE_PARTIAL_LIST",
        "MISSION_ACK",
    }
)
