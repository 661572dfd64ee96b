"""schedule runs keep their reason as a code and parameters beside the text

Like patrols (0014): the page words a run's reason from ``reason_code`` and ``reason_params``
(``groundstation.reasons``); ``reason`` keeps the English text. Older runs have an empty code.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 08:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason_code", sa.String(48), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("reason_params", sa.JSON(), nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_runs", schema=None) as batch_op:
        batch_op.drop_column("reason_params")
        batch_op.drop_column("reason_code")
