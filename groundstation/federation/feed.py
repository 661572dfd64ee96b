"""The centre's live feed: every newly stored event, as the live page's message, to each page
client that may see its station.

:meth:`CentreFeed.publish` is a :class:`~.centre.Centre` listener: it gets each event once,
after it is committed, and puts one message on the queue of every client whose stations
include the event's (the scope is checked here, server-side: a client scoped to station A is
never handed B's message). A client that does not keep up (its bounded queue full) is closed
with ``overflow`` and reconnects for a fresh snapshot, as on the station (docs/live-protocol.md);
the others never wait for it.

A vehicle frame is a position: only the latest counts. :meth:`CentreFeed.frame_received` gets
each frame as soon as the centre receives it, before it is stored, and hands it out at once if
the feed knows the vehicle's centre key (from a frame of it already stored), the frame is live
(made at most ``live_max_age_s`` ago: older ones are a station's backlog) and newer than the
vehicle's frame handed out last. Once stored, a frame is handed out only if it is still newer
than the one handed out last and no newer frame of the vehicle has been received meanwhile: the
same frame is not handed out twice, a frame older than the one shown never replaces it, and a
station's backlog is not replayed to the pages (only its newest frame of each drone is shown;
the store keeps them all). So another station's backlog, which the centre stores in order
behind everything, holds up neither the positions on the map nor the pages' streams.

Each message is the live protocol's envelope, ``{"v", "type", "ts", "data"}``, with ``data`` the
centre's view (:mod:`.view`), plus the times a delay can be measured with:

- ``ts`` and ``station_at``: when the station made the event (its live hub message's time; for
  a vehicle frame, when the station built it from the telemetry it had just received), on the
  station's clock;
- ``centre_at``: when the centre stored it (a frame handed out before it is stored: when the
  centre received it), on the centre's clock;
- ``station``: whose it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from groundstation.federation.protocol import Envelope
from groundstation.federation.store import Stored
from groundstation.federation.view import vehicle_view

#: event kind -> the page's message type (the rest are not shown live)
LIVE_TYPES = {
    "vehicle.frame": "vehicle.frame",
    "patrol.state": "patrol.state",
    "incident.created": "incident.created",
    "incident.updated": "incident.updated",
    "alert": "alert",
    "report.ready": "alert",
}

#: a frame made longer ago than this when the centre receives it is a backlog, not live
LIVE_MAX_AGE_S = 5.0


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


def _vehicle(env: Envelope) -> tuple[str, int] | None:
    """A frame's vehicle: (station, the station's system id); None if it names none."""
    sysid = env.data.get("sysid")
    return (env.station, sysid) if isinstance(sysid, int) else None


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

    def __init__(self, queue_size: int = 2000, live_max_age_s: float = LIVE_MAX_AGE_S) -> None:
        self.queue_size = queue_size
        self.live_max_age_s = live_max_age_s
        self.clients: set[FeedClient] = set()
        #: each vehicle's centre key, learnt from its stored frames
        self._keys: dict[tuple[str, int], int] = {}
        #: when the frame of each vehicle handed out last was made
        self._shown: dict[tuple[str, int], datetime] = {}
        #: when the newest frame of each vehicle received (not yet stored, maybe) was made
        self._received: dict[tuple[str, int], datetime] = {}

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
        """Hand the message for `stored` to every client that may see its station (a vehicle
        frame only if it is newer than the vehicle's frame handed out last and no newer one has
        been received)."""
        message = live_message(stored)
        if message is None:
            return
        vehicle = _vehicle(stored.envelope) if stored.envelope.kind == "vehicle.frame" else None
        if vehicle is not None:
            self._keys[vehicle] = int(message["data"]["sysid"])
            at = stored.envelope.at
            if at < self._received.get(vehicle, at) or not self._newer(vehicle, at):
                return
        self._hand_out(stored.envelope.station, message)

    async def frame_received(self, env: Envelope) -> None:
        """A vehicle frame the centre has just received and not yet stored: handed out now if
        it is live, newer than the vehicle's last and of a vehicle the feed knows (see the
        module docstring); otherwise left to :meth:`publish`, once it is stored."""
        vehicle = _vehicle(env)
        if vehicle is None:
            return
        self._received[vehicle] = max(env.at, self._received.get(vehicle, env.at))
        key = self._keys.get(vehicle)
        if key is None:
            return
        now = datetime.now(UTC)
        if (now - env.at).total_seconds() > self.live_max_age_s:
            return
        if not self._newer(vehicle, env.at):
            return
        stored = Stored(env, now, vehicle_view(env.station, key, env.data))
        message = live_message(stored)
        assert message is not None, "a vehicle frame with a view is shown"
        self._hand_out(env.station, message)

    def _newer(self, vehicle: tuple[str, int], at: datetime) -> bool:
        """Whether a frame made `at` is newer than the vehicle's last handed out (it becomes
        the last if so)."""
        shown = self._shown.get(vehicle)
        if shown is not None and at <= shown:
            return False
        self._shown[vehicle] = at
        return True

    def _hand_out(self, station: str, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), default=str)
        for client in list(self.clients):
            if client.sees(station) and not client.closed.is_set():
                client.offer(text)

    def close_all(self, reason: str = "shutdown") -> None:
        for client in list(self.clients):
            client.close(reason)
