"""The pre-encoded camera loop of the video benches: whole key-frame intervals, each frame's
index readable from its decoded picture, replayed as RTP the station can depacketize."""

from __future__ import annotations

import socket
import threading
import time

from groundstation.video.decode import H264Decoder
from groundstation.video.rtp import AccessUnit, RtpH264Depacketizer
from simulator.camera.render import read_stamp
from simulator.camera.replay import encode_loop, replay
from simulator.camera.rtp import RtpH264Packetizer


def test_a_loop_is_whole_key_frame_intervals_stamped_with_indices() -> None:
    """Two seconds at 5 fps: 10 frames, key frames at 0 and 5 (so the loop joins cleanly),
    each decoded picture 160x96 carrying its index."""
    loop = encode_loop(160, 96, fps=5, seconds=2.0)
    assert (len(loop.frames), loop.seconds) == (10, 2.0)
    keys = [i for i, nals in enumerate(loop.frames) if any(n[0] & 0x1F == 5 for n in nals)]
    assert keys == [0, 5]
    decoder = H264Decoder()
    depack = RtpH264Depacketizer()
    rtp = RtpH264Packetizer(ssrc=1)
    stamps = []
    for i, nals in enumerate(loop.frames):
        for packet in rtp.packetize(nals, i * 18000):
            for unit in depack.feed(packet):
                stamps += [read_stamp(p) for p in decoder.decode(unit)]
    assert stamps == list(range(10))


def test_replay_pushes_frames_in_order_from_t0_until_stopped() -> None:
    """The replay sends loop frame k % n at t0 + k / fps with RTP time k * 90000 / fps; the
    station's depacketizer sees whole frames, the loop wrapping to its key frame."""
    loop = encode_loop(160, 96, fps=10, seconds=1.0)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(2.0)
    stop = threading.Event()
    sender = threading.Thread(
        target=replay,
        args=(loop, [sink.getsockname()[1]], "127.0.0.1", time.time()),
        kwargs={"stop": stop},
    )
    sender.start()
    depack = RtpH264Depacketizer()
    units: list[AccessUnit] = []
    try:
        while len(units) < 14:
            units += depack.feed(sink.recv(65536))
    finally:
        stop.set()
        sender.join(5)
        sink.close()
    assert [u.timestamp // 9000 for u in units] == list(range(14))
    assert units[10].keyframe  # frame 10 is loop frame 0 again
    assert units[10].nals == tuple(loop.frames[0])
