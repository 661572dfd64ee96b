"""The station's hub forwarder: what reaches the outbox, in which order, at which rate."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from groundstation.config import FederationSettings
from groundstation.federation.outbox import Outbox
from groundstation.federation.protocol import Command, CommandAck
from groundstation.federation.station import Outcome, StationLink
from groundstation.telemetry.events import alert, vehicle_frame
from groundstation.telemetry.hub import Hub, make_message
from groundstation.telemetry.messages import VehicleFrame


async def _never(command: Command) -> Outcome:
    raise AssertionError("no command in these tests")


async def _no_audit(command: Command, ack: CommandAck) -> None:
    raise AssertionError("no command in these tests")


def _link(tmp_path: Path, rate_hz: float) -> StationLink:
    settings = FederationSettings(enabled=True, station_id="river-a", frame_rate_hz=rate_hz)
    return StationLink(settings, Outbox(tmp_path / "outbox.db"), _never, _no_audit)


async def test_frames_are_rate_limited_per_vehicle_and_events_keep_their_order(
    tmp_path: Path,
) -> None:
    """Ten quick frames of each of two vehicles become one each (1 Hz); an alert, a report
    notice and every frame sent keep the hub's order; the notice becomes report.ready."""
    hub = Hub(queue_size=256, stuck_s=10, max_rate_hz=1000, batch_interval_s=0)
    link = _link(tmp_path, rate_hz=1.0)
    task = asyncio.create_task(link.forward_hub(hub))
    await asyncio.sleep(0.05)
    try:
        hub.publish(alert("warning", "wind", kind="wind"))
        for _ in range(10):
            for sysid in (1, 2):
                hub.publish(vehicle_frame(VehicleFrame.offline(sysid, sysid, f"d{sysid}")))
            await asyncio.sleep(0.005)  # the forwarder sees each round (no coalescing in the hub)
        hub.publish(alert("info", "report 7 ready", kind="report_ready", patrol_id=7))
        await asyncio.sleep(0.2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    sent = [json.loads(p.payload) for p in link.outbox.oldest(100)]
    kinds = [(e["kind"], e["data"].get("sysid")) for e in sent]
    assert kinds == [
        ("alert", None),
        ("vehicle.frame", 1),
        ("vehicle.frame", 2),
        ("report.ready", None),
    ]
    assert [e["seq"] for e in sent] == [1, 2, 3, 4]
    assert len({e["id"] for e in sent}) == 4


async def test_an_event_keeps_the_time_the_station_made_it(tmp_path: Path) -> None:
    """A frame is sent with the hub message's time (when the station built it from the
    telemetry it received), not the forwarder's, and the centre's feed passes that on as
    ``station_at``: the delay measured at the centre includes any wait at the station."""
    hub = Hub(queue_size=256, stuck_s=10, max_rate_hz=1000, batch_interval_s=0)
    link = _link(tmp_path, rate_hz=1.0)
    made = datetime(2026, 12, 6, 5, 0, 0, 123000, tzinfo=UTC)
    task = asyncio.create_task(link.forward_hub(hub))
    await asyncio.sleep(0.05)
    try:
        hub.publish(make_message("vehicle.frame", {"sysid": 1}, key="vehicle:1", ts=made))
        hub.publish(alert("info", "now"))
        await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    frame, now = (json.loads(p.payload) for p in link.outbox.oldest(10))
    assert datetime.fromisoformat(frame["at"]) == made
    assert datetime.now(UTC) - datetime.fromisoformat(now["at"]) < timedelta(seconds=5)


async def test_the_frame_rate_goes_by_when_the_frames_were_made(tmp_path: Path) -> None:
    """Frames made 0.5 s apart that reach the forwarder together (it fell behind) are limited
    by the times they were made: at 1 Hz the first, third and fifth go, none is lost to the
    forwarder's own delay."""
    hub = Hub(queue_size=256, stuck_s=10, max_rate_hz=1000, batch_interval_s=0)
    link = _link(tmp_path, rate_hz=1.0)
    t0 = datetime(2026, 12, 6, 5, 0, 0, tzinfo=UTC)
    task = asyncio.create_task(link.forward_hub(hub))
    await asyncio.sleep(0.05)
    try:
        for n in range(5):
            made = t0 + timedelta(seconds=0.5 * n)
            data = {"sysid": 1, "mission_seq": n}
            hub.publish(make_message("vehicle.frame", data, key="vehicle:1", ts=made))
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    sent = [json.loads(p.payload)["data"]["mission_seq"] for p in link.outbox.oldest(10)]
    assert sent == [0, 2, 4]
