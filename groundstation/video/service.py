"""The station's video service: cameras found, streams received, photos fetched, video recorded.

For every vehicle the fleet hears, :class:`CameraClient` asks for its camera (MAVLink camera
protocol, component 100); cameras that do not speak it come from the settings
(``video.streams``). Each RTP/UDP stream gets a :class:`VideoSource` on its port; viewers and
the recorder subscribe to it, and the camera is told to stream (VIDEO_START_STREAMING) while
anyone does, and to stop `stop_grace_s` after the last one leaves. Photos the camera announces
(CAMERA_IMAGE_CAPTURED with an ``http://`` file URL) are downloaded, hashed, stored as files and
recorded in ``camera_photos``; recordings go to ``video_segments``.

A stream is recorded when a pilot chose so (``db.recording_choices``: stored, so it holds across
restarts), else when the settings say so (``video.record``). Every start and stop is told to the
pages (``video.recording`` on the live stream) with its reason: the settings, a pilot, a full
disk, or the drone's link lost (recording resumes when it is back).
WebRTC viewers (WHEP, :mod:`groundstation.video.whep`) share one subscription per stream.

A vehicle without a camera costs three unanswered REQUEST_MESSAGEs once; nothing else waits on
the camera, and no camera failure reaches the flight side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db import camera_media
from groundstation.db.alerts import raise_alert
from groundstation.db.audit import audit
from groundstation.db.models import CameraPhoto, VideoSegment
from groundstation.db.recording_choices import Choice, recording_choices
from groundstation.errors import LinkError
from groundstation.link.codec import MavMessage
from groundstation.link.fleet import Fleet
from groundstation.telemetry.events import recording_state
from groundstation.telemetry.hub import Hub
from groundstation.telemetry.messages import RecordingReason, RecordingState
from groundstation.video import photos
from groundstation.video.camera_client import CameraClient, CameraInfo, StreamInfo
from groundstation.video.passthrough import Watch
from groundstation.video.recorder import Segment, SegmentRecorder
from groundstation.video.settings import VideoSettings
from groundstation.video.source import Subscriber, VideoSource
from groundstation.video.still import StillStamp, next_picture, stamped_jpeg
from groundstation.video.whep import WhepSessions

Msg = MavMessage
log = logging.getLogger(__name__)
_EPOCH_PLAUSIBLE_US = 1_000_000_000 * 1_000_000
#: A watched stream silent this long is asked for again (VIDEO_START_STREAMING).
STREAM_WATCHDOG_S = 3.0


class VideoService:
    """Owns every camera client, stream source and recorder of the station."""

    def __init__(
        self,
        settings: VideoSettings,
        data_dir: Path,
        sessions: async_sessionmaker[AsyncSession] | None,
        fleet: Fleet | None = None,
        hub: Hub | None = None,
    ) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.sessions = sessions
        self.fleet = fleet
        self.hub = hub
        self.cameras: dict[int, CameraInfo] = {}
        self.clients: dict[int, CameraClient] = {}
        self.sources: dict[int, VideoSource] = {}
        self.recorders: dict[int, SegmentRecorder] = {}
        #: A pilot's start or stop of a stream's recording, over the settings (stored).
        self.record_choices: dict[int, Choice] = {}
        self._record_tasks: dict[int, asyncio.Task[None]] = {}
        #: Why a recording task was cancelled (read when it ends).
        self._stop_reasons: dict[int, RecordingReason] = {}
        #: The last start or stop told to the pages, per stream.
        self._recording_states: dict[int, RecordingState] = {}
        self.no_camera: set[int] = set()
        self.photos_stored = 0
        self.photos_refused = 0
        self._refusals_audited: set[tuple[int, str]] = set()
        self.on_photo: list[Callable[[int, CameraPhoto], None]] = []
        self._tg: asyncio.TaskGroup | None = None
        self._stop_timers: dict[int, asyncio.TimerHandle] = {}
        self._changed = asyncio.Event()
        self.webrtc: WhepSessions | None = None
        if settings.webrtc:
            self.webrtc = WhepSessions(self._webrtc_watch, settings.webrtc_max_sessions)

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        """Find cameras until cancelled (the station's task group runs this)."""
        try:
            if self.sessions is not None:
                async with self.sessions() as session:
                    self.record_choices = await recording_choices(session)
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                tg.create_task(self._keep_streaming(), name="video-watchdog")
                if self.fleet is not None:
                    tg.create_task(self._follow_links(self.fleet), name="video-links")
                if self.settings.retention_days is not None:
                    tg.create_task(self._sweep_hourly(), name="video-retention")
                for sysid, uri in self.settings.streams.items():
                    stream = StreamInfo(1, uri, "rtp_udp", 0, 0, 0.0, "h264", "configured")
                    info = CameraInfo(sysid, 0, "", "", 0, (stream,), source="config")
                    self._spawn(self._attach(info, None), f"video-config-{sysid}")
                if self.fleet is not None:
                    async for sysid in self.fleet.new_vehicles():
                        self._spawn(self._discover(sysid), f"video-discover-{sysid}")
                else:
                    await asyncio.Event().wait()
        finally:
            self._tg = None
            if self.webrtc is not None:
                await self.webrtc.close()
            self.close()

    def close(self) -> None:
        for timer in self._stop_timers.values():
            timer.cancel()
        for recorder in self.recorders.values():
            recorder.close()
        for source in self.sources.values():
            source.close()
        for client in self.clients.values():
            client.close()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None] | None:
        if self._tg is None:
            coro.close()
            return None
        return self._tg.create_task(self._guarded(coro, name), name=name)

    @staticmethod
    async def _guarded(coro: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await coro
        except (LinkError, OSError, photos.PhotoFetchError, ValueError) as exc:
            log.warning("%s: %s", name, exc)

    async def wait_for_camera(self, sysid: int, timeout_s: float) -> CameraInfo:
        """Wait until vehicle `sysid`'s camera is known (tests, the demo); LookupError if
        the vehicle turned out to have none."""
        found = await self.wait_for_discovery(sysid, timeout_s)
        if found is None:
            raise LookupError(f"vehicle {sysid} has no camera")
        return found

    async def wait_for_discovery(self, sysid: int, timeout_s: float) -> CameraInfo | None:
        """Wait until vehicle `sysid` was asked for its camera: the camera, or None."""
        async with asyncio.timeout(timeout_s):
            while sysid not in self.cameras and sysid not in self.no_camera:
                self._changed.clear()
                await self._changed.wait()
        return self.cameras.get(sysid)

    # ------------------------------------------------------------------ discovery
    async def _discover(self, sysid: int) -> None:
        assert self.fleet is not None
        if sysid in self.settings.streams:
            return  # configured: no need to ask
        client = CameraClient(self.fleet.vehicle(sysid))
        info = await client.discover()
        if info is None:
            client.close()
            self.no_camera.add(sysid)
            self._changed.set()
            return
        self.clients[sysid] = client
        client.on_message(lambda msg: self._camera_message(sysid, msg))
        await self._attach(info, client)

    async def _attach(self, info: CameraInfo, client: CameraClient | None) -> None:
        stream = next((s for s in info.streams if s.udp_port is not None), None)
        if stream is not None and stream.udp_port is not None:
            source = VideoSource(
                stream.udp_port,
                self.settings.listen_host,
                on_demand=lambda active: self._demand(info.sysid, active),
            )
            await source.start()
            self.sources[info.sysid] = source
        self.cameras[info.sysid] = info
        self._changed.set()
        log.info("vehicle %d: camera %s %s, streams %s", info.sysid, info.vendor, info.model,
                 [s.uri for s in info.streams])  # fmt: skip
        if self.wants_recording(info.sysid) and info.sysid in self.sources:
            self._start_recording(info.sysid)

    # ------------------------------------------------------------------ streaming on demand
    def _demand(self, sysid: int, active: bool) -> None:
        timer = self._stop_timers.pop(sysid, None)
        if timer is not None:
            timer.cancel()
        client = self.clients.get(sysid)
        if client is None:
            return  # a configured stream: it runs on its own
        if active:
            self._spawn(client.start_streaming(), f"video-start-{sysid}")
            return

        def stop() -> None:
            self._stop_timers.pop(sysid, None)
            self._spawn(client.stop_streaming(), f"video-stop-{sysid}")

        loop = asyncio.get_running_loop()
        self._stop_timers[sysid] = loop.call_later(self.settings.stop_grace_s, stop)

    async def _keep_streaming(self, every_s: float = STREAM_WATCHDOG_S) -> None:
        """Ask again for a watched stream that stopped (the camera rebooted, the link dropped
        the START command, another station stopped it)."""
        while True:
            await asyncio.sleep(every_s)
            now = time.monotonic()
            for sysid, source in self.sources.items():
                client = self.clients.get(sysid)
                last = source.last_frame_monotonic
                quiet = last is None or now - last > every_s
                if client is not None and source.subscribers and quiet:
                    self._spawn(client.start_streaming(), f"video-restart-{sysid}")

    @contextlib.asynccontextmanager
    async def watch(
        self, sysid: int, name: str = "viewer"
    ) -> AsyncIterator[tuple[VideoSource, Subscriber]]:
        """Subscribe to vehicle `sysid`'s stream for the duration; KeyError if it has none."""
        source = self.sources[sysid]
        async with source.subscribe(name) as sub:
            yield source, sub

    def _webrtc_watch(self, sysid: int) -> Watch | None:
        if sysid not in self.sources:
            return None
        return lambda: self.watch(sysid, "webrtc")

    async def still(
        self, sysid: int, name: str, timeout_s: float = 10.0
    ) -> tuple[bytes, StillStamp]:
        """A stamped JPEG of vehicle `sysid`'s live video now (KeyError: no stream;
        TimeoutError: no picture in time)."""
        source = self.sources[sysid]
        picture = await next_picture(source, timeout_s)
        pos = heading = None
        if self.fleet is not None and sysid in self.fleet.vehicles:
            state = self.fleet.vehicle(sysid).state
            pos, heading = state.position, state.heading_deg
        client = self.clients.get(sysid)
        gimbal = client.gimbal_deg if client is not None else None
        stamp = StillStamp(
            sysid,
            name,
            pos.lat_deg if pos else None,
            pos.lon_deg if pos else None,
            pos.alt_msl_m if pos else None,
            pos.alt_rel_m if pos else None,
            heading,
            gimbal[0] if gimbal else None,
            gimbal[1] if gimbal else None,
            datetime.now(UTC),
        )
        return await asyncio.to_thread(stamped_jpeg, picture, stamp), stamp

    # ------------------------------------------------------------------ recording
    def wants_recording(self, sysid: int) -> bool:
        """Whether vehicle `sysid`'s stream is to be recorded: a pilot's say, else the settings."""
        choice = self.record_choices.get(sysid)
        return choice.recording if choice is not None else self.settings.records(sysid)

    def is_recording(self, sysid: int) -> bool:
        task = self._record_tasks.get(sysid)
        return task is not None and not task.done() and not task.cancelling()

    def set_recording(self, choice: Choice) -> None:
        """Apply a pilot's (stored) choice to vehicle `choice.sysid`'s stream now (KeyError: it
        has no stream). Stopping closes and stores the segment so far."""
        if choice.sysid not in self.sources:
            raise KeyError(choice.sysid)
        self.record_choices[choice.sysid] = choice
        if choice.recording and not self.is_recording(choice.sysid):
            self._start_recording(choice.sysid)
        elif not choice.recording:
            if self.is_recording(choice.sysid):
                self._stop_recording(choice.sysid, "pilot")
            else:  # not recording already (a full disk, the settings): the pilot's say now
                self._tell(self._state(choice.sysid, False, "pilot"))

    def follow_settings(self, sysid: int) -> None:
        """Forget the pilots' choice for vehicle `sysid`'s stream (already dropped from the
        store): it records as the settings say, from now on (KeyError: it has no stream)."""
        if sysid not in self.sources:
            raise KeyError(sysid)
        self.record_choices.pop(sysid, None)
        wanted = self.settings.records(sysid)
        if wanted and not self.is_recording(sysid):
            self._start_recording(sysid)
        elif not wanted and self.is_recording(sysid):
            self._stop_recording(sysid, "settings")
        else:
            self._tell(self._state(sysid, self.is_recording(sysid), "settings"))

    def recording_state(self, sysid: int) -> RecordingState:
        """Vehicle `sysid`'s recording as the pages were last told (or as it stands)."""
        told = self._recording_states.get(sysid)
        if told is not None:
            return told
        return self._state(sysid, self.is_recording(sysid), self._governs(sysid))

    def _governs(self, sysid: int) -> RecordingReason:
        return "pilot" if sysid in self.record_choices else "settings"

    def _state(
        self, sysid: int, recording: bool, reason: RecordingReason, error: str | None = None
    ) -> RecordingState:
        choice = self.record_choices.get(sysid)
        extra: dict[str, Any] = {}
        if choice is not None:
            extra = {"chosen_by": choice.chosen_by, "chosen_at": choice.chosen_at}
        if error is not None:
            extra["error"] = error
        return RecordingState(sysid=sysid, recording=recording, reason=reason, **extra)

    def _tell(self, state: RecordingState) -> None:
        """Remember `state` and publish it to the pages."""
        self._recording_states[state.sysid] = state
        if self.hub is not None:
            self.hub.publish(recording_state(state))

    def _stop_recording(self, sysid: int, reason: RecordingReason) -> None:
        task = self._record_tasks.get(sysid)
        if task is not None and not task.done():
            self._stop_reasons[sysid] = reason
            task.cancel()

    async def _follow_links(self, fleet: Fleet) -> None:
        """Stop a drone's recording when its link is lost (the segment so far is stored) and
        start it again, if still wanted, when the drone is back."""
        async for event in fleet.events():
            if event.kind == "lost" and self.is_recording(event.sysid):
                self._stop_recording(event.sysid, "offline")
            elif (
                event.kind == "regained"
                and event.sysid in self.sources
                and self.wants_recording(event.sysid)
                and not self.is_recording(event.sysid)
                and self.recording_state(event.sysid).reason == "offline"
            ):
                self._start_recording(event.sysid)

    def _start_recording(self, sysid: int) -> None:
        task = self._spawn(self._record(sysid), f"video-record-{sysid}")
        if task is not None:
            self._record_tasks[sysid] = task
            task.add_done_callback(lambda t: self._forget_task(sysid, t))

    def _forget_task(self, sysid: int, task: asyncio.Task[None]) -> None:
        if self._record_tasks.get(sysid) is task:
            del self._record_tasks[sysid]

    async def _record(self, sysid: int) -> None:
        source = self.sources[sysid]
        recorder = SegmentRecorder(
            sysid, self.recordings_dir, self.settings.segment_s, self._segment_closed
        )
        self.recorders[sysid] = recorder
        stopped: RecordingState | None = None
        try:
            async with source.subscribe("recorder") as sub:
                self._tell(self._state(sysid, True, self._governs(sysid)))
                async for unit in source.frames_for(sub):
                    try:
                        recorder.feed(unit)
                    except OSError as exc:  # a full disk: recording stops, flying does not
                        error = exc.strerror or str(exc)
                        stopped = self._state(sysid, False, "disk_full", error)
                        await self._recording_stopped(sysid, exc)
                        return
        except asyncio.CancelledError:
            reason = self._stop_reasons.pop(sysid, None)  # None: the station stops
            if reason is not None:
                stopped = self._state(sysid, False, reason)
            raise
        finally:  # the station stops: the segment so far is kept and stored too
            last = recorder.close(notify=False)
            if self.recorders.get(sysid) is recorder:
                del self.recorders[sysid]
            if stopped is not None:
                self._tell(stopped)
            if last is not None:
                await asyncio.shield(self._store_segment(last))

    async def _photo_not_stored(self, sysid: int, url: str, exc: OSError) -> None:
        log.error("vehicle %d: photo %s not stored: %s", sysid, url, exc)
        if self.sessions is None:
            return
        async with self.sessions() as session:  # raise_alert commits
            await raise_alert(
                session, sysid=sysid, kind="photo_not_stored", level="warning",
                text_en=f"a photo of drone {sysid} could not be stored (it is still on the "
                f"camera): {exc.strerror or exc}",
                text_zh=f"无人机 {sysid} 的照片无法保存（仍在相机上）：{exc.strerror or exc}",
                details={"error": str(exc), "url": url[:255]},
            )  # fmt: skip

    async def _recording_stopped(self, sysid: int, exc: OSError) -> None:
        log.error("vehicle %d: recording stopped: %s", sysid, exc)
        if self.sessions is None:
            return
        async with self.sessions() as session:  # raise_alert commits
            await raise_alert(
                session, sysid=sysid, kind="recording_stopped", level="warning",
                text_en=f"video recording of drone {sysid} stopped: {exc.strerror or exc}",
                text_zh=f"无人机 {sysid} 的视频录制已停止：{exc.strerror or exc}",
                details={"error": str(exc)},
            )  # fmt: skip

    def _segment_closed(self, segment: Segment) -> None:
        self._spawn(self._store_segment(segment), f"video-segment-{segment.sysid}")

    async def _store_segment(self, s: Segment) -> None:
        if self.sessions is None:
            return
        async with self.sessions.begin() as session:
            patrol_id = await camera_media.patrol_at(session, s.sysid, s.started_at)
            await camera_media.add_segment(
                session, s.sysid, s.started_at, s.ended_at, s.frames, s.sha256, s.size_bytes,
                str(s.path), patrol_id,
            )  # fmt: skip
        await self.enforce_quota()
        await self.enforce_retention()

    async def enforce_quota(self) -> int:
        """Remove the oldest unprotected segments past ``max_recordings_mb``; how many."""
        quota = self.settings.max_recordings_mb
        if quota is None or self.sessions is None:
            return 0
        async with self.sessions() as session:
            drop = await camera_media.segments_to_drop(
                session, int(quota * 1e6), self.settings.protect_s
            )
            await self._remove(session, drop, "video.quota_sweep", {"quota_mb": quota})
        return len(drop)

    async def enforce_retention(self, now: datetime | None = None) -> int:
        """Remove the unprotected segments that ended more than ``retention_days`` before
        `now` (default: the clock); how many."""
        days = self.settings.retention_days
        if days is None or self.sessions is None:
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        async with self.sessions() as session:
            drop = await camera_media.segments_older_than(session, cutoff, self.settings.protect_s)
            params = {"retention_days": days, "ended_before": cutoff.isoformat()}
            await self._remove(session, drop, "video.retention_sweep", params)
        return len(drop)

    async def _remove(
        self,
        session: AsyncSession,
        drop: list[VideoSegment],
        command: str,
        params: dict[str, Any],
    ) -> None:
        """Delete the files and rows of `drop`, and audit it (which commits) if any."""
        if not drop:
            return
        for seg in drop:
            await asyncio.to_thread(Path(seg.path).unlink, missing_ok=True)
        await camera_media.delete_segments(session, drop)
        removed = {
            "segments": len(drop),
            "bytes": sum(s.size_bytes for s in drop),
            "sha256": [s.sha256 for s in drop[:50]],
        }
        await audit(session, None, None, command, f"removed {len(drop)} segments",
                    params | removed)  # fmt: skip
        log.info("%s: %d segments removed (%d bytes)", command, len(drop), removed["bytes"])

    async def _sweep_hourly(self, every_s: float = 3600.0) -> None:
        while True:
            try:
                await self.enforce_retention()
            except (OSError, SQLAlchemyError) as exc:  # the next sweep tries again
                log.error("recordings retention sweep failed: %s", exc)
            await asyncio.sleep(every_s)

    # ------------------------------------------------------------------ photos
    def _camera_message(self, sysid: int, msg: Msg) -> None:
        if msg.get_type() != "CAMERA_IMAGE_CAPTURED" or int(msg.capture_result) != 1:
            return
        if self.settings.fetch_photos:
            self._spawn(self._fetch_photo(sysid, msg), f"video-photo-{sysid}")

    async def _fetch_photo(self, sysid: int, msg: Msg) -> None:
        url = msg.file_url if isinstance(msg.file_url, str) else msg.file_url.decode()
        url = url.split("\0", 1)[0]
        try:
            data = await photos.fetch(url, self._photo_hosts(sysid), self.settings.max_photo_bytes)
        except photos.PhotoUrlRefused as exc:
            await self._photo_refused(sysid, exc)
            return
        try:
            stored = await asyncio.to_thread(photos.store, data, self.photos_dir)
        except OSError as exc:  # a full disk: the photo stays on the camera; say so
            await self._photo_not_stored(sysid, url, exc)
            return
        utc_us = int(msg.time_utc)
        taken = (
            datetime.fromtimestamp(utc_us / 1e6, UTC)
            if utc_us >= _EPOCH_PLAUSIBLE_US
            else (stored.exif.taken_at if stored.exif and stored.exif.taken_at else None)
        ) or datetime.now(UTC)
        located = int(msg.lat) != 0 or int(msg.lon) != 0
        exif = stored.exif
        new = camera_media.NewPhoto(
            sysid=sysid,
            image_index=int(msg.image_index),
            taken_at=taken,
            lat_deg=int(msg.lat) / 1e7 if located else None,
            lon_deg=int(msg.lon) / 1e7 if located else None,
            alt_msl_m=int(msg.alt) / 1000 if located else None,
            exif_lat_deg=exif.lat_deg if exif else None,
            exif_lon_deg=exif.lon_deg if exif else None,
            exif_alt_m=exif.alt_msl_m if exif else None,
            source_url=url[:255],
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            path=str(stored.path),
        )
        if self.sessions is None:
            return
        async with self.sessions.begin() as session:
            patrol_id = await camera_media.patrol_at(session, sysid, taken)
            row = await camera_media.add_photo(session, replace(new, patrol_id=patrol_id))
        self.photos_stored += 1
        self._changed.set()
        for callback in self.on_photo:
            callback(sysid, row)

    def _photo_hosts(self, sysid: int) -> list[str]:
        """Where vehicle `sysid`'s photos may come from: its link address, the allow-list."""
        hosts = list(self.settings.photo_hosts)
        if self.fleet is not None and sysid in self.fleet.vehicles:
            hosts.append(self.fleet.vehicle(sysid).peer[0])
        return hosts

    async def _photo_refused(self, sysid: int, exc: photos.PhotoUrlRefused) -> None:
        """Log every refused photo URL; audit it (no alert) once per vehicle and host."""
        self.photos_refused += 1
        log.error("vehicle %d: photo not fetched: %s", sysid, exc)
        key = (sysid, exc.host)
        if self.sessions is None or key in self._refusals_audited:
            return
        self._refusals_audited.add(key)
        async with self.sessions() as session:  # audit commits
            await audit(
                session, None, sysid, "video.photo_refused", f"refused: {exc.reason}",
                {"url": exc.url[:255], "host": exc.host},
            )  # fmt: skip
        self._changed.set()

    async def wait_for_photos(self, count: int, timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            while self.photos_stored < count:
                self._changed.clear()
                await self._changed.wait()
