"""A loopback TCP proxy that drops whole MAVLink messages each way, for tests and benches.

ArduPilot's own ``SIM_UART_LOSS`` drops *bytes* the vehicle sends, one way only; the
simulator's fault drops messages both ways inside the vehicle. This proxy puts the same loss
(whole frames, both directions, seeded) in front of either autopilot, so a figure measured on
ArduCopter SITL and one measured on our simulator are measured the same way.

    async with LossyProxy(("127.0.0.1", sitl.port), loss=0.3, seed=1) as proxy:
        ...connect the station to tcp:127.0.0.1:{proxy.port}...
"""

from __future__ import annotations

import asyncio
import random

from groundstation.link.tlog import frame_length


class LossyProxy:
    """Forwards each client connection to ``target``, dropping a ``loss`` share of frames."""

    def __init__(self, target: tuple[str, int], loss: float, seed: int = 1) -> None:
        if not 0.0 <= loss < 1.0:
            raise ValueError(f"loss must be in [0, 1), got {loss}")
        self.target = target
        self.loss = loss
        self.rng = random.Random(seed)
        self.port = 0
        self.dropped = 0
        self.passed = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._done: list[asyncio.Future[None]] = []

    @property
    def url(self) -> str:
        """The station's link URL through the proxy."""
        return f"tcp:127.0.0.1:{self.port}"

    async def __aenter__(self) -> LossyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for w in self._writers:
            w.transport.abort()
        await asyncio.gather(*self._done, return_exceptions=True)

    async def _serve(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._done.append(done)
        self._writers.append(c_writer)
        try:
            v_reader, v_writer = await asyncio.open_connection(*self.target)
            self._writers.append(v_writer)
            await asyncio.gather(self._pump(c_reader, v_writer), self._pump(v_reader, c_writer))
        except OSError:
            pass
        finally:
            for w in self._writers:
                w.transport.abort()
            done.set_result(None)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""
        try:
            while data := await reader.read(65536):
                buf += data
                pos = 0
                while pos < len(buf):
                    if buf[pos] not in (0xFD, 0xFE):
                        pos += 1  # (not a frame start: a byte of a frame cut earlier)
                        continue
                    n = frame_length(buf, pos)
                    if n is None or pos + n > len(buf):
                        break
                    if self.rng.random() >= self.loss:
                        writer.write(buf[pos : pos + n])
                        self.passed += 1
                    else:
                        self.dropped += 1
                    pos += n
                buf = buf[pos:]
        except OSError:
            pass
        writer.transport.abort()  # one side gone: end both
