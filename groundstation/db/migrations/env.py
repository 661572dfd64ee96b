"""Alembic environment: runs the packaged migrations on the URL given by `db.migrate`.

Alembic executes this file as a script (module name ``env_py``); a plain import, such as pytest's
doctest collection, only defines the functions below and runs nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, event

from groundstation.db.models import Base
from groundstation.db.session import _sqlite_pragmas


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_online() -> None:
    """Apply the migrations through a live connection."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: no sqlalchemy.url configured")
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if __name__ == "env_py":
    run_online()
