"""patrols and their transitions keep the reason as a code and parameters beside the text

The page translates a patrol's reason from ``reason_code`` and ``reason_params``
(``groundstation.reasons``); ``reason`` / ``cause`` keep the English text for logs and the CLI.
Rows from before have an empty code (the page then shows the state alone).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {"patrols": "reason", "patrol_transitions": "cause"}


def upgrade() -> None:
    for table, name in _COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(f"{name}_code", sa.String(48), nullable=False, server_default="")
            )
            batch_op.add_column(
                sa.Column(f"{name}_params", sa.JSON(), nullable=False, server_default="{}")
            )


def downgrade() -> None:
    for table, name in _COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(f"{name}_params")
            batch_op.drop_column(f"{name}_code")
