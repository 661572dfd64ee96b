"""The federation's MQTT client: a link cut while it has bytes to send costs no traceback."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from groundstation.federation import mqtt


async def test_a_socket_closed_before_the_loop_watches_it_is_left_alone() -> None:
    """paho asks to watch its socket for writing, the link is cut (the socket closed) before
    the event loop gets to it: nothing is watched and the loop reports no error (aiomqtt 2.5
    alone logs "Bad file descriptor")."""
    client = mqtt.client(
        host="127.0.0.1", port=1, username="river-a", password=None, ca_file=None,
        client_id="station-river-a",
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    ours, theirs = socket.socketpair()
    try:
        client._on_socket_register_write(client._client, None, ours)
        ours.close()
        for _ in range(3):
            await asyncio.sleep(0)  # the loop runs what was scheduled
    finally:
        loop.set_exception_handler(None)
        theirs.close()
    assert errors == []
