"""Store fixtures: a temporary SQLite file, and a throwaway PostgreSQL cluster on loopback;
on either, a migrated store's ``sessions`` (a sessionmaker) and one ``session``.

The PostgreSQL cluster is made with Debian's ``initdb`` / ``pg_ctl`` (package ``postgresql``,
installed by scripts/install-system-deps.sh) in a temporary folder, listening on a free loopback
port, with trust authentication; it is stopped and deleted after the session. PostgreSQL refuses
to run as root, so as root the binaries run as the ``postgres`` system user. Without the binaries
the PostgreSQL tests are skipped, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.demo.local_postgres import LocalPostgres, PostgresMissing, pg_bindir


def _pg_bindir() -> Path | None:
    try:
        return pg_bindir()
    except PostgresMissing:
        return None


class PgCluster(LocalPostgres):
    """The demo's throwaway cluster, in a temporary folder that is deleted when it stops."""

    def __init__(self, bindir: Path) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="ecopatrol-pg-")), bindir)

    def stop(self, mode: str = "immediate") -> None:
        try:
            super().stop(mode)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) missing in CI")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed")
    cluster = PgCluster(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> DbSettings:
    """An empty database of each backend, as DbSettings."""
    if request.param == "sqlite":
        return DbSettings(url=f"sqlite:///{tmp_path / 'store.db'}")
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return DbSettings(url=cluster.create_database())


@pytest.fixture
async def sessions(db: DbSettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The store migrated to head, as a sessionmaker; its engine is disposed afterwards."""
    upgrade_to_head(db)
    engine = make_async_engine(db)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One session on the migrated store, closed before its engine is disposed."""
    async with sessions() as s:
        yield s
