"""Vehicle frames waiting together go to a client as one ``vehicle.frames`` message."""

from __future__ import annotations

import asyncio
import json

import pytest

from groundstation.telemetry.events import VEHICLE_FRAME, alert, vehicle_key, wire_texts
from groundstation.telemetry.hub import ClientClosed, Hub, batch_text, make_message


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frame(sysid: int, seq: int):
    """A keyed frame as the bridge publishes one, with a short payload to compare."""
    return make_message(VEHICLE_FRAME, {"sysid": sysid, "seq": seq}, key=vehicle_key(sysid))


def decoded(texts: list[str]) -> list[tuple[str, object]]:
    return [(m["type"], m["data"]) for m in map(json.loads, texts)]


def test_waiting_frames_go_as_one_message_with_the_latest_of_each_vehicle():
    """Several frames of three vehicles become one vehicle.frames holding each one's newest."""
    hub = Hub(queue_size=16)
    client = hub.subscribe()
    for seq in range(4):
        for sysid in (1, 2, 3):
            hub.publish(frame(sysid, seq))
    texts = wire_texts(client.get_due_nowait())
    assert len(texts) == 1
    msg = json.loads(texts[0])
    assert msg["v"] == 1
    assert msg["type"] == "vehicle.frames"
    assert msg["ts"].endswith("+00:00")
    assert msg["data"] == [{"sysid": s, "seq": 3} for s in (1, 2, 3)]
    assert len(client) == 0


def test_events_keep_their_place_between_batches():
    """An event splits the frames around it, so it arrives after earlier and before later ones."""
    hub = Hub(queue_size=16)
    client = hub.subscribe()
    hub.publish(frame(1, 0))
    hub.publish(frame(2, 0))
    hub.publish(make_message("patrol.state", {"id": 7, "state": "flying"}))
    hub.publish(frame(3, 0))
    hub.publish(frame(4, 0))
    hub.publish(alert("warning", "battery low", sysid=4))
    hub.publish(frame(5, 0))
    hub.publish(frame(1, 1))  # replaces vehicle 1's queued frame in its place
    assert decoded(wire_texts(client.get_due_nowait())) == [
        ("vehicle.frames", [{"sysid": 1, "seq": 1}, {"sysid": 2, "seq": 0}]),
        ("patrol.state", {"id": 7, "state": "flying"}),
        ("vehicle.frames", [{"sysid": 3, "seq": 0}, {"sysid": 4, "seq": 0}]),
        ("alert", {"level": "warning", "text": "battery low", "sysid": 4}),
        ("vehicle.frame", {"sysid": 5, "seq": 0}),
    ]


def test_a_lone_frame_goes_as_vehicle_frame():
    """One waiting frame is sent as a plain vehicle.frame, byte for byte as published."""
    msg = frame(9, 1)
    assert wire_texts([msg]) == [msg.text]
    assert wire_texts([]) == []


def test_batch_text_is_what_json_would_write():
    """A batch's text decodes to the envelope with the list of the frames' data, in order."""
    msgs = [make_message("vehicle.frame", {"sysid": n, "name": f"egret-{n}"}) for n in (2, 1)]
    out = json.loads(batch_text("vehicle.frames", msgs))
    assert out["type"] == "vehicle.frames"
    assert out["data"] == [{"sysid": 2, "name": "egret-2"}, {"sysid": 1, "name": "egret-1"}]


def test_rate_limited_frames_stay_out_of_the_batch():
    """A frame not yet due stays queued (and keeps being replaced) while due ones are taken."""
    clock = FakeClock()
    hub = Hub(queue_size=16, clock=clock, max_rate_hz=10)
    client = hub.subscribe()
    for seq in (0, 1):  # vehicle 1 uses its burst
        hub.publish(frame(1, seq))
        client.get_due_nowait()
    hub.publish(frame(1, 2))
    hub.publish(frame(2, 0))
    hub.publish(frame(3, 0))
    hub.publish(frame(1, 3))
    got = client.get_due_nowait()
    assert [m.data for m in got] == [{"sysid": 2, "seq": 0}, {"sysid": 3, "seq": 0}]
    assert client.get_due_nowait() == []
    clock.now = 0.1
    assert [m.data for m in client.get_due_nowait()] == [{"sysid": 1, "seq": 3}]


async def test_get_due_waits_then_takes_everything_due():
    """get_due() waits for a publish, then returns all messages queued by then, oldest first."""
    hub = Hub(queue_size=16)
    client = hub.subscribe()
    waiting = asyncio.create_task(client.get_due())
    await asyncio.sleep(0)
    assert not waiting.done()
    hub.publish(frame(1, 0))
    hub.publish(make_message("incident.created", {"id": 3}))
    hub.publish(frame(2, 0))
    got = await asyncio.wait_for(waiting, 5)
    assert [m.type for m in got] == ["vehicle.frame", "incident.created", "vehicle.frame"]
    assert len(client) == 0


def test_get_due_on_a_closed_client_raises():
    """A closed client's queue refuses to hand out anything and says why."""
    hub = Hub(queue_size=4)
    client = hub.subscribe()
    hub.publish(frame(1, 0))
    hub.unsubscribe(client, "overflow")
    with pytest.raises(ClientClosed, match="overflow"):
        client.get_due_nowait()


async def test_frames_published_one_by_one_reach_each_client_in_bounded_batches():
    """100 vehicles' frames published one at a time, the relays running between each, reach
    each of 20 clients in at most one message per batch interval, never one per frame.

    The bound is counted on the run's own elapsed time, so a slow machine only lowers the count.
    Before the batch window each frame woke every relay and went alone: 2,000 messages a client.
    """
    interval = 0.04
    hub = Hub(queue_size=256, batch_interval_s=interval)
    clients = [hub.subscribe() for _ in range(20)]
    messages = [0] * len(clients)
    latest: list[dict[int, int]] = [{} for _ in clients]

    async def relay(i: int) -> None:
        while True:
            for text in wire_texts(await clients[i].get_due()):
                messages[i] += 1
                data = json.loads(text)["data"]
                for state in data if isinstance(data, list) else [data]:
                    latest[i][state["sysid"]] = state["seq"]

    loop = asyncio.get_running_loop()
    async with asyncio.TaskGroup() as group:
        relays = [group.create_task(relay(i)) for i in range(len(clients))]
        started = loop.time()
        for seq in range(20):
            for sysid in range(1, 101):
                hub.publish(frame(sysid, seq))
                await asyncio.sleep(0)  # the relays run between frames, as with a live bridge
        await asyncio.sleep(3 * interval)  # the last batch goes out
        elapsed = loop.time() - started
        for task in relays:
            task.cancel()
    bound = elapsed / interval + 2
    assert max(messages) <= bound, (messages, bound)
    assert max(c.wakeups for c in clients) <= 2 * bound
    assert all(got == dict.fromkeys(range(1, 101), 19) for got in latest)


async def test_an_event_is_not_held_by_the_batch_window():
    """An alert published right after a batch goes out at once, with the frames queued before it."""
    hub = Hub(queue_size=16, batch_interval_s=3600.0)  # frames alone would wait an hour
    client = hub.subscribe()
    hub.publish(frame(1, 0))
    assert [m.data for m in await client.get_due()] == [{"sysid": 1, "seq": 0}]
    hub.publish(frame(1, 1))
    waiting = asyncio.create_task(client.get_due())
    await asyncio.sleep(0.01)
    assert not waiting.done()  # the frame waits for the next batch
    hub.publish(alert("warning", "battery low", sysid=1))
    async with asyncio.timeout(5):
        got = await waiting
    assert [m.type for m in got] == ["vehicle.frame", "alert"]
