"""Thin asyncio transports for MAVLink: UDP listen, UDP connect, TCP client.

URLs follow pymavlink's ``mavutil`` spelling: ``udpin:HOST:PORT`` (also ``udp:``),
``udpout:HOST:PORT`` and ``tcp:HOST:PORT``. A transport only moves bytes: every chunk
received is handed to ``on_data(data, peer, datagram)``; ``send(data, peer)`` writes to
one peer, or to every known peer (the station heartbeat) when ``peer`` is ``None``.

A TCP link (an autopilot's or a serial-to-TCP bridge's port) whose peer goes away (the
autopilot rebooted, the bridge restarted) is connected again with exponential back-off up to a
cap, each attempt logged; ``on_state(up, peer)`` tells the link when it went down and came back.

>>> [round(d, 2) for d in Backoff(first_s=0.25, cap_s=2.0).delays(6)]
[0.25, 0.5, 1.0, 2.0, 2.0, 2.0]

>>> parse_url("udpin:0.0.0.0:14550")
LinkUrl(kind='udpin', host='0.0.0.0', port=14550)
>>> parse_url("tcp:localhost:5760").kind
'tcp'
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from groundstation.errors import InvalidLinkUrl, LinkError

Peer = tuple[str, int]
DataCallback = Callable[[bytes, Peer, bool], None]
StateCallback = Callable[[bool, Peer], None]
log = logging.getLogger(__name__)

_KINDS = {"udpin": "udpin", "udp": "udpin", "udpout": "udpout", "tcp": "tcp"}
_T = TypeVar("_T", bound=asyncio.BaseTransport)


@dataclass(frozen=True, slots=True)
class LinkUrl:
    """A parsed connection URL."""

    kind: str  # "udpin" | "udpout" | "tcp"
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between reconnection attempts: ``first_s``, doubling, never above ``cap_s``.

    The first attempt comes quickly (an autopilot that reboots listens again within a second or
    two); the cap keeps a station whose vehicle is switched off from hammering its port while
    still finding it within ``cap_s`` once it is back.
    """

    first_s: float = 0.25
    factor: float = 2.0
    cap_s: float = 5.0
    connect_timeout_s: float = 5.0

    def delays(self, count: int | None = None) -> Iterator[float]:
        delay = self.first_s
        for _ in itertools.count() if count is None else range(count):
            yield min(delay, self.cap_s)
            delay = min(delay * self.factor, self.cap_s)


def parse_url(url: str) -> LinkUrl:
    """Parse ``kind:host:port``; raise :class:`InvalidLinkUrl` naming what is wrong."""
    text = url.strip()
    if "://" in text:  # accept "udpin://host:port" too
        text = text.replace("://", ":", 1)
    parts = text.split(":")
    if len(parts) != 3:
        raise InvalidLinkUrl(url, "expected KIND:HOST:PORT, e.g. udpin:0.0.0.0:14550")
    kind, host, port_text = parts
    if kind not in _KINDS:
        raise InvalidLinkUrl(url, f"unknown kind {kind!r}; use udpin, udpout or tcp")
    if not host:
        raise InvalidLinkUrl(url, "missing host")
    try:
        port = int(port_text)
    except ValueError:
        raise InvalidLinkUrl(url, f"port {port_text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise InvalidLinkUrl(url, f"port {port} out of range 0..65535")
    if port == 0 and _KINDS[kind] != "udpin":
        raise InvalidLinkUrl(url, "port 0 only makes sense for udpin")
    return LinkUrl(_KINDS[kind], host, port)


class Transport:
    """Base: bytes out to peers, bytes in through the callback given at :func:`open_transport`."""

    def __init__(self) -> None:
        self.bytes_out = 0
        self.send_errors = 0

    @property
    def peers(self) -> list[Peer]:
        raise NotImplementedError

    @property
    def local_address(self) -> Peer:
        raise NotImplementedError

    def send(self, data: bytes, peer: Peer | None = None) -> None:
        """Write ``data`` to ``peer`` (or to every peer when ``None``); never blocks."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _SocketTransport(Transport, Generic[_T]):
    """A transport over one asyncio socket transport (set by :func:`open_transport`)."""

    def __init__(self) -> None:
        super().__init__()
        self._transport: _T | None = None

    @property
    def local_address(self) -> Peer:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return (str(host), int(port))

    def _open(self) -> _T | None:
        """The socket to write to; ``None`` (one send error counted) once it is closed."""
        if self._transport is None or self._transport.is_closing():
            self.send_errors += 1
            return None
        return self._transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_data: DataCallback, owner: UdpTransport) -> None:
        self._on_data = on_data
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        peer = (str(addr[0]), int(addr[1]))
        self._owner.learn(peer)
        self._on_data(data, peer, True)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable from a peer that went away: counted, not fatal.
        self._owner.send_errors += 1


class UdpTransport(_SocketTransport[asyncio.DatagramTransport]):
    """UDP socket; ``udpin`` learns its peers from what arrives, ``udpout`` has one fixed peer."""

    def __init__(self, fixed_peer: Peer | None) -> None:
        super().__init__()
        self._peers: dict[Peer, None] = {}
        if fixed_peer is not None:
            self._peers[fixed_peer] = None
        self._fixed = fixed_peer is not None

    def learn(self, peer: Peer) -> None:
        if not self._fixed and peer not in self._peers:
            self._peers[peer] = None

    @property
    def peers(self) -> list[Peer]:
        return list(self._peers)

    def send(self, data: bytes, peer: Peer | None = None) -> None:
        sock = self._open()
        if sock is None:
            return
        if self._fixed:  # connected socket: the kernel knows the peer
            sock.sendto(data)
            self.bytes_out += len(data)
            return
        targets = [peer] if peer is not None else list(self._peers)
        for target in targets:
            sock.sendto(data, target)
            self.bytes_out += len(data)


class _TcpProtocol(asyncio.Protocol):
    def __init__(self, on_data: DataCallback, peer: Peer, on_lost: Callable[[], None]) -> None:
        self._on_data = on_data
        self._peer = peer
        self._on_lost = on_lost

    def data_received(self, data: bytes) -> None:
        self._on_data(data, self._peer, False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_lost()


class TcpTransport(_SocketTransport[asyncio.Transport]):
    """TCP client to one peer (e.g. an autopilot's or a simulator's TCP port).

    When the peer closes the connection (or it breaks), the transport connects again, waiting
    :class:`Backoff` delays between attempts, until it succeeds or is closed. Sends while it is
    down are dropped and counted in ``send_errors`` (MAVLink's own retries cover them).
    """

    def __init__(
        self,
        peer: Peer,
        on_data: DataCallback,
        on_state: StateCallback | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__()
        self._peer = peer
        self._on_data = on_data
        self._on_state = on_state
        self.backoff = backoff or Backoff()
        self._closed = False
        self._reconnecting: asyncio.Task[None] | None = None
        self.reconnects = 0
        self.attempts = 0

    @property
    def peers(self) -> list[Peer]:
        return [self._peer]

    @property
    def connected(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def send(self, data: bytes, peer: Peer | None = None) -> None:
        sock = self._open()
        if sock is None:
            return
        sock.write(data)
        self.bytes_out += len(data)

    async def connect(self) -> None:
        """One connection attempt; :class:`OSError` (or TimeoutError) if it fails."""
        loop = asyncio.get_running_loop()
        host, port = self._peer
        async with asyncio.timeout(self.backoff.connect_timeout_s):
            transport, _ = await loop.create_connection(
                lambda: _TcpProtocol(self._on_data, self._peer, self._lost), host, port
            )
        self._transport = transport

    def _lost(self) -> None:
        if self._closed:
            return
        log.warning("link tcp:%s:%d: connection lost; reconnecting", *self._peer)
        if self._on_state is not None:
            self._on_state(False, self._peer)
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(
                self._reconnect(), name=f"reconnect tcp:{self._peer[0]}:{self._peer[1]}"
            )

    async def _reconnect(self) -> None:
        host, port = self._peer
        for attempt, delay in enumerate(self.backoff.delays(), start=1):
            await asyncio.sleep(delay)
            if self._closed:
                return
            self.attempts += 1
            try:
                await self.connect()
            except (OSError, TimeoutError) as exc:
                log.info(
                    "link tcp:%s:%d: reconnect attempt %d failed (%s); next in %.2f s",
                    host, port, attempt, exc or type(exc).__name__,
                    min(delay * self.backoff.factor, self.backoff.cap_s),
                )  # fmt: skip
                continue
            self.reconnects += 1
            log.warning("link tcp:%s:%d: reconnected (attempt %d)", host, port, attempt)
            if self._on_state is not None:
                self._on_state(True, self._peer)
            return

    def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        super().close()


async def open_transport(
    url: LinkUrl,
    on_data: DataCallback,
    on_state: StateCallback | None = None,
    backoff: Backoff | None = None,
) -> Transport:
    """Open the socket described by ``url``; received bytes go to ``on_data``.

    A TCP link reconnects by itself after a drop (``on_state`` hears of it); its first
    connection must succeed here, so a mistyped URL or a vehicle that was never there is an
    error at once.
    """
    loop = asyncio.get_running_loop()
    try:
        if url.kind == "udpin":
            udp = UdpTransport(None)
            udp._transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(on_data, udp), local_addr=(url.host, url.port)
            )
            return udp
        if url.kind == "udpout":
            out = UdpTransport((url.host, url.port))
            out._transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(on_data, out), remote_addr=(url.host, url.port)
            )
            return out
        tcp = TcpTransport((url.host, url.port), on_data, on_state, backoff)
        await tcp.connect()
        return tcp
    except (OSError, TimeoutError) as exc:
        why = str(exc) or "timed out"
        raise LinkError(f"cannot open {url.kind}:{url.host}:{url.port}: {why}") from exc
