"""Opening a connection to the federation broker: TLS, login, persistent session."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import aiomqtt
import paho.mqtt.client as paho


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A client TLS context that trusts `ca_file` (or the system's CAs) and checks the name."""
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def client(
    *,
    host: str,
    port: int,
    username: str,
    password: str | None,
    ca_file: Path | None,
    client_id: str,
    persistent: bool = True,
) -> aiomqtt.Client:
    """A client with a persistent session (``clean_session=False``): QoS 1 messages sent to it
    while it is away wait at the broker, and its subscriptions outlive a reconnect (not
    `persistent`: a clean session, for what is worth having only while connected)."""
    return _Client(
        host,
        port,
        username=username,
        password=password,
        identifier=client_id,
        clean_session=not persistent,
        protocol=aiomqtt.ProtocolVersion.V311,
        tls_context=tls_context(ca_file),
        keepalive=10,
        timeout=5.0,
    )


class _Client(aiomqtt.Client):
    """aiomqtt's client without its traceback when a link is cut while it has bytes to send.

    paho asks, from wherever it is, to watch its socket for writing; aiomqtt 2.5 has the event
    loop do it later with the socket's number taken now. If the link is cut in between, the
    socket is closed by then and asyncio logs a traceback ("Bad file descriptor") although the
    client reconnects as usual. Here the loop watches the socket only if it is still open, as
    Home Assistant's MQTT client does; the cut itself is logged by the caller, in one line.
    """

    def _on_socket_register_write(
        self, client: paho.Client, userdata: Any, sock: paho.SocketLike
    ) -> None:
        def write() -> None:
            try:
                client.loop_write()
            except Exception as exc:  # as aiomqtt does: the link broke
                if not self._disconnected.done():
                    self._disconnected.set_exception(exc)

        def register() -> None:
            if sock.fileno() > -1:  # (-1: closed since paho asked)
                self._loop.add_writer(sock.fileno(), write)

        self._loop.call_soon_threadsafe(register)
