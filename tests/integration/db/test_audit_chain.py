"""The audit hash chain in the store, on SQLite and PostgreSQL: tampering is found and named."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from groundstation.db.audit import audit, verify_store, write_checkpoint
from groundstation.db.models import AuditCheckpoint, AuditEntry
from groundstation.errors import AuditChainBroken
from groundstation.evidence.chain import row_digest
from groundstation.evidence.keys import sign

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))


async def _log(sessions, n: int = 6) -> list[AuditEntry]:
    """`n` audit rows of different kinds, appended one after the other."""
    entries = []
    async with sessions() as session:
        for i in range(n):
            entry = await audit(
                session, None, i % 3 or None, f"cmd.{i}", "accepted", {"i": i, "x": [1.5, "é"]},
                actor=f"user{i}",
            )  # fmt: skip
            entries.append(entry)
    return entries


async def _sql(sessions, statement: str, **params: object) -> None:
    async with sessions() as session:
        await session.execute(text(statement), params)
        await session.commit()


async def _verify(sessions):
    async with sessions() as session:
        return await verify_store(session, KEY.public_key())


async def test_appended_rows_chain_and_a_checkpoint_signs_them(sessions):
    """Rows are numbered 1..n, each chained to the one before, and the signed head verifies."""
    entries = await _log(sessions)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(entries))
    async with sessions() as session:
        checkpoint = await write_checkpoint(session, KEY)
        assert checkpoint is not None
        assert (checkpoint.seq, checkpoint.head_hash) == (6, entries[-1].row_hash)
        assert await write_checkpoint(session, KEY) is None  # nothing new since
    report = await _verify(sessions)
    assert report.ok, report.findings
    assert (report.rows, report.signed_seq, report.head_seq) == (6, 6, 6)


async def test_a_flipped_byte_in_a_row_names_that_row(sessions):
    """One character of one row's result changed in the database: verify names that row."""
    entries = await _log(sessions)
    await _sql(
        sessions, "UPDATE audit_log SET result = 'acceptee' WHERE id = :id", id=entries[2].id
    )
    report = await _verify(sessions)
    assert not report.ok
    assert report.first is not None
    assert report.first.kind == "changed"
    assert report.first.row_id == entries[2].id
    assert f"row id {entries[2].id} (seq 3) was changed" in report.first.text


async def test_a_changed_params_value_is_found(sessions):
    """A parameter edited inside the JSON (a number) is a change of that row."""
    entries = await _log(sessions)
    await _sql(
        sessions, """UPDATE audit_log SET params = '{"i": 4, "x": [1.5, "é"]}' WHERE id = :id""",
        id=entries[3].id,
    )  # fmt: skip
    report = await _verify(sessions)
    assert report.first is not None
    assert (report.first.kind, report.first.row_id) == ("changed", entries[3].id)


async def test_a_changed_row_with_its_hash_recomputed_is_still_named(sessions):
    """Editing a row and recomputing its own hash breaks the link from the next row."""
    entries = await _log(sessions)
    e = entries[1]
    forged = row_digest(e.seq, e.at, "mallory", e.vehicle_sysid, e.command, e.params, e.result,
                        e.prev_hash)  # fmt: skip
    await _sql(
        sessions, "UPDATE audit_log SET username = 'mallory', row_hash = :h WHERE id = :id",
        h=forged, id=e.id,
    )  # fmt: skip
    report = await _verify(sessions)
    assert report.first is not None
    assert (report.first.kind, report.first.row_id) == ("changed", e.id)


async def test_a_deleted_row_is_named_by_its_number(sessions):
    """A row deleted from the middle leaves a gap: verify says which number is missing."""
    entries = await _log(sessions)
    await _sql(sessions, "DELETE FROM audit_log WHERE id = :id", id=entries[3].id)
    report = await _verify(sessions)
    assert report.first is not None
    assert report.first.kind == "removed"
    assert report.first.seq == 4
    assert "rows seq 4 were removed" in report.first.text


async def test_rows_deleted_from_the_end_are_caught_by_the_checkpoint(sessions):
    """Truncating the log below a signed checkpoint is a removal."""
    await _log(sessions)
    async with sessions() as session:
        await write_checkpoint(session, KEY)
    await _sql(sessions, "DELETE FROM audit_log WHERE seq >= 5")
    report = await _verify(sessions)
    assert report.first is not None
    assert report.first.kind == "removed"
    assert "covers seq 6 but the log ends at seq 4" in report.first.text


async def test_an_inserted_row_is_named(sessions):
    """A forged row slipped in (later rows renumbered, its own hash well formed) is named."""
    entries = await _log(sessions)
    before = entries[2]
    await _sql(sessions, "UPDATE audit_log SET seq = -seq WHERE seq > 3")
    await _sql(sessions, "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
    at = before.at
    digest = row_digest(4, at, "mallory", None, "login", {}, "ok", before.row_hash)
    async with sessions() as session:
        session.add(
            AuditEntry(
                at=at,
                username="mallory",
                command="login",
                params={},
                result="ok",
                seq=4,
                prev_hash=before.row_hash,
                row_hash=digest,
            )
        )
        await session.commit()
        forged_id = await session.scalar(select(AuditEntry.id).where(AuditEntry.seq == 4))
    report = await _verify(sessions)
    assert report.first is not None
    assert (report.first.kind, report.first.row_id) == ("inserted", forged_id)


async def test_a_rewritten_chain_fails_against_the_signed_checkpoint(sessions):
    """Changing a row and recomputing every hash after it is caught by the checkpoint."""
    entries = await _log(sessions)
    async with sessions() as session:
        await write_checkpoint(session, KEY)
    prev = entries[0].prev_hash
    for e in entries:
        username = "mallory" if e.seq == 2 else e.username
        h = row_digest(e.seq, e.at, username, e.vehicle_sysid, e.command, e.params, e.result, prev)
        await _sql(
            sessions,
            "UPDATE audit_log SET username = :u, prev_hash = :p, row_hash = :h WHERE id = :id",
            u=username, p=prev, h=h, id=e.id,
        )  # fmt: skip
        prev = h
    await _sql(sessions, "UPDATE audit_head SET last_hash = :h", h=prev)
    report = await _verify(sessions)
    assert report.first is not None
    assert report.first.kind == "rewritten"
    assert "rows seq 1..6 were rewritten" in report.first.text
    async with sessions() as session:  # and nothing new gets signed over it either
        await audit(session, None, None, "after", "ok")
        with pytest.raises(AuditChainBroken, match="does not chain from seq 6"):
            await write_checkpoint(session, KEY)


async def test_a_forged_checkpoint_is_refused(sessions):
    """A checkpoint signed by another key, or with an altered hash, does not count."""
    entries = await _log(sessions)
    async with sessions() as session:
        cp = await write_checkpoint(session, KEY)
        assert cp is not None
        session.add(
            AuditCheckpoint(
                seq=cp.seq,
                head_hash=cp.head_hash,
                at=cp.at,
                key_fingerprint=cp.key_fingerprint,
                signature=sign(OTHER_KEY, b"whatever"),
            )
        )
        await session.commit()
    report = await _verify(sessions)
    assert report.first is not None
    assert report.first.kind == "checkpoint"
    assert "the signature does not match" in report.first.text
    assert entries


async def test_a_checkpoint_is_not_signed_over_a_broken_chain(sessions):
    """write_checkpoint refuses when the rows since the last checkpoint no longer chain."""
    entries = await _log(sessions)
    await _sql(sessions, "UPDATE audit_log SET result = 'x' WHERE id = :id", id=entries[4].id)
    async with sessions() as session:
        with pytest.raises(AuditChainBroken, match=f"row id {entries[4].id}"):
            await write_checkpoint(session, KEY)


async def test_concurrent_writers_do_not_fork_the_chain(sessions):
    """Twenty appends from twenty sessions at once get numbers 1..20 in one chain."""

    async def one(i: int) -> None:
        async with sessions() as session:
            await session.execute(select(AuditEntry.id).limit(1))  # a read first, as routes do
            await audit(session, None, None, f"cmd.{i}", "ok")

    await asyncio.gather(*(one(i) for i in range(20)))
    report = await _verify(sessions)
    assert report.ok, report.findings
    assert report.head_seq == 20


async def test_the_checkpointer_alerts_once_on_a_broken_chain(sessions):
    """A tampered chain is not signed: one critical stored alert, not one per interval."""
    from groundstation.db.models import Alert
    from groundstation.evidence.checkpointer import Checkpointer

    entries = await _log(sessions, 3)
    checkpointer = Checkpointer(sessions, KEY, every_s=60)
    assert (await checkpointer.run_once()) is not None
    await _log(sessions, 2)
    await _sql(sessions, "UPDATE audit_log SET result = 'x' WHERE seq = 4")
    assert await checkpointer.run_once() is None
    assert await checkpointer.run_once() is None
    async with sessions() as session:
        alerts = (await session.scalars(select(Alert))).all()
    assert [(a.kind, a.level, a.count) for a in alerts] == [("evidence.audit_chain", "critical", 1)]
    assert entries


async def test_the_journal_catches_checkpoints_deleted_with_a_rewrite(sessions, tmp_path):
    """Deleting the checkpoints and rewriting the chain passes the database alone; the
    checkpoint journal in the data dir names both the lost checkpoint and the rewrite."""
    journal = tmp_path / "audit-checkpoints.jsonl"
    entries = await _log(sessions, 4)
    async with sessions() as session:
        await write_checkpoint(session, KEY, journal)
    assert journal.stat().st_mode & 0o777 == 0o600
    await _sql(sessions, "DELETE FROM audit_checkpoints")
    prev = entries[0].prev_hash
    for e in entries:
        result = "denied" if e.seq == 3 else e.result
        h = row_digest(e.seq, e.at, e.username, e.vehicle_sysid, e.command, e.params, result, prev)
        statement = "UPDATE audit_log SET result = :r, prev_hash = :p, row_hash = :h WHERE id = :i"
        await _sql(sessions, statement, r=result, p=prev, h=h, i=e.id)
        prev = h
    async with sessions() as session:
        assert (await verify_store(session, KEY.public_key())).ok  # the database alone: fooled
        report = await verify_store(session, KEY.public_key(), journal)
    kinds = [f.kind for f in report.findings]
    assert kinds == ["rewritten", "removed"]
    assert "rows seq 1..4 were rewritten" in report.findings[0].text
    assert "is in the journal but was removed from the database" in report.findings[1].text
