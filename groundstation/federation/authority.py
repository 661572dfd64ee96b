"""Who commands each vehicle, as this station knows it (docs/federation.md, Handover).

A station commands every vehicle of its fleet except the ones another station commands: its
guests (other stations' drones it hears and may be handed, ``guest_sysids``) until one is
handed to it, and its own once it has handed them on. The answer is kept in a small SQLite
file beside the outbox (``federation-control.db``), so a restart does not take back a drone
handed over, and applied to the fleet as a command hold (``Fleet.hold_commands``): the link
then sends such a vehicle only the messages that watch it (``groundstation.link.control``),
whoever asks (a pilot's button, a patrol, the safety watch, the centre).

>>> a = Authority(":memory:", "river-a", None, guests=[7])
>>> a.commands(1), a.commands(7), a.commander(7)
(True, False, None)
>>> a.give(1, "river-b", "h1"); a.commands(1), a.commander(1)
(False, 'river-b')
>>> a.take(7, "h2"); a.commands(7)
True
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from groundstation.link import Fleet

_SCHEMA = """
CREATE TABLE IF NOT EXISTS control (
    sysid INTEGER PRIMARY KEY,
    commander TEXT,
    handover_id TEXT,
    since TEXT NOT NULL
)
"""


class Authority:
    """This station's view of who commands each vehicle (see the module docstring)."""

    def __init__(
        self, path: Path | str, station: str, fleet: Fleet | None, *, guests: Iterable[int] = ()
    ) -> None:
        self.station = station
        self.fleet = fleet
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute(_SCHEMA)
        for sysid in guests:  # another station's, unless one was handed to this station
            self._db.execute(
                "INSERT OR IGNORE INTO control (sysid, commander, since) VALUES (?, NULL, ?)",
                (sysid, _now()),
            )
        for sysid, commander in self._db.execute("SELECT sysid, commander FROM control"):
            self._apply(int(sysid), commander)

    def commander(self, sysid: int) -> str | None:
        """The station that commands vehicle `sysid` (None: another, not known which)."""
        row = self._db.execute("SELECT commander FROM control WHERE sysid = ?", (sysid,)).fetchone()
        return self.station if row is None else row[0]

    def commands(self, sysid: int) -> bool:
        """True if this station commands vehicle `sysid`."""
        return self.commander(sysid) == self.station

    def give(self, sysid: int, to: str, handover_id: str) -> None:
        """This station stops commanding `sysid`: station `to` will."""
        self._set(sysid, to, handover_id)

    def take(self, sysid: int, handover_id: str) -> None:
        """This station commands `sysid` from now on."""
        self._set(sysid, self.station, handover_id)

    def handover_id(self, sysid: int) -> str | None:
        """The handover that last changed who commands `sysid`."""
        row = self._db.execute(
            "SELECT handover_id FROM control WHERE sysid = ?", (sysid,)
        ).fetchone()
        return None if row is None else row[0]

    def _set(self, sysid: int, commander: str, handover_id: str) -> None:
        self._db.execute(
            "INSERT INTO control (sysid, commander, handover_id, since) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sysid) DO UPDATE SET commander = excluded.commander, "
            "handover_id = excluded.handover_id, since = excluded.since",
            (sysid, commander, handover_id, _now()),
        )
        self._apply(sysid, commander)

    def _apply(self, sysid: int, commander: str | None) -> None:
        if self.fleet is None:
            return
        if commander == self.station:
            self.fleet.resume_commands(sysid)
        else:
            self.fleet.hold_commands(sysid, commander)

    def close(self) -> None:
        self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()
