"""plans.sortie_summaries: the plan list reads these, not every plan's route and items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 01:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from groundstation.db.models import summarise_sorties

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(
            sa.Column("sortie_summaries", sa.JSON(), nullable=False, server_default="[]")
        )
    plans = sa.table(
        "plans",
        sa.column("id", sa.Integer),
        sa.column("mission_items", sa.JSON),
        sa.column("sortie_summaries", sa.JSON),
    )
    conn = op.get_bind()
    for plan_id, sorties in conn.execute(sa.select(plans.c.id, plans.c.mission_items)).all():
        conn.execute(
            plans.update()
            .where(plans.c.id == plan_id)
            .values(sortie_summaries=summarise_sorties(sorties or []))
        )


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("sortie_summaries")
