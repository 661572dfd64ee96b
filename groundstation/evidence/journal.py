"""A copy of every audit checkpoint in a file beside the key, one JSON line each.

The database holds the checkpoints, but whoever can rewrite the audit log there can delete them
too, and then a rewritten chain has nothing to fail against. The station therefore also appends
each checkpoint to ``audit-checkpoints.jsonl`` in its data dir (0600): on PostgreSQL that file
is on another machine than the database, and verification reads both, naming any checkpoint
that the journal has and the database lost.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from groundstation.evidence.canonical import iso_utc
from groundstation.evidence.chain import Checkpoint

JOURNAL_FILE = "audit-checkpoints.jsonl"


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append `checkpoint` to the journal at `path` (created 0600), and flush it to disk."""
    line = json.dumps(
        {
            "id": checkpoint.id,
            "seq": checkpoint.seq,
            "head": checkpoint.head_hash,
            "at": iso_utc(checkpoint.at),
            "key": checkpoint.key_fingerprint,
            "signature": checkpoint.signature,
        },
        sort_keys=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_checkpoints(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The journal's checkpoints (none if there is no journal) and its unreadable lines."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return [], []
    checkpoints: list[Checkpoint] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            checkpoints.append(
                Checkpoint(
                    id=int(raw["id"]),
                    seq=int(raw["seq"]),
                    head_hash=str(raw["head"]),
                    at=datetime.fromisoformat(str(raw["at"]).replace("Z", "+00:00")),
                    key_fingerprint=str(raw["key"]),
                    signature=str(raw["signature"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path.name} line {n} cannot be read ({exc})")
    return checkpoints, problems
