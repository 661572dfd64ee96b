"""vehicle signing: key generation and enrolment time per vehicle

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_generation", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("signing_enrolled_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_column("signing_enrolled_at")
        batch_op.drop_column("signing_generation")
