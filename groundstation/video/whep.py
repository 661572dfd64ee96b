"""WebRTC viewers by WHEP (the IETF WebRTC-HTTP egress protocol), with aiortc.

A browser POSTs an SDP offer for a vehicle's stream; :meth:`WhepSessions.open` answers with an
SDP answer that sends the camera's H.264 as it is (see :mod:`groundstation.video.passthrough`:
one packet source per stream, no re-encoding), and the session lives until the browser DELETEs
it, its connection fails or closes (a browser gone without a word fails ICE consent within
about 30 s), it never connects within `connect_timeout_s`, or the station stops.

ICE is host candidates only (no STUN or TURN server: nothing is sent to the internet), so
viewers on the station's loopback or LAN connect; the answer carries every candidate (no
trickle ICE). The codec is H.264 alone (and its RTX retransmissions): a browser that cannot
receive it is refused with :class:`NoCommonCodec` and plays the MSE websocket instead.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError

from groundstation.errors import InvalidOffer, NoCommonCodec, NotFound, ViewerLimit
from groundstation.video.passthrough import PacketFeed, PassthroughTrack, Watch

log = logging.getLogger(__name__)
MAX_OFFER_BYTES = 64 * 1024
#: A session whose browser has not connected this long after the answer is ended.
CONNECT_TIMEOUT_S = 30.0
_CLOSED = ("failed", "closed")


@dataclass(eq=False)
class WhepSession:
    """One browser's WebRTC view of one vehicle's stream."""

    id: str
    sysid: int
    user_id: int
    pc: RTCPeerConnection
    track: PassthroughTrack
    answer_sdp: str
    opened_monotonic: float


def _h264_preferences() -> list[RTCRtpCodecCapability]:
    caps = RTCRtpSender.getCapabilities("video")
    codecs = caps.codecs if caps is not None else []
    return [c for c in codecs if c.mimeType.lower() in ("video/h264", "video/rtx")]


def check_offer(sdp: str) -> None:
    """Refuse what is not an SDP offer with a video section, before any work is done."""
    if len(sdp.encode()) > MAX_OFFER_BYTES:
        raise InvalidOffer(f"SDP offer over {MAX_OFFER_BYTES} bytes", reason="too_large")
    lines = [line.strip() for line in sdp.strip().splitlines()]
    if not lines or lines[0] != "v=0":
        raise InvalidOffer("not an SDP offer: it must start with v=0", reason="not_sdp")
    if not any(line.startswith("m=video ") for line in lines):
        raise InvalidOffer("the SDP offer has no video section (m=video)", reason="no_video")


class WhepSessions:
    """Every WebRTC viewer of the station, and one :class:`PacketFeed` per watched stream."""

    def __init__(
        self,
        watch_for: Callable[[int], Watch | None],
        max_sessions: int = 40,
        viewer_queue: int = 30,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self._watch_for = watch_for
        self.max_sessions = max_sessions
        self.viewer_queue = viewer_queue
        self.connect_timeout_s = connect_timeout_s
        self.feeds: dict[int, PacketFeed] = {}
        self.sessions: dict[str, WhepSession] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def open(self, sysid: int, user_id: int, offer_sdp: str) -> WhepSession:
        """Answer a browser's offer for vehicle `sysid`'s stream (NotFound: no such stream;
        InvalidOffer / NoCommonCodec: the offer; ViewerLimit: no place left)."""
        watch = self._watch_for(sysid)
        if watch is None:
            raise NotFound("video of vehicle", sysid)
        check_offer(offer_sdp)
        if len(self.sessions) >= self.max_sessions:
            raise ViewerLimit(
                f"all {self.max_sessions} WebRTC viewer places are taken",
                max_sessions=self.max_sessions,
            )
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # host candidates only
        transceiver: RTCRtpTransceiver = pc.addTransceiver("video", direction="sendonly")
        # before setRemoteDescription: aiortc picks the codecs there (later, it answers VP8 and
        # "packs" H.264 into VP8 payloads that no browser decodes)
        transceiver.setCodecPreferences(_h264_preferences())
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        except OperationError as exc:
            await pc.close()
            raise NoCommonCodec(
                "the browser's offer has no H.264 (packetization-mode=1) to receive",
                reason="no_h264",
            ) from exc
        except (ValueError, IndexError, KeyError, TypeError, InvalidAccessError,
                InvalidStateError, InternalError) as exc:  # fmt: skip
            await pc.close()
            raise InvalidOffer(f"the SDP offer cannot be used: {exc}", reason="bad_sdp") from exc
        if len(self.sessions) >= self.max_sessions:  # others were answered meanwhile
            await pc.close()
            raise ViewerLimit(
                f"all {self.max_sessions} WebRTC viewer places are taken",
                max_sessions=self.max_sessions,
            )
        feed = self.feeds.get(sysid)
        if feed is None:
            feed = self.feeds[sysid] = PacketFeed(sysid, watch, self._feed_idle)
        track = feed.add(self.viewer_queue)
        transceiver.sender.replaceTrack(track)
        try:
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, InvalidStateError, InternalError, OperationError) as exc:
            track.stop()
            await pc.close()
            raise InvalidOffer(f"no answer to the SDP offer: {exc}", reason="bad_sdp") from exc
        session = WhepSession(
            secrets.token_urlsafe(16), sysid, user_id, pc, track,
            pc.localDescription.sdp, time.monotonic(),
        )  # fmt: skip
        self.sessions[session.id] = session

        @pc.on("connectionstatechange")
        def _state() -> None:
            if pc.connectionState in _CLOSED:
                self._spawn_close(session.id)

        def _never_connected() -> None:  # answered, but the browser never came
            if pc.connectionState != "connected":
                self._spawn_close(session.id)

        asyncio.get_running_loop().call_later(self.connect_timeout_s, _never_connected)

        log.info("vehicle %d: WebRTC viewer %s opened (%d in all)", sysid, session.id[:6],
                 len(self.sessions))  # fmt: skip
        return session

    async def close_session(self, session_id: str, user_id: int | None = None) -> None:
        """End a session (NotFound if it does not exist or, with `user_id`, is not theirs)."""
        session = self.sessions.get(session_id)
        if session is None or (user_id is not None and session.user_id != user_id):
            raise NotFound("WebRTC session", session_id)
        await self._close(session)

    async def _close(self, session: WhepSession) -> None:
        if self.sessions.pop(session.id, None) is None:
            return
        session.track.stop()
        await session.pc.close()
        log.info("vehicle %d: WebRTC viewer %s closed", session.sysid, session.id[:6])

    def _spawn_close(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            return
        task = asyncio.get_running_loop().create_task(self._close(session))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _feed_idle(self, feed: PacketFeed) -> None:
        if self.feeds.get(feed.sysid) is feed:
            del self.feeds[feed.sysid]

    def viewers(self, sysid: int) -> int:
        return sum(1 for s in self.sessions.values() if s.sysid == sysid)

    async def close(self) -> None:
        """End every session (the station stops)."""
        for session in list(self.sessions.values()):
            await self._close(session)
        for feed in list(self.feeds.values()):
            feed.close()
        self.feeds.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
