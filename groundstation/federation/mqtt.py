"""Opening a connection to the federation broker: TLS, login, persistent session."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiomqtt


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
) -> aiomqtt.Client:
    """A client with a persistent session (``clean_session=False``): QoS 1 messages sent to it
    while it is away wait at the broker, and its subscriptions outlive a reconnect."""
    return aiomqtt.Client(
        host,
        port,
        username=username,
        password=password,
        identifier=client_id,
        clean_session=False,
        protocol=aiomqtt.ProtocolVersion.V311,
        tls_context=tls_context(ca_file),
        keepalive=10,
        timeout=5.0,
    )
