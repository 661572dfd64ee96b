"""The centre's live feed: every newly stored event, as the live page's message, to each page
client that may see its station.

:meth:`CentreFeed.publish` is a :class:`~.centre.Centre` listener: it gets each event once,
after it is committed, and puts one message on the queue of every client whose stations
include the event's (the scope is checked here, server-side: a client scoped to station A is
never handed B's message). A client that does not keep up (its bounded queue full) is closed
with ``overflow`` and reconnects for a fresh snapshot, as on the station (docs/live-protocol.md);
the others never wait for it.

Each message is the live protocol's envelope, ``{"v", "type", "ts", "data"}``, with ``data`` the
centre's view (:mod:`.view`), plus the times a delay can be measured with:

- ``ts`` and ``station_at``: when the station made the event (its live hub message's time; for
  a vehicle frame, when the station built it from the telemetry it had just received), on the
  station's clock;
- ``centre_at``: when the centre stored it, on the centre's clock;
- ``station``: whose it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Collection, Iterator
from typing import Any

from groundstation.federation.store import Stored

#: event kind -> the page's message type (the rest are not shown live)
LIVE_TYPES = {
    "vehicle.frame": "vehicle.frame",
    "patrol.state": "patrol.state",
    "incident.created": "incident.created",
    "incident.updated": "incident.updated",
    "alert": "alert",
    "report.ready": "alert",
}


def live_message(stored: Stored) -> dict[str, Any] | None:
    """The page's message for `stored`, or None if the page does not show it."""
    kind = LIVE_TYPES.get(stored.envelope.kind)
    if kind is None or stored.view is None:
        return None
    at = stored.envelope.at.isoformat()
    return {
        "v": 1, "type": kind, "ts": at, "data": stored.view, "station": stored.envelope.station,
        "station_at": at, "centre_at": stored.received_at.isoformat(),
    }  # fmt: skip


class FeedClient:
    """One page's queue of messages (JSON texts), limited to its stations."""

    def __init__(self, stations: frozenset[str] | None, size: int) -> None:
        self.stations = stations
        self.queue: asyncio.Queue[str] = asyncio.Queue(size)
        self.closed = asyncio.Event()
        self.close_reason: str | None = None

    def sees(self, station: str) -> bool:
        return self.stations is None or station in self.stations

    def offer(self, text: str) -> None:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close("overflow")

    def close(self, reason: str) -> None:
        if self.close_reason is None:
            self.close_reason = reason
        self.closed.set()


class CentreFeed:
    """Fan-out of the centre's live messages to its page clients (see the module docstring)."""

    def __init__(self, queue_size: int = 2000) -> None:
        self.queue_size = queue_size
        self.clients: set[FeedClient] = set()

    @contextlib.contextmanager
    def subscription(self, stations: Collection[str] | None) -> Iterator[FeedClient]:
        """A client for the stations `stations` (None: all) while the block runs."""
        client = FeedClient(None if stations is None else frozenset(stations), self.queue_size)
        self.clients.add(client)
        try:
            yield client
        finally:
            self.clients.discard(client)

    async def publish(self, stored: Stored) -> None:
        """Hand the message for `stored` to every client that may see its station."""
        message = live_message(stored)
        if message is None:
            return
        text = json.dumps(message, separators=(",", ":"), default=str)
        for client in list(self.clients):
            if client.sees(stored.envelope.station) and not client.closed.is_set():
                client.offer(text)

    def close_all(self, reason: str = "shutdown") -> None:
        for client in list(self.clients):
            client.close(reason)
