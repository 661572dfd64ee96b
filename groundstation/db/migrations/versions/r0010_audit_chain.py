"""audit_log as a hash chain: seq, prev_hash, row_hash; the append lock row; signed checkpoints

Rows already in the log are chained in id order, so the chain starts with the station's first
audit row; they were not tamper-evident before this revision, so the chain vouches for them only
from now on (the first checkpoint signs them as found).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from groundstation.db.types import UTCDateTime
from groundstation.evidence.chain import GENESIS, row_digest

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoints_seq"), ["seq"], unique=False)
    seq, prev = _chain_existing_rows()
    op.bulk_insert(head, [{"id": 1, "seq": seq, "last_hash": prev}])
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_audit_log_seq", ["seq"])


def _chain_existing_rows() -> tuple[int, str]:
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("at", UTCDateTime()),
        sa.column("username", sa.String),
        sa.column("vehicle_sysid", sa.Integer),
        sa.column("command", sa.String),
        sa.column("params", sa.JSON),
        sa.column("result", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            log.c.id, log.c.at, log.c.username, log.c.vehicle_sysid, log.c.command,
            log.c.params, log.c.result,
        ).order_by(log.c.id)
    ).all()  # fmt: skip
    seq, prev = 0, GENESIS
    for row_id, at, username, sysid, command, params, result in rows:
        seq += 1
        digest = row_digest(seq, at, username, sysid, command, params, result, prev)
        conn.execute(
            log.update().where(log.c.id == row_id).values(seq=seq, prev_hash=prev, row_hash=digest)
        )
        prev = digest
    return seq, prev


def downgrade() -> None:
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_seq"))
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_log_seq", type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
