"""A scripted ground station for sans-I/O autopilot tests: every message goes through real bytes."""

from __future__ import annotations

from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.codec import Parser

M = mavlink2
HOME = (29.05253, 119.181841, 40.0)


def item(
    seq: int,
    command: int,
    lat: float = 0.0,
    lon: float = 0.0,
    alt: float = 0.0,
    frame: int = M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
    p1: float = 0.0,
    p2: float = 0.0,
    p3: float = 0.0,
    mission_type: int = 0,
) -> tuple[Any, ...]:
    """Fields of one MISSION_ITEM_INT after the target ids."""
    return (
        seq,
        frame,
        command,
        0,
        1,
        p1,
        p2,
        p3,
        0.0,
        round(lat * 1e7),
        round(lon * 1e7),
        alt,
        mission_type,
    )


def survey_mission(dlat: float = 0.001) -> list[tuple[Any, ...]]:
    """Home, takeoff 20 m, camera every 20 m, two waypoints, RTL."""
    lat, lon, _ = HOME
    return [
        item(0, M.MAV_CMD_NAV_WAYPOINT, lat, lon, 0, frame=M.MAV_FRAME_GLOBAL_INT),
        item(1, M.MAV_CMD_NAV_TAKEOFF, alt=20),
        item(2, M.MAV_CMD_DO_SET_CAM_TRIGG_DIST, p1=20),
        item(3, M.MAV_CMD_NAV_WAYPOINT, lat + dlat, lon, 20),
        item(4, M.MAV_CMD_NAV_WAYPOINT, lat + dlat, lon + dlat, 25),
        item(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]


class Gcs:
    """Talks to one `Autopilot` through packed bytes and keeps what came back."""

    def __init__(self, ap: Autopilot, sysid: int = 255, compid: int = 190) -> None:
        self.ap = ap
        self.mav = M.MAVLink(None, sysid, compid)
        self.received: list[Any] = []

    def send(self, msg: Any) -> list[Any]:
        data = msg.pack(self.mav)
        self.mav.seq = (self.mav.seq + 1) % 256
        for m in Parser().feed(data):
            self.ap.handle(m)
        return self.collect()

    def feed_bytes(self, data: bytes, parser: Parser | None = None) -> list[Any]:
        for m in (parser or Parser()).feed(data):
            self.ap.handle(m)
        return self.collect()

    def collect(self) -> list[Any]:
        out = self.ap.drain()
        self.received.extend(out)
        return out

    def run(self, seconds: float) -> list[Any]:
        """Advance simulated time by `seconds`, keeping everything sent meanwhile."""
        got: list[Any] = []
        end = self.ap.t + seconds
        while self.ap.t < end - 1e-6:
            self.ap.update(min(end, self.ap.t + 1.0))
            got.extend(self.collect())
        return got

    def run_until(self, predicate: Any, max_s: float = 1200.0) -> list[Any]:
        got: list[Any] = []
        end = self.ap.t + max_s
        while self.ap.t < end:
            got.extend(self.run(1.0))
            if predicate():
                return got
        raise AssertionError(f"condition not reached in {max_s} simulated seconds")

    # ------------------------------------------------------------------ helpers
    def command(self, command: int, *params: float, sysid: int = 1) -> Any:
        p = list(params) + [0.0] * (7 - len(params))
        out = self.send(self.mav.command_long_encode(sysid, 1, command, 0, *p))
        return one(out, "COMMAND_ACK")

    def set_mode(self, number: int) -> int:
        ack = self.command(M.MAV_CMD_DO_SET_MODE, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, number)
        return int(ack.result)

    def upload(self, items: list[tuple[Any, ...]], mission_type: int = 0, sysid: int = 1) -> Any:
        """Upload `items`; the final MISSION_ACK."""
        out = self.send(self.mav.mission_count_encode(sysid, 1, len(items), mission_type))
        for _ in range(len(items) + 1):
            acks = of(out, "MISSION_ACK")
            if acks:
                return acks[-1]
            req = one(out, "MISSION_REQUEST")  # ArduPilot asks with the legacy request
            out = self.send(self.mav.mission_item_int_encode(sysid, 1, *items[req.seq]))
        raise AssertionError("upload did not finish")

    def download(self, mission_type: int = 0, legacy: bool = False) -> list[Any]:
        count = one(
            self.send(self.mav.mission_request_list_encode(1, 1, mission_type)), "MISSION_COUNT"
        )
        got = []
        for seq in range(count.count):
            if legacy:
                msg = self.mav.mission_request_encode(1, 1, seq, mission_type)
                got.append(one(self.send(msg), "MISSION_ITEM"))
            else:
                msg = self.mav.mission_request_int_encode(1, 1, seq, mission_type)
                got.append(one(self.send(msg), "MISSION_ITEM_INT"))
        self.send(self.mav.mission_ack_encode(1, 1, 0, mission_type))
        return got

    def texts(self) -> list[str]:
        return [text_of(m) for m in self.received if m.get_type() == "STATUSTEXT"]


def text_of(msg: Any) -> str:
    text = msg.text
    return text.decode() if isinstance(text, bytes) else str(text)


def of(msgs: list[Any], kind: str) -> list[Any]:
    return [m for m in msgs if m.get_type() == kind]


def one(msgs: list[Any], kind: str) -> Any:
    found = of(msgs, kind)
    assert len(found) == 1, f"expected one {kind}, got {[m.get_type() for m in msgs]}"
    return found[0]
