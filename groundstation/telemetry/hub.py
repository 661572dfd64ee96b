"""Fan-out of live messages to websocket clients, without letting one slow client slow the rest.

The pattern is python-websockets' ``broadcast.rst``: the publisher never awaits a client. Each
client has its own bounded :class:`ClientQueue` and its own relay task (in ``api/live.py``) that
does the sending. :meth:`Hub.publish` only appends to those queues, synchronously:

- messages with a coalescing ``key`` (one per vehicle for telemetry frames) replace the queued
  message with the same key in place, so a slow client gets the latest frame of every vehicle,
  not a backlog of old ones, and never overflows because of frames alone;
- other messages (incident created, patrol state ...) are queued in order; if ``queue_size`` of
  them wait the client is too far behind to be consistent and is closed with reason ``overflow``
  (it reconnects and gets a fresh snapshot). Keyed frames do not count against that bound (there
  is at most one per key): with 250 vehicles, frames filled a 256-message queue and six alerts
  then closed every viewer;
- a client that has had messages waiting but taken none for ``stuck_s`` seconds (a dead TCP
  connection, a frozen tab) is closed with reason ``stuck``;
- keyed messages go out at most ``max_rate_hz`` times a second per key and client (10 Hz per
  vehicle on the live map), latest first, however fast the vehicles report;
- a client's keyed frames are sent in batches at most every ``batch_interval_s`` (40 ms): a
  frame published just after a send waits for the next batch instead of waking the client's
  relay on its own. Without this window every frame of every vehicle woke every relay, which then
  sent it alone: 100 vehicles at 10 Hz to 50 viewers made ~50,000 websocket messages a second
  and filled a core. Messages without a key (events) wake the relay at once.

>>> hub = Hub(queue_size=4)
>>> client = hub.subscribe()
>>> for alt in (10, 20, 30):
...     hub.publish(make_message("vehicle.frame", {"sysid": 1, "alt_m": alt}, key="vehicle:1"))
>>> len(client), client.get_nowait().data["alt_m"]
(1, 30)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from pydantic import BaseModel

from groundstation.telemetry.messages import WireModel

PROTOCOL_VERSION = 1
RATE_BURST = 2.0  # frames a key may send back to back before the rate cap applies

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One message of the live protocol, JSON-encoded once for every client."""

    type: str
    key: str | None
    text: str = field(repr=False)
    data_text: str = field(repr=False)  # `data` as JSON, for batches (see batch_text)

    @property
    def data(self) -> Any:
        """The payload as a client decodes it (for tests and tools; the hub never needs it)."""
        return json.loads(self.data_text)


def make_message(
    type: str,
    data: BaseModel | Mapping[str, Any],
    *,
    key: str | None = None,
    ts: datetime | None = None,
) -> LiveMessage:
    """Build a message of the versioned envelope ``{"v", "type", "ts", "data"}``.

    A model payload is encoded by pydantic: a live-stream payload (``telemetry.messages``)
    without the optional fields its builder left out, an API model (``IncidentPublic``) whole,
    as the HTTP API shows it; a mapping by :func:`json.dumps`. Either way: once, strict JSON.
    """
    data_text = _model_json(data) if isinstance(data, BaseModel) else _dumps(data)
    return LiveMessage(type, key, _envelope(type, ts, data_text), data_text)


def _model_json(model: BaseModel) -> str:
    return model.model_dump_json(exclude_unset=isinstance(model, WireModel), fallback=str)


def batch_text(type: str, msgs: Sequence[LiveMessage], *, ts: datetime | None = None) -> str:
    """One envelope whose ``data`` is the list of the `msgs`' data, without re-encoding them.

    >>> a = make_message("vehicle.frame", {"sysid": 1}, key="vehicle:1")
    >>> b = make_message("vehicle.frame", {"sysid": 2}, key="vehicle:2")
    >>> json.loads(batch_text("vehicle.frames", [a, b]))["data"]
    [{'sysid': 1}, {'sysid': 2}]
    """
    return _envelope(type, ts, "[" + ",".join(m.data_text for m in msgs) + "]")


def _dumps(value: object) -> str:
    """Strict JSON: NaN and Infinity raise ValueError, since browsers cannot parse them."""
    return json.dumps(value, separators=(",", ":"), default=str, allow_nan=False)


def _envelope(type: str, ts: datetime | None, data_text: str) -> str:
    """The envelope's JSON, as ``json.dumps`` of ``{"v", "type", "ts", "data"}`` writes it."""
    stamp = (ts or datetime.now(UTC)).isoformat()
    head = f'{{"v":{PROTOCOL_VERSION},"type":{_dumps(type)},"ts":{_dumps(stamp)},"data":'
    return head + data_text + "}"


class ClientClosed(Exception):
    """The client's queue was closed; ``reason`` says why (overflow, stuck, shutdown, gone)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ClientQueue:
    """The bounded, coalescing queue of one client; only its relay task awaits it.

    Messages with a key are also rate-limited, by a token bucket per key: on average one every
    `min_interval_s` (0.1 s = 10 Hz per vehicle), with a burst of :data:`RATE_BURST` so that a
    source at exactly the cap is not delayed by its jitter. A frame that is not yet due stays
    queued and keeps being replaced by newer ones, so what goes out is always the latest;
    messages behind it that are due (events, other vehicles) go first.
    """

    def __init__(
        self,
        maxsize: int,
        clock: Clock = time.monotonic,
        min_interval_s: float = 0.0,
        batch_interval_s: float = 0.0,
    ) -> None:
        if maxsize < 1:
            raise ValueError("queue size must be at least 1")
        if batch_interval_s < 0:
            raise ValueError("batch interval must be >= 0")
        self.maxsize = maxsize
        self.min_interval_s = min_interval_s
        self.batch_interval_s = batch_interval_s
        self.last_batch_at = -math.inf  # when get_due() last returned
        self.wakeups = 0  # times get_due() was woken (a count the batching bound is tested on)
        self._clock = clock
        self._items: OrderedDict[object, LiveMessage] = OrderedDict()
        self._events = 0  # queued messages without a key: the ones `maxsize` bounds
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._seq = count()
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self.close_reason: str | None = None
        self.last_taken = clock()
        self.coalesced = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    def put_nowait(self, msg: LiveMessage) -> bool:
        """Queue `msg`; False (and nothing queued) if `maxsize` events already wait."""
        if self.closed:
            return False
        if msg.key is not None and msg.key in self._items:
            self._items[msg.key] = msg  # replace in place: keeps its turn, drops the stale one
            self.coalesced += 1
            if not self.batch_interval_s:
                self._changed.set()
            return True
        if msg.key is None:
            if self._events >= self.maxsize:
                return False
            self._events += 1
        was_empty = not self._items
        if was_empty:
            self.last_taken = self._clock()  # the stuck timer runs only while messages wait
        self._items[msg.key if msg.key is not None else next(self._seq)] = msg
        # With a batch window, a keyed frame joining a non-empty queue does not wake the relay:
        # it already has a wake-up planned (see get_due) and the frame goes in that batch.
        if was_empty or msg.key is None or not self.batch_interval_s:
            self._changed.set()
        return True

    def _tokens(self, key: str, now: float) -> float:
        tokens, since = self._buckets.get(key, (RATE_BURST, now))
        return min(RATE_BURST, tokens + (now - since) / self.min_interval_s)

    def _due(self, msg: LiveMessage, now: float) -> bool:
        if msg.key is None or self.min_interval_s <= 0:
            return True
        return self._tokens(msg.key, now) >= 1.0

    def get_nowait(self) -> LiveMessage:
        """The oldest message that is due; :class:`ClientClosed` if closed, IndexError if none."""
        if self.close_reason is not None:
            raise ClientClosed(self.close_reason)
        now = self._clock()
        for slot, msg in self._items.items():
            if self._due(msg, now):
                del self._items[slot]
                if msg.key is None:
                    self._events -= 1
                elif self.min_interval_s > 0:
                    self._buckets[msg.key] = (self._tokens(msg.key, now) - 1.0, now)
                self.last_taken = now
                return msg
        raise IndexError("no message due")

    def get_due_nowait(self) -> list[LiveMessage]:
        """Every message that is due, oldest first (maybe none); :class:`ClientClosed` if closed."""
        if self.close_reason is not None:
            raise ClientClosed(self.close_reason)
        now = self._clock()
        due = [(slot, msg) for slot, msg in self._items.items() if self._due(msg, now)]
        for slot, msg in due:
            del self._items[slot]
            if msg.key is None:
                self._events -= 1
            elif self.min_interval_s > 0:
                self._buckets[msg.key] = (self._tokens(msg.key, now) - 1.0, now)
        if due:
            self.last_taken = now
        return [msg for _, msg in due]

    def _next_due_in(self) -> float | None:
        """Seconds until a queued, rate-limited message becomes due; None if nothing queued."""
        if not self._items:
            return None
        if self.min_interval_s <= 0:
            return 0.0
        now = self._clock()
        waits = [
            (1.0 - self._tokens(m.key, now)) * self.min_interval_s
            for m in self._items.values()
            if m.key is not None
        ]
        return max(0.0, min(waits)) if waits else 0.0

    async def get(self) -> LiveMessage:
        """Wait for the next message. Cancelling this loses nothing: a message is only removed
        from the queue in the same step that returns it."""
        while True:
            with contextlib.suppress(IndexError):
                return self.get_nowait()
            self._changed.clear()
            delay = self._next_due_in()
            if delay is None:
                await self._changed.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._changed.wait()

    def _has_event(self) -> bool:
        return any(m.key is None for m in self._items.values())

    async def get_due(self) -> list[LiveMessage]:
        """Wait for messages, then take every one that is due, oldest first (at least one).

        Keyed frames are taken at most once per ``batch_interval_s`` (an event waiting is taken
        at once, with the frames due before it). Cancelling this loses nothing, as with
        :meth:`get`."""
        if not self.batch_interval_s:
            first = await self.get()
            return [first, *self.get_due_nowait()]
        while True:
            now = self._clock()
            if self._items and (
                now >= self.last_batch_at + self.batch_interval_s or self._has_event()
            ):
                due = self.get_due_nowait()
                if due:
                    self.last_batch_at = now
                    return due
            self._changed.clear()
            if not self._items:
                await self._changed.wait()
            else:
                hold = self.last_batch_at + self.batch_interval_s - now
                rate_wait = self._next_due_in() or 0.0
                # Poll at least once a batch interval while frames wait, so a frame that is
                # due is never held behind another vehicle's rate-limit timer for longer.
                timeout = max(hold, min(rate_wait, self.batch_interval_s), 0.0)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._changed.wait()
            self.wakeups += 1

    def stuck_for(self) -> float:
        """Seconds since messages started waiting untaken (0 when the queue is empty)."""
        return self._clock() - self.last_taken if self._items else 0.0

    def close(self, reason: str) -> None:
        """Stop delivering: queued messages are dropped and any waiting get() raises."""
        if self.close_reason is None:
            self.close_reason = reason
            self._items.clear()
            self._events = 0
            self._closed.set()
            self._changed.set()

    async def wait_closed(self) -> str:
        await self._closed.wait()
        assert self.close_reason is not None
        return self.close_reason


@dataclass(slots=True)
class HubStats:
    published: int = 0
    dropped_overflow: int = 0
    dropped_stuck: int = 0


class Hub:
    """Publish live messages to every subscribed client; never awaits."""

    def __init__(
        self,
        queue_size: int = 256,
        stuck_s: float = 10.0,
        clock: Clock = time.monotonic,
        max_rate_hz: float | None = None,
        batch_interval_s: float = 0.0,
    ) -> None:
        self.queue_size = queue_size
        self.stuck_s = stuck_s
        self.min_interval_s = 1.0 / max_rate_hz if max_rate_hz else 0.0
        self.batch_interval_s = batch_interval_s
        self._clock = clock
        self._clients: set[ClientQueue] = set()
        self.stats = HubStats()

    @property
    def clients(self) -> int:
        return len(self._clients)

    def subscribe(self) -> ClientQueue:
        client = ClientQueue(
            self.queue_size, self._clock, self.min_interval_s, self.batch_interval_s
        )
        self._clients.add(client)
        return client

    def unsubscribe(self, client: ClientQueue, reason: str = "gone") -> None:
        client.close(reason)
        self._clients.discard(client)

    @contextlib.contextmanager
    def subscription(self) -> Iterator[ClientQueue]:
        """A client queue for the duration of a ``with`` block."""
        client = self.subscribe()
        try:
            yield client
        finally:
            self.unsubscribe(client)

    def publish(self, msg: LiveMessage) -> None:
        """Queue `msg` for every client, closing the ones that overflow or are stuck."""
        self.stats.published += 1
        for client in list(self._clients):
            if client.stuck_for() > self.stuck_s:
                self.stats.dropped_stuck += 1
                self.unsubscribe(client, "stuck")
            elif not client.put_nowait(msg):
                self.stats.dropped_overflow += 1
                self.unsubscribe(client, "overflow")

    def close(self) -> None:
        """Close every client (server shutdown)."""
        for client in list(self._clients):
            self.unsubscribe(client, "shutdown")
