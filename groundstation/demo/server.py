"""The station's HTTP server inside the demo's event loop: a bound port and a tame uvicorn.

The demo binds the port itself (a taken port is :class:`PortTaken`, said plainly, before
anything starts; port 0 picks a free one) and hands the socket to a :class:`DemoServer`, a
``uvicorn.Server`` that leaves SIGINT / SIGTERM to the demo, which stops it with
:func:`shut_down` after its own clean-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from groundstation.api.live import keepalive_s
from groundstation.demo.client import DemoError

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_S = 20.0


class PortTaken(DemoError):
    """The HTTP port asked for is in use."""


class DemoServer(uvicorn.Server):
    """uvicorn's server without its own signal capture: the demo stops it itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_port(port: int) -> socket.socket:
    """A TCP socket bound to 127.0.0.1:`port` (0: a free one), for :meth:`DemoServer.serve`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise PortTaken(
            f"port {port} on 127.0.0.1 is not free ({exc.strerror}); give another with --port"
        ) from None
    return sock


def server_for(app: FastAPI) -> DemoServer:
    """The station's server: websockets-sansio as ``ecopatrol serve``, logging left to the demo."""
    config = uvicorn.Config(
        app,
        ws="websockets-sansio",
        ws_ping_interval=keepalive_s(app.state.settings),
        ws_ping_timeout=keepalive_s(app.state.settings),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        proxy_headers=False,
    )
    return DemoServer(config)


async def started(server: uvicorn.Server, serving: asyncio.Task[None], log_file: Path) -> None:
    """Wait for the station's start-up; :class:`DemoError` if it gave up instead."""
    while not server.started:
        if serving.done():
            raise DemoError(f"the station did not start; see {log_file}")
        await asyncio.sleep(0.05)


async def shut_down(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Stop the station (lifespan shutdown included), forcing it after a while."""
    server.should_exit = True
    try:
        await asyncio.wait_for(asyncio.shield(serving), SHUTDOWN_TIMEOUT_S)
    except TimeoutError:
        log.warning("the station did not stop within %.0f s; forcing it", SHUTDOWN_TIMEOUT_S)
        server.force_exit = True
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
