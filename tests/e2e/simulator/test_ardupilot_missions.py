"""The simulator refuses what ArduCopter refuses: a pymavlink ground station (mavutil over TCP,
as MAVProxy and scripts connect) runs the scenarios that were run against ArduCopter SITL
90700977 (`arducopter -I17 --speedup 10`) and gets the answers that SITL gave."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.testing import SimConfig, SimFleet

pytestmark = pytest.mark.e2e
M = mavutil.mavlink
LAT, LON = 290525300, 1191818410  # degE7, the Longyou station
SPEEDUP = 10.0
Row = tuple[Any, ...]  # frame, command, current, autocontinue, p1..p4, x, y, z


class Gcs:
    """A blocking pymavlink ground station, run in a worker thread."""

    def __init__(self, port: int) -> None:
        self.m = mavutil.mavlink_connection(
            f"tcp:127.0.0.1:{port}", source_system=255, source_component=190
        )
        # MAVLink 2 (fence and rally need its mission_type), as QGC and MAVProxy speak it
        self.m.mav = mavlink2.MAVLink(self.m, srcSystem=255, srcComponent=190)
        self.m.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)
        assert self.m.wait_heartbeat(timeout=10) is not None
        self.texts: list[str] = []

    def recv(self, types: list[str], timeout: float = 3.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = self.m.recv_match(blocking=True, timeout=0.05)
            if msg is None:
                continue
            if msg.get_type() == "STATUSTEXT":
                self.texts.append(msg.text)
            if msg.get_type() in types:
                return msg
        return None

    def events(self, seconds: float) -> list[tuple[str, int]]:
        """(type, seq or ack result) of the mission messages seen for `seconds` of wall time."""
        out = []
        end = time.monotonic() + seconds
        while (msg := self.recv(list(_MISSION_ANSWERS), end - time.monotonic())) is not None:
            out.append((msg.get_type(), getattr(msg, "seq", getattr(msg, "type", -1))))
        return out

    def upload(
        self, rows: list[Row], mtype: int = 0, legacy: bool = False, repeat: int = -1
    ) -> list[tuple[str, int]]:
        """Answer every request; send item `repeat` twice. Every answer until the final ACK."""
        self.m.mav.mission_count_send(1, 1, len(rows), mtype)
        seen: list[tuple[str, int]] = []
        while (msg := self.recv(list(_MISSION_ANSWERS))) is not None:
            seen.append((msg.get_type(), getattr(msg, "seq", getattr(msg, "type", -1))))
            if msg.get_type() == "MISSION_ACK":
                if msg.type != M.MAV_MISSION_INVALID_SEQUENCE:
                    return seen
                continue
            for _ in range(2 if msg.seq == repeat else 1):
                self.send_item(msg.seq, rows[msg.seq], mtype, legacy)
        raise AssertionError(f"no final MISSION_ACK: {seen}")

    def send_item(self, seq: int, row: Row, mtype: int, legacy: bool = False) -> None:
        if not legacy:
            self.m.mav.mission_item_int_send(1, 1, seq, *row, mtype)
            return
        fr, cmd, cur, ac, p1, p2, p3, p4, x, y, z = row
        self.m.mav.mission_item_send(
            1, 1, seq, fr, cmd, cur, ac, p1, p2, p3, p4, x / 1e7, y / 1e7, z, mtype
        )

    def download(self, mtype: int = 0) -> list[Any]:
        self.m.mav.mission_request_list_send(1, 1, mtype)
        count = self.recv(["MISSION_COUNT"])
        items = []
        for seq in range(count.count):
            self.m.mav.mission_request_int_send(1, 1, seq, mtype)
            items.append(self.recv(["MISSION_ITEM_INT"]))
        self.m.mav.mission_ack_send(1, 1, M.MAV_MISSION_ACCEPTED, mtype)
        return items

    def close(self) -> None:
        self.m.close()


_MISSION_ANSWERS = ("MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK", "MISSION_COUNT")


@pytest.fixture
def fleet_gcs() -> Callable[[Callable[[Gcs], None]], None]:
    """Runs a scenario (a function of a `Gcs`) against a one-vehicle fleet on TCP."""

    def run(scenario: Callable[[Gcs], None]) -> None:
        async def main() -> None:
            config = SimConfig(drones=1, listen="tcpin:127.0.0.1:0", speedup=SPEEDUP)
            async with SimFleet(config) as sim:
                gcs = await asyncio.to_thread(Gcs, sim.ports[0])
                try:
                    await asyncio.to_thread(scenario, gcs)
                finally:
                    gcs.close()

        asyncio.run(main())

    return run


def _waypoints(n: int, alt: float = 30.0) -> list[Row]:
    return [(0, 16, 0, 1, 0, 0, 0, 0, LAT, LON, 40)] + [
        (6, 16, 0, 1, 0, 0, 0, 0, LAT + i * 100, LON, alt) for i in range(1, n)
    ]


def _polygon(n: int) -> list[Row]:
    return [
        (5, 5001, 0, 1, n, 0, 0, 0, LAT + int(1e4 * math.cos(2 * math.pi * i / n)),
         LON + int(1e4 * math.sin(2 * math.pi * i / n)), 0)
        for i in range(n)
    ]  # fmt: skip


def test_upload_read_back_and_duplicate(fleet_gcs: Callable[..., None]) -> None:
    """MISSION_REQUEST asks; a duplicate item draws INVALID_SEQUENCE and the upload goes on;
    the download is normalised: home in slot 0, frame 6 -> 3, WAYPOINT's param2 dropped,
    altitude in centimetres, non-navigation items frame 0."""

    def scenario(gcs: Gcs) -> None:
        rows = [
            (0, 16, 0, 1, 0, 0, 0, 0, LAT + 5000, LON, 12),
            (6, 22, 0, 1, 15, 0, 0, 0, 0, 0, 30),
            (6, 16, 0, 1, 2.5, 3.0, 1.0, 45.0, LAT + 1000, LON + 1000, 30.123),
            (2, 178, 0, 1, 1, 7.5, -1, 0, 0, 0, 0),
            (6, 20, 0, 1, 0, 0, 0, 0, 0, 0, 0),
        ]
        seen = gcs.upload(rows, repeat=2)
        assert [k for k, _ in seen] == ["MISSION_REQUEST"] * 4 + ["MISSION_ACK"] + [
            "MISSION_REQUEST",
            "MISSION_ACK",
        ]
        assert [v for k, v in seen if k == "MISSION_ACK"] == [
            M.MAV_MISSION_INVALID_SEQUENCE,
            M.MAV_MISSION_ACCEPTED,
        ]
        got = gcs.download()
        assert [(i.frame, i.command, i.param1, i.param2, i.param3, i.param4) for i in got] == [
            (0, 16, 0, 0, 0, 0), (3, 22, 15, 0, 0, 0), (3, 16, 2, 0, 0, 0),
            (0, 178, 1, 7.5, -1, 0), (0, 20, 0, 0, 0, 0),
        ]  # fmt: skip
        assert (got[0].x, got[0].y, got[0].z) == (LAT, LON, pytest.approx(40.0))
        assert got[2].z == pytest.approx(30.12, abs=1e-5)

    fleet_gcs(scenario)


def test_float_items_warn_and_lose_precision(fleet_gcs: Callable[..., None]) -> None:
    def scenario(gcs: Gcs) -> None:
        rows = _waypoints(3)
        rows[1] = (3, 16, 0, 1, 0, 0, 0, 0, 291759967, 1199472731, 33)
        seen = gcs.upload(rows, legacy=True)
        assert seen[-1] == ("MISSION_ACK", 0), (seen, gcs.texts)
        gcs.recv(["STATUSTEXT"], 0.3)
        assert gcs.texts.count("got MISSION_ITEM; GCS should send MISSION_ITEM_INT") == 1
        got = gcs.download()
        assert (got[1].x, got[1].y) == (291759968, 1199472768)  # as the SITL stored them

    fleet_gcs(scenario)


def test_capacities_refuse_as_the_sitl_did(fleet_gcs: Callable[..., None]) -> None:
    """651 mission items NO_SPACE; a 69-point fence stored, 70 ERROR, 71 NO_SPACE; 46 rally
    points stored, 47 NO_SPACE."""

    def scenario(gcs: Gcs) -> None:
        assert gcs.upload(_waypoints(651))[-1] == ("MISSION_ACK", M.MAV_MISSION_NO_SPACE)
        assert gcs.upload(_waypoints(650))[-1] == ("MISSION_ACK", M.MAV_MISSION_ACCEPTED)
        assert gcs.upload(_polygon(69), 1)[-1] == ("MISSION_ACK", M.MAV_MISSION_ACCEPTED)
        assert gcs.upload(_polygon(70), 1)[-1] == ("MISSION_ACK", M.MAV_MISSION_ERROR)
        assert gcs.upload(_polygon(71), 1)[-1] == ("MISSION_ACK", M.MAV_MISSION_NO_SPACE)
        rally = [(6, 5100, 0, 1, 0, 0, 0, 0, LAT + 100 * i, LON, 30.7) for i in range(47)]
        assert gcs.upload(rally[:46], 2)[-1] == ("MISSION_ACK", M.MAV_MISSION_ACCEPTED)
        assert gcs.upload(rally, 2)[-1] == ("MISSION_ACK", M.MAV_MISSION_NO_SPACE)
        gcs.recv(["STATUSTEXT"], 0.3)
        assert "Only 650 items are supported" in gcs.texts
        assert "Fence exceeds storage size" in gcs.texts
        assert "Only 70 items are supported" in gcs.texts
        fence = gcs.download(1)
        assert len(fence) == 69
        assert {(i.frame, i.autocontinue, i.param1) for i in fence} == {(0, 0, 69)}
        assert {(i.frame, i.autocontinue, i.z) for i in gcs.download(2)} == {(3, 0, 30.0)}

    fleet_gcs(scenario)


def test_abandoned_upload_denies_downloads_until_it_times_out(
    fleet_gcs: Callable[..., None],
) -> None:
    """An upload left after two items: DENIED for downloads (a MISSION_ACK(CANCELLED) from the
    ground station changes nothing), re-requests of item 2 about every simulated second, then
    OPERATION_CANCELLED and 'Mission upload timeout' 8 s after the last item; the two items
    sent stay written over the old mission."""

    def scenario(gcs: Gcs) -> None:
        assert gcs.upload(_waypoints(10, alt=50))[-1] == ("MISSION_ACK", 0)
        gcs.m.mav.mission_count_send(1, 1, 5, 0)
        for _ in range(2):
            req = gcs.recv(["MISSION_REQUEST"])
            gcs.send_item(req.seq, _waypoints(5, alt=77)[req.seq], 0)
        gcs.m.mav.mission_ack_send(1, 1, M.MAV_MISSION_OPERATION_CANCELLED, 0)
        gcs.m.mav.mission_request_list_send(1, 1, 0)
        gcs.m.mav.mission_request_int_send(1, 1, 0, 0)
        seen = gcs.events(8.5 / SPEEDUP + 0.5)
        acks = [v for k, v in seen if k == "MISSION_ACK"]
        assert acks == [M.MAV_MISSION_DENIED] * 2 + [M.MAV_MISSION_OPERATION_CANCELLED]
        assert 5 <= len([v for k, v in seen if k == "MISSION_REQUEST" and v == 2]) <= 8
        assert "Mission upload timeout" in gcs.texts
        assert [round(i.z) for i in gcs.download()] == [40, 77, 50, 50, 50]

    fleet_gcs(scenario)
