"""The SQLite store on disk, checked before it is opened.

SQLite takes an empty file for a new database and creates the tables in it; a station whose
database was truncated to 0 bytes (a full disk, a bad copy) would then start as a new, empty
station with every user gone. A file that is not SQLite, or is damaged, made the start fail
with a long traceback. Both are refused here with one line naming the file and what to do.

The database and its WAL and shared-memory files are created 0600 (SQLite gives the WAL and
SHM the database file's mode, so creating the file first is enough) in a 0700 data folder.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import DatabaseError

from groundstation.config import DbSettings
from groundstation.errors import StoreError
from groundstation.files import create_private_file, private_dir, private_file

SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_path(db: DbSettings) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    if not db.is_sqlite or db.url is None:
        return None
    path = db.url.partition(":///")[2].partition("?")[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def prepare_store(db: DbSettings, data_dir: Path) -> None:
    """Make the data folder private; refuse an unusable database file; create it 0600.

    :class:`StoreError` for an empty file where a station was set up, or a file that is not
    an SQLite database.
    """
    path = sqlite_path(db)
    if data_dir.exists() or (path is not None and path.is_relative_to(data_dir)):
        private_dir(data_dir)
    if path is None:
        return
    if not path.parent.exists():
        private_dir(path.parent)
    if path.exists():
        check_sqlite_file(path, data_dir)
    create_private_file(path)
    for suffix in SIDE_FILES:
        private_file(path.with_name(path.name + suffix))


def check_sqlite_file(path: Path, data_dir: Path) -> None:
    """:class:`StoreError` if `path` is empty where a station was set up, or not SQLite."""
    with path.open("rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if not head:
        markers = _setup_marks(path, data_dir)
        if markers:
            raise StoreError(
                f"database {path} is empty (0 bytes) but {markers[0]} shows this station was "
                "set up before: the database was truncated or replaced. Restore it from a "
                "backup; to start a new, empty station instead, move the file away"
            )
        return
    if head != SQLITE_HEADER:
        raise StoreError(
            f"database {path} is not an SQLite database (it starts with {head[:8]!r}): check "
            "--db / ECOPATROL_DB__URL, or restore the file from a backup"
        )


def _setup_marks(path: Path, data_dir: Path) -> list[Path]:
    """What in the data folder shows a station ran there: anything but the database itself
    (its token key, MAVLink keys, telemetry logs ...), the most telling first."""
    if not data_dir.is_dir():
        return []
    own = {path.name, *(path.name + suffix for suffix in SIDE_FILES)}
    found = [p for p in data_dir.iterdir() if not (p.parent == path.parent and p.name in own)]
    return sorted(found, key=lambda p: (p.name != "jwt-secret", p.name))


def store_error(db: DbSettings, exc: DatabaseError) -> StoreError:
    """A one-line :class:`StoreError` for a database the driver could not read."""
    reason = str(exc.orig) if exc.orig is not None else str(exc).splitlines()[0]
    path = sqlite_path(db)
    if path is None:
        return StoreError(f"database {db.url}: {reason}")
    return StoreError(
        f"database {path} is damaged ({reason}): restore it from a backup, or try "
        f"`sqlite3 {path} .recover` into a new file and point --db at that"
    )
