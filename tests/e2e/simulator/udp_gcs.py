"""A tiny asyncio UDP ground station for end-to-end tests (uses the simulator's sans-I/O codec)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.codec import Parser

M = mavlink2


class UdpGcs(asyncio.DatagramProtocol):
    def __init__(self, signing_key: bytes | None = None, sign: bool = True) -> None:
        self.parser = Parser(signing_key)
        self.mav = M.MAVLink(None, 255, 190)
        if signing_key is not None and sign:
            self.mav.signing.secret_key = signing_key
            self.mav.signing.sign_outgoing = True
            self.mav.signing.timestamp = int((time.time() - 1420070400) * 100_000)
        self.received: list[Any] = []
        self.raw: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.remote: tuple[str, int] | None = None
        self._arrived = asyncio.Event()

    @classmethod
    async def open(cls, port: int | None = None, listen_port: int = 0, **kw: Any) -> UdpGcs:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(
            lambda: cls(**kw), local_addr=("127.0.0.1", listen_port)
        )
        gcs: UdpGcs = proto
        if port is not None:
            gcs.remote = ("127.0.0.1", port)
        return gcs

    @property
    def local_port(self) -> int:
        assert self.transport is not None
        port: int = self.transport.get_extra_info("sockname")[1]
        return port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.raw.append(data)
        if self.remote is None:
            self.remote = addr
        self.received.extend(self.parser.feed(data))
        self._arrived.set()

    def send(self, msg: Any) -> None:
        assert self.transport is not None
        assert self.remote is not None
        data = msg.pack(self.mav)
        self.mav.seq = (self.mav.seq + 1) % 256
        self.transport.sendto(data, self.remote)

    def send_raw(self, data: bytes) -> None:
        assert self.transport is not None
        assert self.remote is not None
        self.transport.sendto(data, self.remote)

    def heartbeat(self) -> None:
        self.send(self.mav.heartbeat_encode(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def of(self, kind: str, sysid: int | None = None) -> list[Any]:
        return [
            m
            for m in self.received
            if m.get_type() == kind and (sysid is None or m.get_srcSystem() == sysid)
        ]

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
        """Wait until `predicate()` holds, re-checking whenever a datagram arrives."""
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self._arrived.clear()
                await self._arrived.wait()

    async def command(
        self, sysid: int, command: int, *params: float, timeout_s: float = 5.0, compid: int = 1
    ) -> Any:
        """Send COMMAND_LONG (to component `compid`) and wait for its ACK."""
        p = list(params) + [0.0] * (7 - len(params))
        start = len(self.received)
        self.send(self.mav.command_long_encode(sysid, compid, command, 0, *p))

        def acked() -> bool:
            return any(
                m.get_type() == "COMMAND_ACK"
                and m.command == command
                and m.get_srcSystem() == sysid
                and m.get_srcComponent() == compid
                for m in self.received[start:]
            )

        await self.wait_for(acked, timeout_s)
        return next(
            m
            for m in self.received[start:]
            if m.get_type() == "COMMAND_ACK"
            and m.command == command
            and (m.get_srcSystem(), m.get_srcComponent()) == (sysid, compid)
        )
