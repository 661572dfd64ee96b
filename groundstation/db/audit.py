"""The audit log: everything users and the station do, as a hash chain (see evidence.chain).

Commands sent to drones, logins (failures, lockouts, unlocks, logouts), and the changes and
reads named in issue 19 are all written here by :func:`audit`, the only writer of audit rows.
Each append first updates the one ``audit_head`` row, which serialises appends: on PostgreSQL
the row lock is held until the commit, on SQLite the update takes the database's write lock. The
new row gets the next number and the head's hash as its ``prev_hash``; two writers can never
chain to the same row (and ``seq`` is unique besides, so a fork would fail, not be stored).

:func:`write_checkpoint` signs the chain's newest row with the station's Ed25519 key, after
checking that the rows since the previous checkpoint still chain; :func:`verify_store` walks the
whole chain and every checkpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.models import AuditCheckpoint, AuditEntry, AuditHead, User, Vehicle
from groundstation.db.types import utcnow
from groundstation.errors import AuditChainBroken
from groundstation.evidence.canonical import iso_utc, json_roundtrip
from groundstation.evidence.chain import (
    GENESIS,
    ChainReport,
    ChainRow,
    Checkpoint,
    Finding,
    checkpoint_message,
    row_digest,
    verify_chain,
)
from groundstation.evidence.journal import append_checkpoint, read_checkpoints
from groundstation.evidence.keys import fingerprint, sign

HEAD_ID = 1


async def audit(
    session: AsyncSession,
    user: User | None,
    vehicle: Vehicle | int | None,
    command: str,
    result: str,
    params: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain, and commit it (with whatever else the session holds).

    `vehicle` is the registered :class:`Vehicle` or, for a drone heard on the link but not in
    the registry, its MAVLink system id. `user` None means the station itself (a schedule),
    or `actor` when given (the name someone tried to log in as, the CLI).
    The entry is committed immediately so that it survives whatever the caller does next.
    """
    vehicle_id: int | None = None
    sysid: int | None = None
    if isinstance(vehicle, Vehicle):
        vehicle_id, sysid = vehicle.id, vehicle.sysid
    else:
        sysid = vehicle
    username = (actor or (user.username if user else "station"))[:64]
    stored_params = json_roundtrip(dict(params or {}))  # hashed as it will read back
    result = result[:255]
    at = utcnow()
    seq, prev_hash = await _take_head(session)
    row_hash = row_digest(seq, at, username, sysid, command, stored_params, result, prev_hash)
    entry = AuditEntry(
        at=at,
        user_id=user.id if user else None,
        username=username,
        vehicle_id=vehicle_id,
        vehicle_sysid=sysid,
        command=command,
        params=stored_params,
        result=result,
        seq=seq,
        prev_hash=prev_hash,
        row_hash=row_hash,
    )
    session.add(entry)
    await session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=row_hash),
        execution_options={"synchronize_session": False},
    )
    await session.commit()
    return entry


async def _take_head(session: AsyncSession) -> tuple[int, str]:
    """Lock the head row and take the next number; the previous row's hash."""
    stmt = (
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    )
    row = (await session.execute(stmt, execution_options={"synchronize_session": False})).first()
    if row is not None:
        return int(row[0]), str(row[1])
    # a store made without the migrations (create_all in tests): start the chain here
    session.add(AuditHead(id=HEAD_ID, seq=1, last_hash=GENESIS))
    await session.flush()
    return 1, GENESIS


def chain_row(entry: AuditEntry) -> ChainRow:
    """The chain's view of a stored row."""
    return ChainRow(
        id=entry.id,
        seq=entry.seq,
        at=entry.at,
        username=entry.username,
        vehicle_sysid=entry.vehicle_sysid,
        command=entry.command,
        params=entry.params,
        result=entry.result,
        prev_hash=entry.prev_hash,
        row_hash=entry.row_hash,
    )


def checkpoint_of(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        id=row.id,
        seq=row.seq,
        head_hash=row.head_hash,
        at=row.at,
        key_fingerprint=row.key_fingerprint,
        signature=row.signature,
    )


async def load_chain(session: AsyncSession) -> tuple[list[ChainRow], list[Checkpoint]]:
    """Every audit row in chain order, and every checkpoint."""
    entries = await session.scalars(select(AuditEntry).order_by(AuditEntry.seq, AuditEntry.id))
    checkpoints = await session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
    return [chain_row(e) for e in entries], [checkpoint_of(c) for c in checkpoints]


async def verify_store(
    session: AsyncSession, public_key: Ed25519PublicKey, journal: Path | None = None
) -> ChainReport:
    """Walk the stored chain and its checkpoints (signatures checked with `public_key`).

    With `journal` (see :mod:`groundstation.evidence.journal`), its checkpoints count too, and
    each one the database no longer has is named as removed.
    """
    rows, checkpoints = await load_chain(session)
    lost: list[Finding] = []
    if journal is not None:
        kept, problems = await asyncio.to_thread(read_checkpoints, journal)
        lost += [Finding("checkpoint", p) for p in problems]
        stored = {(c.seq, c.signature) for c in checkpoints}
        for cp in kept:
            if (cp.seq, cp.signature) not in stored:
                lost.append(
                    Finding(
                        "removed",
                        f"checkpoint of seq {cp.seq} (signed {iso_utc(cp.at)}) is in the"
                        " journal but was removed from the database",
                        seq=cp.seq,
                    )
                )
                checkpoints.append(cp)
    report = verify_chain(rows, checkpoints, public_key)
    report.findings += lost
    return report


async def write_checkpoint(
    session: AsyncSession, key: Ed25519PrivateKey, journal: Path | None = None
) -> AuditCheckpoint | None:
    """Sign the chain's newest row, and commit (and append it to `journal`, if given); None
    when no row came since the last checkpoint.

    The rows since the last checkpoint are checked first: :class:`AuditChainBroken` (nothing
    signed) if they no longer chain from it, so a checkpoint never vouches for a tampered log.
    """
    last = await session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
    )
    since = last.seq if last is not None else 0
    entries = list(
        await session.scalars(
            select(AuditEntry).where(AuditEntry.seq > since).order_by(AuditEntry.seq)
        )
    )
    if not entries:
        return None
    seq, prev = since, last.head_hash if last is not None else GENESIS
    for entry in entries:
        row = chain_row(entry)
        expected = row_digest(
            entry.seq, row.at, row.username, row.vehicle_sysid, row.command, row.params,
            row.result, prev,
        )  # fmt: skip
        if entry.seq != seq + 1 or entry.prev_hash != prev or entry.row_hash != expected:
            raise AuditChainBroken(
                f"audit row id {entry.id} (seq {entry.seq}) does not chain from seq {seq}:"
                " not signing; run `ecopatrol audit verify`",
                row_id=entry.id,
            )
        seq, prev = entry.seq, expected
    at = utcnow()
    fp = fingerprint(key.public_key())
    checkpoint = AuditCheckpoint(
        seq=seq,
        head_hash=prev,
        at=at,
        key_fingerprint=fp,
        signature=sign(key, checkpoint_message(seq, prev, at, fp)),
    )
    session.add(checkpoint)
    await session.commit()
    if journal is not None:
        await asyncio.to_thread(append_checkpoint, journal, checkpoint_of(checkpoint))
    return checkpoint
