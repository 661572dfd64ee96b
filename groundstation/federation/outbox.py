"""The station's outbox: events wait here, in order, until the broker has acknowledged them.

A small SQLite file of its own in the data directory (not the station's store, so a station on
PostgreSQL keeps its outbox on the local disk). Each event gets the next sequence number when it
is put; the publisher reads the oldest first and removes it only after the broker's PUBACK, so
what happens during a broker outage is sent afterwards, in order, and survives a restart. A
message sent again after a lost PUBACK keeps its id: the centre drops the second copy.

The calls are short synchronous SQLite statements (WAL, no fsync per event).

>>> box = Outbox(":memory:")
>>> box.put("t/1", b"a"), box.put("t/2", b"b")
(1, 2)
>>> [e.seq for e in box.oldest(10)]
[1, 2]
>>> box.remove(1); len(box)
1
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """One event waiting for the broker."""

    seq: int
    topic: str
    payload: bytes


class Outbox:
    """An ordered, durable queue of MQTT messages."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def next_seq(self) -> int:
        """The sequence number the next :meth:`put` will get."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
        return (int(row[0]) if row else 0) + 1

    def put(self, topic: str, payload: bytes) -> int:
        """Queue one message; its sequence number."""
        cur = self._db.execute(
            "INSERT INTO outbox (topic, payload) VALUES (?, ?)", (topic, payload)
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def oldest(self, limit: int) -> list[Pending]:
        """Up to `limit` waiting messages, oldest first."""
        rows = self._db.execute(
            "SELECT seq, topic, payload FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [Pending(int(s), str(t), bytes(p)) for s, t, p in rows]

    def remove(self, seq: int) -> None:
        """The broker has message `seq`."""
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        self._db.close()
