"""The centre shows a drone's position as soon as it receives the frame, not after the events
received before it are stored: another station's backlog never holds up the map. Events are
still stored once each, in order, and acknowledged only after their commit; a frame older than
the one shown never replaces it.

The store is a fake whose commits wait for the test to open a gate; "not shown" is proved by
order (a later frame of another drone arrives first), not by waiting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomqtt

from groundstation.federation.centre import Centre, received
from groundstation.federation.feed import CentreFeed, FeedClient
from groundstation.federation.protocol import Envelope, event_topic
from groundstation.federation.store import CentreStore, Stored
from groundstation.federation.view import alert_view, vehicle_view


class GatedStore(CentreStore):
    """A centre store in memory whose commits wait while :attr:`gate` is closed; it keeps
    each id once and a vehicle's frame only if it is not older than the one kept, as
    PostgreSQL does."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = asyncio.Event()  # a commit is waiting at the closed gate
        self.kept: list[Envelope] = []
        self._keys: dict[tuple[str, int], int] = {}
        self._latest: dict[tuple[str, int], datetime] = {}

    async def store_events(self, envs: Sequence[Envelope]) -> list[Stored | None]:
        if not self.gate.is_set():
            self.waiting.set()
            await self.gate.wait()
        return [self._keep(env) for env in envs]

    def _keep(self, env: Envelope) -> Stored | None:
        if any(e.id == env.id for e in self.kept):
            return None
        self.kept.append(env)
        view: dict[str, Any] | None = alert_view(env.station, env.data, None)
        if env.kind == "vehicle.frame":
            vehicle = (env.station, int(env.data["sysid"]))
            key = self._keys.setdefault(vehicle, len(self._keys) + 1)
            older = env.at < self._latest.get(vehicle, env.at)
            self._latest[vehicle] = max(env.at, self._latest.get(vehicle, env.at))
            view = None if older else vehicle_view(env.station, key, env.data)
        return Stored(env, datetime.now(UTC), view)


class Wire:
    """What the broker delivers to the centre, one message at a time, until closed."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[aiomqtt.Message | None] = asyncio.Queue()
        self._mid = 0

    def send(self, env: Envelope) -> int:
        self._mid += 1
        payload = env.model_dump_json().encode()
        topic = event_topic(env.station, env.kind)
        self._queue.put_nowait(aiomqtt.Message(topic, payload, 1, False, self._mid, None))
        return self._mid

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def messages(self) -> AsyncIterator[aiomqtt.Message]:
        while (message := await self._queue.get()) is not None:
            yield message


class Frames:
    """Vehicle frames whose ages count from when this was made (the test's start)."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)

    def __call__(self, station: str, sysid: int, n: int, age_s: float, seq: int) -> Envelope:
        """Frame `n` of a drone, made `age_s` before the test started."""
        data = {"sysid": sysid, "mission_seq": n, "lat_deg": 30.0, "lon_deg": 120.0}
        at = self.started - timedelta(seconds=age_s)
        return Envelope(station=station, seq=seq, kind="vehicle.frame", data=data, at=at)


def alert(station: str, seq: int) -> Envelope:
    data = {"level": "info", "text": f"{seq}"}
    return Envelope(station=station, seq=seq, kind="alert", data=data)


async def shown(page: FeedClient) -> dict[str, Any]:
    """The next message the page gets (failing rather than hanging if none comes)."""
    message: dict[str, Any] = json.loads(await asyncio.wait_for(page.queue.get(), 10))
    return message


def seen(message: dict[str, Any]) -> tuple[str, str, int, int]:
    """(type, station, the station's sysid or -1, frame number or alert seq) of a message."""
    d = message["data"]
    if message["type"] == "vehicle.frame":
        return ("vehicle.frame", message["station"], d["station_sysid"], d["mission_seq"])
    return (message["type"], message["station"], -1, int(d["text"]))


def centre_with(store: GatedStore, feed: CentreFeed) -> Centre:
    return Centre(
        store, host="127.0.0.1", port=1, password="", ca_file=None,
        listeners=[feed.publish], frame_listeners=[feed.frame_received],
    )  # fmt: skip


async def test_a_live_frame_is_shown_while_a_backlog_batch_waits_for_its_commit() -> None:
    """River-a's backlog is waiting for its commit; river-b's new frame reaches the page at
    once, before any of it is stored or acknowledged; afterwards everything is stored once, in
    order, acknowledged in order, and the frame is not shown a second time."""
    store, feed, wire, frame = GatedStore(), CentreFeed(), Wire(), Frames()
    acked: list[int] = []
    with feed.subscription(None) as page:
        serving = asyncio.create_task(
            centre_with(store, feed).serve(wire.messages(), lambda m: acked.append(m.mid))
        )
        first = frame("river-b", 1, 1, age_s=2.0, seq=1)
        wire.send(first)
        assert seen(await shown(page)) == ("vehicle.frame", "river-b", 1, 1)  # once stored

        store.gate.clear()
        backlog = [alert("river-a", seq) for seq in range(1, 51)]
        for env in backlog:
            wire.send(env)
        await store.waiting.wait()
        live = frame("river-b", 1, 2, age_s=0.0, seq=2)
        wire.send(live)
        message = await shown(page)
        assert seen(message) == ("vehicle.frame", "river-b", 1, 2)
        assert message["data"]["sysid"] == 1  # the centre's key, learnt from the stored frame
        assert [e.id for e in store.kept] == [first.id]
        assert acked == [1]

        store.gate.set()
        wire.close()
        await serving
        rest = [seen(json.loads(page.queue.get_nowait())) for _ in range(page.queue.qsize())]
    assert rest == [("alert", "river-a", -1, seq) for seq in range(1, 51)]
    assert [e.id for e in store.kept] == [first.id, *(e.id for e in backlog), live.id]
    assert acked == list(range(1, 53))


async def test_a_frame_older_than_the_one_shown_never_replaces_it() -> None:
    """While the store is held up: a replayed older frame and a second copy of the frame shown
    are not shown (river-c's later frame comes first); once stored, neither is shown either;
    every event is stored once, in order."""
    store, feed, wire, frame = GatedStore(), CentreFeed(), Wire(), Frames()
    acked: list[int] = []
    with feed.subscription(None) as page:
        serving = asyncio.create_task(
            centre_with(store, feed).serve(wire.messages(), lambda m: acked.append(m.mid))
        )
        for env in (frame("river-b", 1, 1, 5.0, 1), frame("river-c", 1, 1, 5.0, 1)):
            wire.send(env)
            await shown(page)
        store.gate.clear()
        newest = frame("river-b", 1, 4, age_s=1.0, seq=4)
        wire.send(newest)
        assert seen(await shown(page)) == ("vehicle.frame", "river-b", 1, 4)
        await store.waiting.wait()
        wire.send(frame("river-b", 1, 3, age_s=2.0, seq=3))  # older: a replay
        wire.send(newest)  # the same again (its PUBACK lost)
        wire.send(frame("river-c", 1, 2, age_s=0.5, seq=2))
        assert seen(await shown(page)) == ("vehicle.frame", "river-c", 1, 2)

        store.gate.set()
        wire.close()
        await serving
        assert page.queue.empty()
    kept = [(e.station, e.seq) for e in store.kept]
    assert kept == [("river-b", 1), ("river-c", 1), ("river-b", 4), ("river-b", 3), ("river-c", 2)]
    assert acked == list(range(1, 7))


async def test_a_backlog_frame_is_shown_once_stored_not_on_receipt() -> None:
    """A frame made longer ago than ``live_max_age_s`` is a backlog: not shown when received
    (river-c's live frame, sent after it, comes first) but once stored, if it is still newer
    than the drone's frame shown."""
    store, feed, wire, frame = GatedStore(), CentreFeed(live_max_age_s=10.0), Wire(), Frames()
    acked: list[int] = []
    with feed.subscription(None) as page:
        serving = asyncio.create_task(
            centre_with(store, feed).serve(wire.messages(), lambda m: acked.append(m.mid))
        )
        for env in (frame("river-b", 1, 1, 120.0, 1), frame("river-c", 1, 1, 5.0, 1)):
            wire.send(env)
            await shown(page)
        store.gate.clear()
        wire.send(frame("river-b", 1, 2, age_s=60.0, seq=2))
        await store.waiting.wait()
        wire.send(frame("river-c", 1, 2, age_s=0.0, seq=2))
        assert seen(await shown(page)) == ("vehicle.frame", "river-c", 1, 2)
        store.gate.set()
        assert seen(await shown(page)) == ("vehicle.frame", "river-b", 1, 2)
        wire.close()
        await serving
        assert page.queue.empty()
    assert acked == [1, 2, 3, 4]


async def test_messages_already_received_are_read_without_waiting_for_the_loop() -> None:
    """The centre reads what its MQTT client has already received in one go, in order: no
    other task runs in between (aiomqtt's own iterator waits a loop turn or two for each,
    which kept a live frame behind a thousand received messages)."""
    client = aiomqtt.Client("127.0.0.1", 1, identifier="centre")
    sent = [alert("river-a", seq) for seq in range(1, 201)]
    for mid, env in enumerate(sent, 1):
        payload = env.model_dump_json().encode()
        client._queue.put_nowait(aiomqtt.Message("t", payload, 1, False, mid, None))
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    counter = asyncio.create_task(count_turns())
    try:
        await asyncio.sleep(0)
        before = turns
        messages = received(client)
        got = [(await anext(messages)).mid for _ in sent]
        assert turns == before
    finally:
        counter.cancel()
    assert got == list(range(1, 201))


async def test_a_stations_backlog_is_not_replayed_to_the_pages() -> None:
    """A station back from an outage: of its drone's twenty frames made during the cut, the
    page gets only the newest, once stored (the others were superseded before they could be
    shown); the store keeps all twenty, in order."""
    store, feed, wire, frame = GatedStore(), CentreFeed(), Wire(), Frames()
    with feed.subscription(None) as page:
        serving = asyncio.create_task(
            centre_with(store, feed).serve(wire.messages(), lambda m: None)
        )
        wire.send(frame("river-b", 1, 0, age_s=120.0, seq=1))
        assert seen(await shown(page)) == ("vehicle.frame", "river-b", 1, 0)
        store.gate.clear()
        backlog = [frame("river-b", 1, n, age_s=80.0 - n, seq=n + 1) for n in range(1, 21)]
        for env in backlog:
            wire.send(env)
        await store.waiting.wait()
        store.gate.set()
        wire.close()
        await serving
        rest = [seen(json.loads(page.queue.get_nowait())) for _ in range(page.queue.qsize())]
    assert rest == [("vehicle.frame", "river-b", 1, 20)]
    assert [e.seq for e in store.kept] == list(range(1, 22))
