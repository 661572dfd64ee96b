"""patrol events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrol_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
            name=op.f("fk_patrol_events_patrol_id_patrols"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_events")),
    )
    with op.batch_alter_table("patrol_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_events_patrol_id"), ["patrol_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patrol_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_events_patrol_id"))
    op.drop_table("patrol_events")
