"""A link between a station and the broker that can be cut: a TCP relay on loopback.

The station connects to :attr:`CutProxy.port` instead of the broker's (TLS passes through: the
broker's certificate names 127.0.0.1). :meth:`CutProxy.cut` drops every connection at once and
stops listening, so the station's reconnects are refused, as with a blocked port or a dropped
bridge; :meth:`CutProxy.open` on the same port lets it back in.
"""

from __future__ import annotations

import asyncio
import contextlib


class CutProxy:
    """A TCP relay from a loopback port to the broker that can be cut (see the module doc).

    Used by the outage test and bench/federation.py."""

    def __init__(self, broker_port: int) -> None:
        self.broker_port = broker_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self, port: int = 0) -> None:
        """Listen (on `port`, or a free one the first time) and relay each connection."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Drop every connection and stop listening (a connect is refused)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    async def _relay(self, down_r: asyncio.StreamReader, down_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.broker_port)
        except OSError:
            down_w.transport.abort()
            return
        self._writers |= {down_w, up_w}

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            w.transport.abort()

        await asyncio.gather(pipe(down_r, up_w), pipe(up_r, down_w))
        self._writers -= {down_w, up_w}
