"""Record a live stream to MP4 segment files, each with its SHA-256, for evidence.

A segment is a complete fragmented MP4 file (init segment, then one fragment per frame; any
player and FFmpeg read it) of about `segment_s` seconds, cut at a key frame so every segment
plays on its own. The hash is computed while writing; when a segment closes, `on_segment` gets
its path, size, hash, first and last frame time and frame count, to be stored in the database
(the bytes stay on disk). A half-written segment is named ``*.part`` until it closes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from groundstation.files import private_dir
from groundstation.video.fmp4 import Fmp4Muxer
from groundstation.video.rtp import AccessUnit


@dataclass(frozen=True, slots=True)
class Segment:
    sysid: int
    path: Path
    size_bytes: int
    sha256: str
    started_at: datetime
    ended_at: datetime
    frames: int


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks (to verify a segment against its record)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class SegmentRecorder:
    """Feeds frames of one vehicle's stream into rolling segment files under `folder`."""

    def __init__(
        self,
        sysid: int,
        folder: Path,
        segment_s: float,
        on_segment: Callable[[Segment], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sysid, self.folder, self.segment_s = sysid, folder, segment_s
        self.on_segment = on_segment
        self.clock = clock
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._frames = 0
        self._started = 0.0
        self._muxer = Fmp4Muxer()

    def feed(self, unit: AccessUnit) -> None:
        now = self.clock()
        if self._file is not None and unit.keyframe and now - self._started >= self.segment_s:
            self.close()
        if self._file is None:
            if not unit.keyframe:
                return
            self._open(now)
        chunks = self._muxer.feed(unit)
        init = self._muxer.init_segment
        if self._size == 0 and chunks and init is not None and chunks[0] is not init:
            chunks.insert(0, init)  # a new file needs the init segment
        for chunk in chunks:
            assert self._file is not None
            self._file.write(chunk)
            self._hash.update(chunk)
            self._size += len(chunk)
        self._frames += 1

    def _open(self, now: float) -> None:
        folder = self.folder / str(self.sysid)
        private_dir(folder)
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        self._path = folder / f"{stamp}.mp4"
        self._file = self._path.with_suffix(".part").open("wb")
        self._hash, self._size, self._frames, self._started = hashlib.sha256(), 0, 0, now

    def close(self, notify: bool = True) -> Segment | None:
        """Close the current segment (if any) and report it (to `on_segment` if `notify`)."""
        if self._file is None or self._path is None:
            return None
        self._file.close()
        part = self._path.with_suffix(".part")
        part.replace(self._path)
        segment = Segment(
            self.sysid,
            self._path,
            self._size,
            self._hash.hexdigest(),
            datetime.fromtimestamp(self._started, UTC),
            datetime.fromtimestamp(self.clock(), UTC),
            self._frames,
        )
        self._file, self._path = None, None
        if notify:
            self.on_segment(segment)
        return segment
