"""``ecopatrol audit``: verify passes on an intact store, fails naming the changed row."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from typer.testing import CliRunner

from groundstation.cli.main import app
from groundstation.config import DbSettings
from groundstation.db.audit import audit
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker


async def _fill(db: DbSettings, tamper: bool) -> None:
    upgrade_to_head(db)
    engine = make_async_engine(db)
    try:
        async with make_sessionmaker(engine)() as session:
            for i in range(4):
                await audit(session, None, 3, f"cmd.{i}", "accepted", actor="pilot1")
            if tamper:
                await session.execute(text("UPDATE audit_log SET command = 'arm' WHERE seq = 2"))
                await session.commit()
    finally:
        await engine.dispose()


def test_verify_checkpoint_and_key(tmp_path):
    """checkpoint signs the head; verify then reports every row signed; key prints the PEM."""
    db = DbSettings(url=f"sqlite:///{tmp_path / 's.db'}")
    asyncio.run(_fill(db, tamper=False))
    args = ["--db", db.url or "", "--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    signed = runner.invoke(app, ["audit", "checkpoint", *args])
    assert signed.exit_code == 0, signed.output
    assert "seq 4" in signed.output
    result = runner.invoke(app, ["audit", "verify", *args])
    assert result.exit_code == 0, result.output
    assert "4 rows, 1 checkpoints; signed up to seq 4 of 4" in result.output
    key = runner.invoke(app, ["evidence", "key", "--data-dir", str(tmp_path / "data")])
    assert key.output.startswith("-----BEGIN PUBLIC KEY-----")
    assert "fingerprint: " in key.output
    assert (tmp_path / "data" / "evidence-signing-key.pem").stat().st_mode & 0o777 == 0o600


def test_verify_names_the_changed_row(tmp_path):
    """A command renamed in the database: exit 1 and the row's id and number."""
    db = DbSettings(url=f"sqlite:///{tmp_path / 's.db'}")
    asyncio.run(_fill(db, tamper=True))
    args = ["--db", db.url or "", "--data-dir", str(tmp_path / "data")]
    result = CliRunner().invoke(app, ["audit", "verify", *args])
    assert result.exit_code == 1, result.output
    assert "TAMPERED: row id 2 (seq 2) was changed" in result.output
