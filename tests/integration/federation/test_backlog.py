"""A backlog bigger than Mosquitto's default queue reaches the centre whole.

Mosquitto keeps at most ``max_queued_messages`` QoS 1 messages per client beyond those in
flight (1000 by default) and drops the rest without a word. The centre's session must hold a
whole outage's worth: what stations sent while the centre was away, or faster than it stores
(a station catching up after its link came back sends as fast as the broker acknowledges).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from groundstation.federation.store import CentreStore
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import centre_of, running, station, wait_for

BACKLOG = 1500


async def test_the_centre_gets_a_backlog_beyond_mosquittos_default_queue(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """A station sends 1500 events while the centre is away (its session exists); back, the
    centre stores every one of them, once, in the station's order."""
    async with running(centre_of(broker, store)):
        pass  # the centre's session (and subscription) now exist at the broker
    link, _ = station(broker, "river-a", tmp_path)
    async with running(link):
        emitted = [link.emit("alert", {"level": "info", "text": f"{n}"}) for n in range(BACKLOG)]
        await wait_for(lambda: len(link.outbox) == 0, timeout_s=120)
    async with running(centre_of(broker, store)):

        async def all_stored() -> bool:
            return len(await store.events("river-a")) >= BACKLOG

        with contextlib.suppress(TimeoutError):
            await wait_for(all_stored, timeout_s=120)
    got = [e.id for e in await store.events("river-a") if e.kind == "alert"]
    assert len(got) == BACKLOG, f"{BACKLOG - len(got)} of the backlog lost at the broker"
    assert got == [e.id for e in emitted]
