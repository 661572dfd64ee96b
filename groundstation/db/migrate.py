"""Bring a database to the newest schema with Alembic, programmatically.

The migration scripts ship inside the package (``groundstation/db/migrations``), so an installed
station upgrades its own database at start without an ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DatabaseError

from groundstation.config import DbSettings
from groundstation.db.store_files import prepare_store, sqlite_path, store_error

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(db: DbSettings) -> Config:
    """An Alembic configuration for `db`, pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.sync_url.replace("%", "%%"))
    return cfg


def upgrade_to_head(db: DbSettings, data_dir: Path | None = None) -> None:
    """Apply every migration not yet applied to `db` (creating the SQLite file if needed).

    With `data_dir`, the store's files are checked and made private first (see
    :func:`~groundstation.db.store_files.prepare_store`). :class:`StoreError` (one line) for a
    database that cannot be used.
    """
    if data_dir is not None:
        prepare_store(db, data_dir)
    else:
        path = sqlite_path(db)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        command.upgrade(alembic_config(db), "head")
    except DatabaseError as exc:
        raise store_error(db, exc) from exc


def head_revision() -> str:
    """The newest revision among the packaged migrations."""
    head = ScriptDirectory.from_config(_bare_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _bare_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg
