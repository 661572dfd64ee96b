"""recording_choices: a pilot's start or stop of a drone's recording survives a restart

One row per drone (system id): recording or not, who chose it and when. Drones without a row
follow the settings (``video.record``).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 11:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recording_choices",
        sa.Column("sysid", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("chosen_by", sa.Integer(), nullable=True),
        sa.Column("chosen_by_name", sa.String(length=128), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chosen_by"],
            ["users.id"],
            name=op.f("fk_recording_choices_chosen_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("sysid", name=op.f("pk_recording_choices")),
    )


def downgrade() -> None:
    op.drop_table("recording_choices")
