"""The station's CPU for WebRTC viewers, without browsers: the issue's 3 drones x 10 viewers at
1280x720, 15 fps, on one machine.

    .venv/bin/python bench/video_webrtc.py [--drones 3] [--viewers 10] [--size 1280x720]
                                           [--fps 15] [--seconds 30] [--bitrate 800]

Three processes: the cameras (simulator/camera/replay.py: a pre-encoded loop pushed as RTP, so
no renderer), the station's video path in this one (a VideoSource per stream and the WHEP
sessions, exactly the station's objects, without the web server), and the viewers (aiortc
peers, `viewers` per stream, that receive, decrypt and reassemble every frame but do not decode
it: Chromium's decoding is not the station's cost, and 30 720p decoders would starve the machine
of the CPU this measures). Signalling goes over a pipe (the WHEP POST without HTTP).

This process's CPU is measured for `seconds` with the streams arriving and nobody watching,
then with every viewer connected: the difference is the WebRTC relay (RTP packetization by
aiortc, SRTP, sockets), per viewer of a stream and in all. Frames received per viewer against
frames sent says whether the station kept up. bench/video_browsers.py measures the same path
with real browsers (and latency); bench/video.py the fMP4 relay's cost.

Do not quote figures measured while other work runs on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import resource
import statistics
from collections.abc import AsyncIterator

from groundstation.video.passthrough import Watch
from groundstation.video.source import Subscriber, VideoSource
from groundstation.video.whep import WhepSessions
from simulator.camera.fleet_cameras import free_udp_ports
from simulator.camera.replay import ReplayProcess


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------------------- the viewers


def viewers_main(conn: multiprocessing.connection.Connection, count: int) -> None:
    """The viewers' process: `count` recvonly peers; frames reassembled, counted, not decoded."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, rtcrtpreceiver

    counters: list[list[int]] = []  # one per receiver: aiortc asks each for its own decoder
    original = rtcrtpreceiver.get_decoder  # type: ignore[attr-defined]

    class Counting:
        def __init__(self) -> None:
            self.frames = [0]
            counters.append(self.frames)

        def decode(self, encoded_frame: object) -> list[object]:
            self.frames[0] += 1
            return []

    def get_decoder(codec: object) -> object:
        return Counting() if getattr(codec, "name", "") == "H264" else original(codec)  # type: ignore[arg-type]

    rtcrtpreceiver.get_decoder = get_decoder  # type: ignore[attr-defined,assignment]

    async def main() -> None:
        pcs = []
        for _ in range(count):
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pc.addTransceiver("video", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            conn.send(pc.localDescription.sdp)
            answer = await asyncio.to_thread(conn.recv)
            await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            pcs.append(pc)
        conn.send("connected")
        while await asyncio.to_thread(conn.recv) == "count":
            conn.send([c[0] for c in counters] + [0] * (count - len(counters)))
        for pc in pcs:
            await pc.close()

    asyncio.run(main())


# ---------------------------------------------------------------------------- the station


async def station(
    ports: list[int], viewers: int, seconds: float, conn: multiprocessing.connection.Connection
) -> None:
    sources = [VideoSource(port, "127.0.0.1") for port in ports]
    for s in sources:
        await s.start()

    def watch_for(sysid: int) -> Watch:
        source = sources[sysid - 1]

        @contextlib.asynccontextmanager
        async def watch() -> AsyncIterator[tuple[VideoSource, Subscriber]]:
            async with source.subscribe("webrtc") as sub:
                yield source, sub

        return watch

    whep = WhepSessions(watch_for, max_sessions=len(ports) * viewers + 1)
    await asyncio.sleep(2.0)  # the first key frames in
    c0 = cpu_s()
    await asyncio.sleep(seconds)
    idle = (cpu_s() - c0) / seconds
    for sysid in range(1, len(ports) + 1):
        for _ in range(viewers):
            offer = await asyncio.to_thread(conn.recv)
            session = await whep.open(sysid, 0, offer)
            conn.send(session.answer_sdp)
    assert await asyncio.to_thread(conn.recv) == "connected"
    await asyncio.sleep(3.0)  # ICE and DTLS done, first key frames through
    conn.send("count")
    before = await asyncio.to_thread(conn.recv)
    frames0 = [s.frames for s in sources]
    c1 = cpu_s()
    await asyncio.sleep(seconds)
    watched = (cpu_s() - c1) / seconds
    frames = [s.frames - f0 for s, f0 in zip(sources, frames0, strict=True)]
    conn.send("count")
    after = await asyncio.to_thread(conn.recv)
    conn.send("stop")
    made = sum(f.packets_made for f in whep.feeds.values())
    resets = sum(t.resets for f in whep.feeds.values() for t in f.tracks)
    await whep.close()
    for s in sources:
        s.close()
    got = [a - b for a, b in zip(after, before, strict=True)]  # receivers in no stream order
    shares = sorted(g / max(statistics.mean(frames), 1) for g in got)
    n = len(ports) * viewers
    print(f"{len(ports)} streams x {viewers} WebRTC viewers ({n} in all), {seconds:g} s")
    print(f"frames reassembled / received by the station, per viewer: min {shares[0]:.1%}, median "
          f"{statistics.median(shares):.1%}; {resets} stalled-viewer resets; "
          f"{made} packets made in all (one a frame a stream)")  # fmt: skip
    per = (watched - idle) / n
    print(f"station video path: {idle:.1%} of a core receiving with no viewer, {watched:.1%} "
          f"with {n} viewers = {per:.2%} a core per viewer of a stream")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drones", type=int, default=3)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--bitrate", type=int, default=800, help="kbit/s (the camera's default)")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    ports = list(free_udp_ports("127.0.0.1", args.drones))
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    with ReplayProcess(ports, (w, h), args.fps, bitrate_kbps=args.bitrate):
        proc = ctx.Process(
            target=viewers_main, args=(theirs, args.drones * args.viewers), name="viewers"
        )
        proc.start()
        try:
            asyncio.run(station(ports, args.viewers, args.seconds, ours))
        finally:
            proc.join(30)
            if proc.is_alive():
                proc.terminate()


if __name__ == "__main__":
    main()
