"""STATUSTEXT chunks put back together (MAVLink 2 ``id`` and ``chunk_seq``).

A text longer than the 50 characters of one STATUSTEXT arrives as several messages with the same
non-zero ``id`` and ``chunk_seq`` 0, 1, 2 ...; a chunk shorter than 50 characters (its text held a
NUL) is the last. ``id`` 0 (and MAVLink 1, which has no ``id``) is a whole text in one message.
ArduPilot sends long texts this way (``GCS::send_textv``). A text whose chunks stop coming is
given out as far as it got after ``timeout_s``, with "..." where chunks are missing, rather than
lost: a PreArm reason cut short still says more than nothing.

>>> asm = StatusTextAssembler()
>>> class Chunk:  # what pymavlink decodes: the text up to its first NUL
...     def __init__(self, text, id=0, chunk_seq=0, severity=4):
...         self.text, self.id, self.chunk_seq, self.severity = text, id, chunk_seq, severity
>>> first = "PreArm: Mission: No return path or landing sequence"  # over one 50-character chunk
>>> asm.feed(Chunk(first[:50], id=7), now=0.0)
[]
>>> asm.feed(Chunk("x" * 50, id=8), now=0.0)
[]
>>> asm.feed(Chunk(first[50:] + " found", id=7, chunk_seq=1), now=0.1)
[(4, 'PreArm: Mission: No return path or landing sequence found')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: characters in one STATUSTEXT's text field
CHUNK_LEN = 50


@dataclass
class _Partial:
    severity: int
    started_s: float
    chunks: dict[int, str] = field(default_factory=dict)
    last_seq: int | None = None  # the seq of the chunk that ended the text, once seen

    def complete(self) -> bool:
        return self.last_seq is not None and all(i in self.chunks for i in range(self.last_seq + 1))

    def text(self) -> str:
        end = self.last_seq if self.last_seq is not None else max(self.chunks)
        return "".join(self.chunks.get(i, "...") for i in range(end + 1))


def _text_of(msg: Any) -> str:
    text = msg.text
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return str(text).split("\x00", 1)[0]


class StatusTextAssembler:
    """Feeds STATUSTEXT messages in, gives whole texts out as ``(severity, text)``."""

    def __init__(self, timeout_s: float = 2.0, max_open: int = 16) -> None:
        self.timeout_s = timeout_s
        self.max_open = max_open
        self._open: dict[int, _Partial] = {}
        self.incomplete = 0  # texts given out with chunks missing

    @property
    def pending(self) -> bool:
        """Some text is waiting for more chunks."""
        return bool(self._open)

    def feed(self, msg: Any, now: float) -> list[tuple[int, str]]:
        """One STATUSTEXT in (the texts it completes, and any that timed out, out)."""
        out = self.expire(now)
        text = _text_of(msg)
        severity = int(msg.severity)
        text_id = int(getattr(msg, "id", 0) or 0)
        if text_id == 0:
            out.append((severity, text))
            return out
        seq = int(getattr(msg, "chunk_seq", 0) or 0)
        partial = self._open.get(text_id)
        if partial is None:
            if len(self._open) >= self.max_open:  # a sender that never ends its texts
                oldest = min(self._open, key=lambda k: self._open[k].started_s)
                out.append(self._give_up(oldest))
            partial = self._open[text_id] = _Partial(severity, now)
        partial.chunks[seq] = text
        if len(text) < CHUNK_LEN:
            partial.last_seq = seq
        if partial.complete():
            del self._open[text_id]
            out.append((partial.severity, partial.text()))
        return out

    def expire(self, now: float) -> list[tuple[int, str]]:
        """Texts whose chunks stopped coming ``timeout_s`` ago, as far as they got."""
        late = [k for k, p in self._open.items() if now - p.started_s >= self.timeout_s]
        return [self._give_up(k) for k in late]

    def _give_up(self, text_id: int) -> tuple[int, str]:
        partial = self._open.pop(text_id)
        self.incomplete += 1
        text = partial.text()
        if not partial.complete() and partial.last_seq is None:
            text += "..."
        return partial.severity, text
