"""The live fan-out hub: coalescing, overflow, stuck clients and cancellation safety."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from groundstation.telemetry.hub import (
    PROTOCOL_VERSION,
    ClientClosed,
    ClientQueue,
    Hub,
    make_message,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frame(sysid: int, seq: int):
    return make_message("vehicle.frame", {"sysid": sysid, "seq": seq}, key=f"vehicle:{sysid}")


def event(n: int):
    return make_message("incident.created", {"id": n})


def drain(client: ClientQueue) -> list[Any]:
    out = []
    while len(client):
        out.append(client.get_nowait())
    return out


def test_envelope_is_versioned_json():
    """A message's text is the JSON envelope with version, type, timestamp and data."""
    msg = make_message("incident.created", {"id": 3})
    decoded = json.loads(msg.text)
    assert decoded["v"] == PROTOCOL_VERSION
    assert decoded["type"] == "incident.created"
    assert decoded["data"] == {"id": 3}
    assert decoded["ts"].endswith("+00:00")


def test_frames_coalesce_per_vehicle_and_keep_their_turn():
    """A slow client gets only the latest frame of each vehicle, in first-queued order."""
    hub = Hub(queue_size=8)
    client = hub.subscribe()
    for seq in range(50):
        hub.publish(frame(1, seq))
        hub.publish(frame(2, seq))
    hub.publish(event(1))
    got = drain(client)
    assert [(m.type, dict(m.data)) for m in got] == [
        ("vehicle.frame", {"sysid": 1, "seq": 49}),
        ("vehicle.frame", {"sysid": 2, "seq": 49}),
        ("incident.created", {"id": 1}),
    ]
    assert client.coalesced == 98


def test_events_are_never_coalesced_and_stay_in_order():
    """Uncoalescable messages are delivered one by one, in publish order."""
    hub = Hub(queue_size=16)
    client = hub.subscribe()
    for n in range(10):
        hub.publish(event(n))
    assert [m.data["id"] for m in drain(client)] == list(range(10))


def test_overflow_closes_only_the_slow_client():
    """A client whose queue fills with events is closed; a client that keeps up is unaffected."""
    hub = Hub(queue_size=4)
    slow = hub.subscribe()
    fast = hub.subscribe()
    for n in range(6):
        hub.publish(event(n))
        fast.get_nowait()
    assert slow.close_reason == "overflow"
    assert not fast.closed
    assert hub.clients == 1
    assert hub.stats.dropped_overflow == 1
    with pytest.raises(ClientClosed, match="overflow"):
        slow.get_nowait()


def test_frames_alone_never_overflow():
    """With fewer vehicles than slots, endless frames never close a client that reads nothing."""
    hub = Hub(queue_size=4, stuck_s=1e9)
    client = hub.subscribe()
    for seq in range(1000):
        for sysid in (1, 2, 3):
            hub.publish(frame(sysid, seq))
    assert not client.closed
    assert [m.data["seq"] for m in drain(client)] == [999, 999, 999]


def test_a_large_fleet_leaves_the_whole_event_allowance():
    """Frames of more vehicles than the queue holds events do not use up the events' room: with
    250 vehicles queued, 16 alerts still fit a 16-event queue, and the 17th overflows."""
    hub = Hub(queue_size=16, stuck_s=1e9)
    client = hub.subscribe()
    for sysid in range(1, 251):
        hub.publish(frame(sysid, 0))
    for n in range(16):
        hub.publish(event(n))
    assert not client.closed
    assert len(client) == 250 + 16
    hub.publish(event(16))
    assert client.close_reason == "overflow"


def test_events_taken_free_their_room():
    """The event bound counts what waits, not what was ever queued."""
    hub = Hub(queue_size=2, stuck_s=1e9)
    client = hub.subscribe()
    for n in range(10):
        hub.publish(frame(1, n))
        hub.publish(event(n))
        hub.publish(event(n + 100))
        taken = drain(client)
        assert [m.data.get("id") for m in taken if m.key is None] == [n, n + 100]
    assert not client.closed


def test_stuck_client_is_dropped_after_timeout():
    """A client with waiting messages that takes none for stuck_s is closed on the next publish."""
    clock = FakeClock()
    hub = Hub(queue_size=64, stuck_s=5.0, clock=clock)
    stuck = hub.subscribe()
    alive = hub.subscribe()
    hub.publish(frame(1, 0))
    alive.get_nowait()
    clock.now = 4.0
    hub.publish(frame(1, 1))
    alive.get_nowait()
    assert not stuck.closed
    clock.now = 5.5
    hub.publish(frame(1, 2))
    assert stuck.close_reason == "stuck"
    assert not alive.closed
    assert alive.get_nowait().data["seq"] == 2


def test_idle_client_with_empty_queue_is_not_stuck():
    """Time passing with nothing to deliver never counts against a client."""
    clock = FakeClock()
    hub = Hub(queue_size=8, stuck_s=1.0, clock=clock)
    client = hub.subscribe()
    clock.now = 100.0
    hub.publish(event(1))
    assert not client.closed
    assert client.get_nowait().data["id"] == 1


async def test_get_waits_then_returns_published_message():
    """A waiting get() wakes up with the message published after it started."""
    hub = Hub()
    client = hub.subscribe()
    waiter = asyncio.create_task(client.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    hub.publish(event(7))
    msg = await asyncio.wait_for(waiter, 5)
    assert msg.data["id"] == 7


async def test_cancelled_get_loses_nothing():
    """Cancelling a waiting get() leaves later messages for the next get()."""
    hub = Hub()
    client = hub.subscribe()
    waiter = asyncio.create_task(client.get())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    hub.publish(event(1))
    hub.publish(event(2))
    assert (await client.get()).data["id"] == 1
    assert (await client.get()).data["id"] == 2


async def test_close_wakes_a_waiting_get():
    """Closing a client makes its pending get() raise ClientClosed with the reason."""
    hub = Hub()
    client = hub.subscribe()
    waiter = asyncio.create_task(client.get())
    await asyncio.sleep(0)
    hub.close()
    with pytest.raises(ClientClosed, match="shutdown"):
        await asyncio.wait_for(waiter, 5)
    assert await client.wait_closed() == "shutdown"


async def test_blocked_sender_does_not_delay_others():
    """A relay stuck in send() never stops the hub from delivering to another client."""
    hub = Hub(queue_size=8)
    blocked = hub.subscribe()
    healthy = hub.subscribe()
    never = asyncio.Event()
    received: list[int] = []

    async def relay_blocked():
        await blocked.get()
        await never.wait()  # a socket whose send never completes

    async def relay_healthy():
        while len(received) < 20:
            received.append((await healthy.get()).data["id"])

    tasks = [asyncio.create_task(relay_blocked()), asyncio.create_task(relay_healthy())]
    for n in range(20):
        hub.publish(event(n))
        await asyncio.sleep(0)
    await asyncio.wait_for(tasks[1], 5)
    assert received == list(range(20))
    assert blocked.close_reason == "overflow"
    tasks[0].cancel()
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]


def test_subscription_context_unsubscribes():
    """Leaving a subscription block removes the client from the hub."""
    hub = Hub()
    with hub.subscription() as client:
        assert hub.clients == 1
    assert hub.clients == 0
    assert client.close_reason == "gone"


def test_queue_size_must_be_positive():
    """A zero-length queue is refused with a clear error."""
    with pytest.raises(ValueError, match="at least 1"):
        ClientQueue(0)


def test_frames_are_rate_limited_per_vehicle_latest_wins():
    """At 10 Hz, after a burst of two, a vehicle's frame waits, is replaced, and events pass it."""
    clock = FakeClock()
    hub = Hub(queue_size=16, clock=clock, max_rate_hz=10)
    client = hub.subscribe()
    for seq in (0, 1):
        hub.publish(frame(1, seq))
        assert client.get_nowait().data["seq"] == seq
    hub.publish(frame(1, 2))
    hub.publish(frame(2, 1))
    hub.publish(event(5))
    hub.publish(frame(1, 3))
    got = [client.get_nowait().data for _ in range(2)]
    assert got == [{"sysid": 2, "seq": 1}, {"id": 5}]
    with pytest.raises(IndexError):
        client.get_nowait()
    clock.now = 0.1
    assert client.get_nowait().data == {"sysid": 1, "seq": 3}
    hub.publish(frame(1, 4))
    with pytest.raises(IndexError):
        client.get_nowait()
    clock.now = 0.2
    assert client.get_nowait().data == {"sysid": 1, "seq": 4}


async def test_get_waits_for_a_rate_limited_frame():
    """A waiting get() returns a held-back frame once it is due, without another publish."""
    hub = Hub(queue_size=8, max_rate_hz=50)
    client = hub.subscribe()
    for seq in (0, 1):
        hub.publish(frame(1, seq))
        assert (await client.get()).data["seq"] == seq
    hub.publish(frame(1, 2))
    assert len(client) == 1
    msg = await asyncio.wait_for(client.get(), 5)
    assert msg.data["seq"] == 2


def test_event_builders_key_only_vehicle_frames():
    """Vehicle frames coalesce per sysid; patrol states and alerts are delivered one by one."""
    from groundstation.telemetry.events import alert, patrol_state, vehicle_frame
    from groundstation.telemetry.messages import PatrolStatus, VehicleFrame

    hub = Hub(queue_size=8)
    client = hub.subscribe()
    for seq in range(3):
        frame = VehicleFrame.offline(5, None, None).model_copy(update={"mission_seq": seq})
        hub.publish(vehicle_frame(frame))
        patrol = PatrolStatus(
            id=1, plan_id=2, sortie=1, vehicle_id=None, state=f"s{seq}", reason="",
            last_item_reached=-1,
        )  # fmt: skip
        hub.publish(patrol_state(patrol))
    hub.publish(alert("warning", "battery low", sysid=5))
    got = [(m.type, m.data) for m in drain(client)]
    assert [(t, d.get("mission_seq", d.get("state"))) for t, d in got] == [
        ("vehicle.frame", 2),
        ("patrol.state", "s0"),
        ("patrol.state", "s1"),
        ("patrol.state", "s2"),
        ("alert", None),
    ]
    assert got[-1][1] == {"level": "warning", "text": "battery low", "sysid": 5}


def test_the_cap_holds_the_average_rate_when_frames_are_taken_in_batches():
    """Over ten seconds of frames at 100 Hz, a 10 Hz cap sends about 100, never many more."""
    clock = FakeClock()
    hub = Hub(queue_size=8, clock=clock, max_rate_hz=10)
    client = hub.subscribe()
    sent = 0
    for tick in range(1000):
        clock.now = tick / 100
        hub.publish(frame(1, tick))
        sent += len(client.get_due_nowait())
    assert 95 <= sent <= 100 + 2  # the rate plus the burst


def test_messages_are_strict_json_nan_and_infinity_are_refused():
    """The hub never writes NaN or Infinity (browsers' JSON.parse rejects them): it refuses."""
    import math

    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="JSON"):
            make_message("vehicle.frame", {"sysid": 1, "speed_m_s": bad}, key="vehicle:1")
