"""The audit hash chain: each row's hash covers its content and the previous row's hash.

Pure functions over plain rows, so the same code checks the station's database and the audit
rows inside an evidence packet. A row's hash is the SHA-256 of the canonical JSON of its
sequence number, time, user name, vehicle system id, command, parameters, result and the
previous row's hash (64 zeros before the first row). The database ids of the user and vehicle
are left out: they are set to NULL when a user or vehicle is deleted, and the names are copied
into the row for that reason.

A checkpoint is the station's Ed25519 signature over (sequence number, head hash, time, key
fingerprint). :func:`verify_chain` walks the rows in sequence order and the checkpoints, and
reports each break: a row whose content no longer matches its hash (changed), a gap in the
sequence (removed), a row without a place in the chain or one that repeats a number (inserted),
and a checkpoint the chain no longer matches (rows rewritten with their hashes recomputed). Rows
after the newest checkpoint are only as trustworthy as the database until the next checkpoint.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 5, 1, tzinfo=UTC)
>>> h1 = row_digest(1, at, "root", None, "login", {}, "ok", GENESIS)
>>> rows = [ChainRow(1, 1, at, "root", None, "login", {}, "ok", GENESIS, h1)]
>>> verify_chain(rows, []).ok
True
>>> bad = [ChainRow(1, 1, at, "mallory", None, "login", {}, "ok", GENESIS, h1)]
>>> verify_chain(bad, []).first.text
'row id 1 (seq 1) was changed: its content no longer matches its hash'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from groundstation.evidence.canonical import canonical, iso_utc, sha256_hex
from groundstation.evidence.keys import fingerprint, verify

GENESIS = "0" * 64
CHECKPOINT_KIND = "ecopatrol-audit-checkpoint"

FindingKind = Literal["changed", "removed", "inserted", "rewritten", "checkpoint"]


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One audit row as stored: the hashed fields and its chain fields (None if missing)."""

    id: int
    seq: int | None
    at: datetime
    username: str
    vehicle_sysid: int | None
    command: str
    params: Any
    result: str
    prev_hash: str | None
    row_hash: str | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that the chain's row `seq` has hash `head_hash`."""

    id: int
    seq: int
    head_hash: str
    at: datetime
    key_fingerprint: str
    signature: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One break in the chain; `row_id` / `seq` name the row when one can be named."""

    kind: FindingKind
    text: str
    row_id: int | None = None
    seq: int | None = None


@dataclass(slots=True)
class ChainReport:
    rows: int = 0
    checkpoints: int = 0
    #: the newest sequence number a valid checkpoint covers (0: none)
    signed_seq: int = 0
    head_seq: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def row_fields(
    seq: int,
    at: datetime,
    username: str,
    vehicle_sysid: int | None,
    command: str,
    params: Any,
    result: str,
    prev_hash: str,
) -> dict[str, Any]:
    """The hashed content of a row, as a JSON object."""
    return {
        "v": 1,
        "seq": seq,
        "at": iso_utc(at),
        "user": username,
        "sysid": vehicle_sysid,
        "command": command,
        "params": params,
        "result": result,
        "prev": prev_hash,
    }


def row_digest(
    seq: int,
    at: datetime,
    username: str,
    vehicle_sysid: int | None,
    command: str,
    params: Any,
    result: str,
    prev_hash: str,
) -> str:
    """The hash of one row chained to `prev_hash`."""
    fields = row_fields(seq, at, username, vehicle_sysid, command, params, result, prev_hash)
    return sha256_hex(canonical(fields))


def _digest_of(row: ChainRow, prev_hash: str) -> str:
    assert row.seq is not None
    return row_digest(
        row.seq,
        row.at,
        row.username,
        row.vehicle_sysid,
        row.command,
        row.params,
        row.result,
        prev_hash,
    )


def checkpoint_message(seq: int, head_hash: str, at: datetime, key_fingerprint: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return canonical(
        {
            "kind": CHECKPOINT_KIND,
            "seq": seq,
            "head": head_hash,
            "at": iso_utc(at),
            "key": key_fingerprint,
        }
    )


def verify_chain(
    rows: Sequence[ChainRow],
    checkpoints: Sequence[Checkpoint],
    public_key: Ed25519PublicKey | None = None,
) -> ChainReport:
    """Every break in `rows` (in sequence order) and against `checkpoints`, first break first.

    Without `public_key` the checkpoints' signatures are not checked, only their hashes.
    """
    report = ChainReport(rows=len(rows), checkpoints=len(checkpoints))
    add = report.findings.append
    expected_seq, prev_hash, prev_id = 1, GENESIS, None
    before_prev: str | None = None  # the hash of the row before the previous one
    chained: dict[int, str] = {}  # seq -> hash recomputed from the content along the chain
    chained_prev = GENESIS
    for row in rows:
        where = f"row id {row.id} (seq {row.seq})"
        if row.seq is None or row.prev_hash is None or row.row_hash is None:
            add(Finding("inserted", f"row id {row.id} has no place in the chain: inserted", row.id))
            continue
        if row.seq < expected_seq:
            add(
                Finding("inserted", f"{where} repeats a sequence number: inserted", row.id, row.seq)
            )
            continue
        if row.seq > expected_seq:
            span = (
                str(expected_seq)
                if row.seq == expected_seq + 1
                else f"{expected_seq}..{row.seq - 1}"
            )
            after = f"after row id {prev_id}" if prev_id is not None else "at the start"
            add(
                Finding(
                    "removed",
                    f"rows seq {span} were removed ({after}, before row id {row.id})",
                    row.id,
                    expected_seq,
                )
            )
        elif row.prev_hash != prev_hash and prev_id is not None and row.prev_hash == before_prev:
            add(
                Finding(
                    "inserted",
                    f"row id {prev_id} (seq {row.seq - 1}) was inserted: row id {row.id} is"
                    " chained to the row before it",
                    prev_id,
                    row.seq - 1,
                )
            )
        elif row.prev_hash != prev_hash and prev_id is not None:
            add(
                Finding(
                    "changed",
                    f"row id {prev_id} (seq {row.seq - 1}) was changed: its hash"
                    f" is not the one row id {row.id} was chained to",
                    prev_id,
                    row.seq - 1,
                )
            )
        elif row.prev_hash != prev_hash:
            add(Finding("inserted", f"{where} does not start the chain: inserted", row.id, row.seq))
        if _digest_of(row, row.prev_hash) != row.row_hash:
            add(
                Finding(
                    "changed",
                    f"{where} was changed: its content no longer matches its hash",
                    row.id,
                    row.seq,
                )
            )
        chained_prev = _digest_of(row, chained_prev)
        chained[row.seq] = chained_prev
        before_prev = prev_hash
        expected_seq, prev_hash, prev_id = row.seq + 1, row.row_hash, row.id
    report.head_seq = expected_seq - 1
    own = fingerprint(public_key) if public_key is not None else None
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        name = f"checkpoint {cp.id} (seq {cp.seq})"
        if public_key is not None:
            message = checkpoint_message(cp.seq, cp.head_hash, cp.at, cp.key_fingerprint)
            if cp.key_fingerprint != own:
                add(
                    Finding(
                        "checkpoint", f"{name} was signed by another key ({cp.key_fingerprint})"
                    )
                )
                continue
            if not verify(public_key, message, cp.signature):
                add(
                    Finding(
                        "checkpoint", f"{name}: the signature does not match: forged or altered"
                    )
                )
                continue
        if cp.seq not in chained:
            add(
                Finding(
                    "removed",
                    f"{name} covers seq {cp.seq} but the log ends at seq"
                    f" {report.head_seq}: rows were removed",
                    seq=cp.seq,
                )
            )
            continue
        if chained[cp.seq] != cp.head_hash:
            since = report.signed_seq + 1
            add(
                Finding(
                    "rewritten",
                    f"rows seq {since}..{cp.seq} were rewritten (hashes"
                    f" recomputed): the chain no longer matches {name}",
                    seq=since,
                )
            )
            continue
        report.signed_seq = max(report.signed_seq, cp.seq)
    return report
