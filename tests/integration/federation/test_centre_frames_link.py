"""The centre's live frames come by a connection of their own: Mosquitto sends the storing
connection more only as it acknowledges what it has in flight, which it does once stored, so a
station's backlog being stored held the other stations' frames at the broker (traced in
bench/federation.py --outage). The frames' connection is never held by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from groundstation.federation.centre import Centre
from groundstation.federation.protocol import Envelope
from groundstation.federation.store import CentreStore, Stored
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import running, station, wait_for


class StuckStore(CentreStore):
    """A store whose first commit never ends: the centre acknowledges nothing."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def store_events(self, envs: Sequence[Envelope]) -> list[Stored | None]:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("never committed")


async def test_a_frame_reaches_the_centre_while_its_stored_connection_is_held(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """The centre's store is stuck on its first batch and 300 alerts wait behind it, more than
    the broker sends a connection before it acknowledges (100): a frame the station sends next
    still reaches the centre's frame listeners."""
    frames: list[Envelope] = []

    async def listen(env: Envelope) -> None:
        frames.append(env)

    store = StuckStore()
    centre = Centre(
        store, host="127.0.0.1", port=broker.port, password=broker.logins["centre"],
        ca_file=broker.ca, frame_listeners=[listen],
    )  # fmt: skip
    link, _ = station(broker, "river-a", tmp_path)
    async with running(centre), running(link):
        await wait_for(centre.connected.is_set)
        for n in range(300):
            link.emit("alert", {"level": "info", "text": f"{n}"})
        await asyncio.wait_for(store.entered.wait(), 20)
        await wait_for(lambda: len(link.outbox) == 0, timeout_s=60)
        frame = link.emit("vehicle.frame", {"sysid": 1, "mission_seq": 1})
        await wait_for(lambda: any(f.id == frame.id for f in frames), timeout_s=20)
