"""Store fixtures: a temporary SQLite file, and a throwaway PostgreSQL cluster on loopback;
on either, a migrated store's ``sessions`` (a sessionmaker) and one ``session``.

The PostgreSQL cluster is made with Debian's ``initdb`` / ``pg_ctl`` (package ``postgresql``,
installed by scripts/install-system-deps.sh) in a temporary folder, listening on a free loopback
port, with trust authentication; it is stopped and deleted after the session. PostgreSQL refuses
to run as root, so as root the binaries run as the ``postgres`` system user. Without the binaries
the PostgreSQL tests are skipped, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker


def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="ecopatrol-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        cmd = [*self.as_user, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

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
