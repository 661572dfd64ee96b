"""Bring the centre's store to the newest schema: its own Alembic chain (``c0001``...).

The migrations ship in the package (``groundstation/federation/migrations``) and keep their
version in ``centre_alembic_version``, so the centre's PostgreSQL never shares a chain with a
station's store. The store needs PostGIS (Debian's ``postgresql-15-postgis-3``): the first
migration creates the extension and fails with a clear error on a server without it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DatabaseError

from groundstation.config import DbSettings
from groundstation.errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def centre_alembic_config(db: DbSettings) -> Config:
    """An Alembic configuration for the centre's store `db` (PostgreSQL)."""
    if not db.sync_url.startswith("postgresql"):
        raise StoreError(f"the centre's store is PostgreSQL with PostGIS, not {db.sync_url!r}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.sync_url.replace("%", "%%"))
    return cfg


def upgrade_centre(db: DbSettings, revision: str = "head") -> None:
    """Apply the centre's migrations up to `revision`; StoreError (one line) if it cannot."""
    try:
        command.upgrade(centre_alembic_config(db), revision)
    except DatabaseError as exc:
        raise StoreError(f"the centre's store {db.sync_url.split('@')[-1]}: {exc.orig}") from exc


def downgrade_centre(db: DbSettings, revision: str = "base") -> None:
    """Undo the centre's migrations down to `revision`."""
    command.downgrade(centre_alembic_config(db), revision)
