"""The centre stores the events it has received together in one transaction: a backlog costs
a few commits, not one per event, and is still stored once each, in order, and passed to the
live feed in that order.

Commits are counted on the engine (SQLAlchemy's ``commit`` event), not timed.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from groundstation.federation.centre import BATCH_MAX, Centre, take
from groundstation.federation.protocol import Envelope, event_topic
from groundstation.federation.store import CentreStore, Stored
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import centre_of, running, station, wait_for


class Received:
    """Messages the MQTT client has received and not yet handed out (``client.messages``)."""

    def __init__(self, messages: list[aiomqtt.Message]) -> None:
        self.queue = deque(messages)

    def __len__(self) -> int:
        return len(self.queue)

    async def __anext__(self) -> aiomqtt.Message:
        return self.queue.popleft()


def message(env: Envelope, mid: int) -> aiomqtt.Message:
    payload = env.model_dump_json().encode()
    return aiomqtt.Message(event_topic(env.station, env.kind), payload, 1, False, mid, None)


def alert(station: str, seq: int) -> Envelope:
    data = {"level": "info", "text": f"{seq}"}
    return Envelope(station=station, seq=seq, kind="alert", data=data)


@contextlib.contextmanager
def commits(engine: AsyncEngine) -> Iterator[list[int]]:
    """A list that grows by one at every commit on `engine` while the block runs."""
    counted: list[int] = []

    def count(_conn: object) -> None:
        counted.append(1)

    event.listen(engine.sync_engine, "commit", count)
    try:
        yield counted
    finally:
        event.remove(engine.sync_engine, "commit", count)


def offline_centre(store: CentreStore, published: list[Stored]) -> Centre:
    async def publish(stored: Stored) -> None:
        published.append(stored)

    return Centre(store, host="127.0.0.1", port=1, password="", ca_file=None, listeners=[publish])


async def test_events_received_together_are_stored_in_one_transaction(store: CentreStore) -> None:
    """Two stations' events, one sent twice and one already stored, all received before the
    centre reads: one batch, one commit, each stored and published once, in arrival order."""
    already = alert("river-a", 0)
    assert await store.store(already)
    envs = [alert(name, seq) for seq in range(1, 31) for name in ("river-a", "river-b")]
    arriving = [already, *envs[:10], envs[3], *envs[10:]]  # envs[3] again: a lost PUBACK
    received = Received([message(env, mid) for mid, env in enumerate(arriving, 1)])
    published: list[Stored] = []
    centre = offline_centre(store, published)
    with commits(store.engine) as counted:
        batch = await take(received)
        await centre.receive(batch)
    assert [m.mid for m in batch] == list(range(1, len(arriving) + 1))
    assert len(received) == 0
    assert len(counted) == 1
    assert [s.envelope.id for s in published] == [e.id for e in envs]
    for name in ("river-a", "river-b"):
        got = [e.id for e in await store.events(name)]
        assert got == [e.id for e in [already, *envs] if e.station == name]


async def test_a_batch_is_at_most_batch_max_and_takes_only_what_was_received(
    store: CentreStore,
) -> None:
    """More than BATCH_MAX received: the first batch stops there, the next takes the rest."""
    envs = [alert("river-a", seq) for seq in range(1, BATCH_MAX + 6)]
    received = Received([message(env, mid) for mid, env in enumerate(envs, 1)])
    first, rest = await take(received), await take(received)
    assert [len(first), len(rest), len(received)] == [BATCH_MAX, 5, 0]
    assert [m.mid for m in first + rest] == list(range(1, BATCH_MAX + 6))


async def test_an_event_the_store_refuses_costs_only_itself(store: CentreStore) -> None:
    """PostgreSQL's JSONB refuses a NUL character: that event's batch is stored one by one,
    the others are kept in order and the refused one is counted."""
    envs = [alert("river-a", seq) for seq in range(1, 6)]
    bad = Envelope(station="river-a", seq=6, kind="alert", data={"level": "info", "text": "\0"})
    envs.insert(2, bad)
    published: list[Stored] = []
    centre = offline_centre(store, published)
    await centre.receive([message(env, mid) for mid, env in enumerate(envs, 1)])
    kept = [e.id for e in envs if e is not bad]
    assert [e.id for e in await store.events("river-a")] == kept
    assert [s.envelope.id for s in published] == kept
    assert centre.not_stored == 1


async def test_a_backlog_through_the_broker_takes_fewer_commits_than_events(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """A station's backlog waiting at the broker for the centre: stored once each, in the
    station's order, in fewer transactions than events."""
    backlog = 300
    async with running(centre_of(broker, store)):
        pass  # the centre's session exists: the broker keeps the station's events for it
    link, _ = station(broker, "river-a", tmp_path)
    async with running(link):
        emitted = [link.emit("alert", {"level": "info", "text": f"{n}"}) for n in range(backlog)]
        await wait_for(lambda: len(link.outbox) == 0, timeout_s=60)
    with commits(store.engine) as counted:
        async with running(centre_of(broker, store)):

            async def all_stored() -> bool:
                return len(await store.events("river-a")) >= backlog + 1  # + station.status

            await wait_for(all_stored, timeout_s=60)
    got = [e.id for e in await store.events("river-a") if e.kind == "alert"]
    assert got == [e.id for e in emitted]
    assert len(counted) < backlog, f"{len(counted)} commits for {backlog} events"
