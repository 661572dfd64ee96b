"""Thin asyncio transports for MAVLink: UDP listen, UDP connect, TCP client.

URLs follow pymavlink's ``mavutil`` spelling: ``udpin:HOST:PORT`` (also ``udp:``),
``udpout:HOST:PORT`` and ``tcp:HOST:PORT``. A transport only moves bytes: every chunk
received is handed to ``on_data(data, peer, datagram)``; ``send(data, peer)`` writes to
one peer, or to every known peer (the station heartbeat) when ``peer`` is ``None``.

>>> parse_url("udpin:0.0.0.0:14550")
LinkUrl(kind='udpin', host='0.0.0.0', port=14550)
>>> parse_url("tcp:localhost:5760").kind
'tcp'
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from groundstation.errors import InvalidLinkUrl, LinkError

Peer = tuple[str, int]
DataCallback = Callable[[bytes, Peer, bool], None]

_KINDS = {"udpin": "udpin", "udp": "udpin", "udpout": "udpout", "tcp": "tcp"}
_T = TypeVar("_T", bound=asyncio.BaseTransport)


@dataclass(frozen=True, slots=True)
class LinkUrl:
    """A parsed connection URL."""

    kind: str  # "udpin" | "udpout" | "tcp"
    host: str
    port: int


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
    def __init__(self, on_data: DataCallback, peer: Peer) -> None:
        self._on_data = on_data
        self._peer = peer
        self.lost = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self._on_data(data, self._peer, False)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


class TcpTransport(_SocketTransport[asyncio.Transport]):
    """TCP client to one peer (e.g. an autopilot's or a simulator's TCP port)."""

    def __init__(self, peer: Peer) -> None:
        super().__init__()
        self._peer = peer

    @property
    def peers(self) -> list[Peer]:
        return [self._peer]

    def send(self, data: bytes, peer: Peer | None = None) -> None:
        sock = self._open()
        if sock is None:
            return
        sock.write(data)
        self.bytes_out += len(data)


async def open_transport(url: LinkUrl, on_data: DataCallback) -> Transport:
    """Open the socket described by ``url``; received bytes go to ``on_data``."""
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
        tcp = TcpTransport((url.host, url.port))
        tcp._transport, _ = await loop.create_connection(
            lambda: _TcpProtocol(on_data, (url.host, url.port)), url.host, url.port
        )
        return tcp
    except OSError as exc:
        raise LinkError(f"cannot open {url.kind}:{url.host}:{url.port}: {exc}") from exc
