"""Asyncio transports for the simulator: pymavlink-style endpoint URLs over UDP and TCP.

- `udpin:HOST:PORT` (also `udp:`): bind and answer every peer that sent something.
- `udpout:HOST:PORT`: send to one address (a ground station listening there), take its replies.
- `tcpin:HOST:PORT`: accept any number of TCP clients.
- `tcp:HOST:PORT`: connect to a TCP server.

Endpoints only move bytes: `on_data(peer, data)` in, `send(data)` out to every peer. Port 0 picks a
free port; `local_port` says which.

>>> parse_url("udpin:127.0.0.1:14550")
Url(kind='udpin', host='127.0.0.1', port=14550)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Protocol, cast

OnData = Callable[[Hashable, bytes], None]
KINDS = ("udpin", "udpout", "tcpin", "tcp")
MAX_UDP_PEERS = 16
TCP_WRITE_LIMIT = 1 << 20  # bytes queued for a slow TCP client before its data is dropped


class EndpointError(ValueError):
    """A malformed endpoint URL."""


@dataclass(frozen=True, slots=True)
class Url:
    kind: str
    host: str
    port: int

    def with_port(self, port: int) -> Url:
        return Url(self.kind, self.host, port)

    def __str__(self) -> str:
        return f"{self.kind}:{self.host}:{self.port}"


def parse_url(url: str) -> Url:
    """Parse `kind:host:port` (also `kind://host:port`); EndpointError says what is wrong."""
    text = url.strip().replace("://", ":")
    parts = text.split(":")
    if len(parts) != 3:
        raise EndpointError(f"endpoint {url!r}: expected KIND:HOST:PORT, e.g. udpin:0.0.0.0:14550")
    kind, host, port_text = parts
    kind = {"udp": "udpin", "tcpout": "tcp"}.get(kind.lower(), kind.lower())
    if kind not in KINDS:
        raise EndpointError(f"endpoint {url!r}: kind must be one of {', '.join(KINDS)}")
    try:
        port = int(port_text)
    except ValueError:
        raise EndpointError(f"endpoint {url!r}: port {port_text!r} is not a number") from None
    if not 0 <= port <= 65535 or (port == 0 and kind in ("udpout", "tcp")):
        raise EndpointError(f"endpoint {url!r}: port {port} out of range")
    return Url(kind, host or "0.0.0.0", port)


class Endpoint(Protocol):
    url: Url
    local_port: int

    @property
    def has_peers(self) -> bool: ...

    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_data: OnData) -> None:
        self.on_data = on_data

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_data(addr, data)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP "port unreachable" from a peer that went away: nothing to do


class UdpEndpoint:
    def __init__(
        self, url: Url, transport: asyncio.DatagramTransport, fixed_peer: tuple[str, int] | None
    ) -> None:
        self.url = url
        self._transport = transport
        self._fixed = fixed_peer
        self.peers: dict[tuple[str, int], None] = {}
        self.local_port: int = transport.get_extra_info("sockname")[1]

    @property
    def has_peers(self) -> bool:
        return self._fixed is not None or bool(self.peers)

    def heard(self, addr: tuple[str, int]) -> None:
        if self._fixed is None and addr not in self.peers:
            if len(self.peers) >= MAX_UDP_PEERS:
                self.peers.pop(next(iter(self.peers)))
            self.peers[addr] = None

    def send(self, data: bytes) -> None:
        if self._fixed is not None:
            self._transport.sendto(data, self._fixed)
            return
        for addr in self.peers:
            self._transport.sendto(data, addr)

    def close(self) -> None:
        self._transport.close()


class _TcpConnection(asyncio.Protocol):
    def __init__(self, owner: TcpEndpoint) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # no isinstance check: uvloop's transports do not subclass asyncio.Transport
        self.transport = cast(asyncio.Transport, transport)
        self.owner.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.owner.on_data(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.connections.discard(self)


class TcpEndpoint:
    def __init__(self, url: Url, on_data: OnData) -> None:
        self.url = url
        self.on_data = on_data
        self.connections: set[_TcpConnection] = set()
        self.server: asyncio.Server | None = None
        self.local_port = url.port

    @property
    def has_peers(self) -> bool:
        return bool(self.connections)

    def send(self, data: bytes) -> None:
        for conn in list(self.connections):
            tr = conn.transport
            if tr is not None and tr.get_write_buffer_size() < TCP_WRITE_LIMIT:
                tr.write(data)

    def close(self) -> None:
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        if self.server is not None:
            self.server.close()


async def open_endpoint(url: Url, on_data: OnData) -> Endpoint:
    """Open the endpoint `url`; incoming bytes go to `on_data(peer, data)`."""
    loop = asyncio.get_running_loop()
    if url.kind in ("udpin", "udpout"):
        holder: dict[str, UdpEndpoint] = {}

        def _on(addr: Hashable, data: bytes) -> None:
            ep = holder["ep"]
            ep.heard(addr)  # type: ignore[arg-type]
            on_data(addr, data)

        if url.kind == "udpin":
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(_on), local_addr=(url.host, url.port)
            )
            ep = UdpEndpoint(url, transport, None)
        else:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(_on), local_addr=("0.0.0.0", 0)
            )
            ep = UdpEndpoint(url, transport, (url.host, url.port))
        holder["ep"] = ep
        return ep
    tcp = TcpEndpoint(url, on_data)
    if url.kind == "tcpin":
        tcp.server = await loop.create_server(lambda: _TcpConnection(tcp), url.host, url.port)
        tcp.local_port = tcp.server.sockets[0].getsockname()[1]
    else:
        await loop.create_connection(lambda: _TcpConnection(tcp), url.host, url.port)
    return tcp
