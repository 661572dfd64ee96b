"""Engines and sessions: one async engine per app, short sessions per request or per job.

The service runs on one asyncio event loop, so the store is reached through SQLAlchemy's async
engine (aiosqlite for SQLite, psycopg 3 for PostgreSQL): a slow disk or a locked SQLite file then
waits in the driver, never on the loop that also carries the MAVLink link and the websockets.
Migrations and the CLI's one-off jobs use the matching synchronous URL.

SQLite is opened in WAL mode (readers never block the writer) with foreign keys enforced and a busy
timeout, on every new connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from groundstation.config import DbSettings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_async_engine(db: DbSettings) -> AsyncEngine:
    """The service's engine for `db` (whose URL must already be resolved)."""
    engine = create_async_engine(db.async_url, echo=db.echo, pool_pre_ping=not db.is_sqlite)
    if db.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sync_engine(db: DbSettings) -> Engine:
    """A synchronous engine on the same database, for migrations and one-off tools."""
    engine = create_engine(db.sync_url, echo=db.echo)
    if db.is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy reload on the loop)."""
    return async_sessionmaker(engine, expire_on_commit=False)
