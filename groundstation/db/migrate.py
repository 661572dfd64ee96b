"""Bring a database to the newest schema with Alembic, programmatically.

The migration scripts ship inside the package (``groundstation/db/migrations``), so an installed
station upgrades its own database at start without an ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from groundstation.config import DbSettings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(db: DbSettings) -> Config:
    """An Alembic configuration for `db`, pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.sync_url.replace("%", "%%"))
    return cfg


def upgrade_to_head(db: DbSettings) -> None:
    """Apply every migration not yet applied to `db` (creating the SQLite file if needed)."""
    if db.is_sqlite and db.url is not None:
        path = db.url.partition(":///")[2]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(db), "head")


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
