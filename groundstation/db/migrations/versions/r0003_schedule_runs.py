"""schedule options and schedule runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("times", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("start_date", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("months", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("vehicle_pool", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("policy", sa.String(length=16), nullable=False, server_default="skip")
        )
        batch_op.add_column(
            sa.Column("retry_window_s", sa.Integer(), nullable=False, server_default="1800")
        )
        batch_op.add_column(
            sa.Column("retry_every_s", sa.Integer(), nullable=False, server_default="300")
        )
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
            name=op.f("fk_schedule_runs_patrol_id_patrols"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_runs_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_schedule_runs_vehicle_id_vehicles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
    )
    with op.batch_alter_table("schedule_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_runs_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_schedule_runs_schedule_id"), ["schedule_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_runs_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_runs_due_at"))
    op.drop_table("schedule_runs")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        for name in (
            "retry_every_s", "retry_window_s", "policy", "vehicle_pool", "months", "end_date",
            "start_date", "times", "name",
        ):  # fmt: skip
            batch_op.drop_column(name)
