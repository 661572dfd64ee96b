"""Alembic environment of the centre's store (PostgreSQL + PostGIS), apart from the station's.

Its own version table, ``centre_alembic_version``, so a centre's database never mixes with a
station's chain. Run by :mod:`groundstation.federation.migrate`; Alembic executes this file as
a script (module name ``env_py``): a plain import only defines the functions below.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

VERSION_TABLE = "centre_alembic_version"


def run_online() -> None:
    """Apply the centre's migrations through a live connection."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: no sqlalchemy.url configured")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=None, version_table=VERSION_TABLE
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if __name__ == "env_py":
    run_online()
