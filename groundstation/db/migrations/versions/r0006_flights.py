"""flights: one row per flight, written as it happens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column("airframe", sa.String(length=64), nullable=False),
        sa.Column("armed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("battery_start_pct", sa.Float(), nullable=True),
        sa.Column("battery_end_pct", sa.Float(), nullable=True),
        sa.Column("consumed_start_mah", sa.Float(), nullable=True),
        sa.Column("consumed_end_mah", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("flight_s", sa.Float(), nullable=False),
        sa.Column("hover_s", sa.Float(), nullable=False),
        sa.Column("hover_pct", sa.Float(), nullable=False),
        sa.Column("hover_mah", sa.Float(), nullable=False),
        sa.Column("cruise_s", sa.Float(), nullable=False),
        sa.Column("cruise_m", sa.Float(), nullable=False),
        sa.Column("cruise_pct", sa.Float(), nullable=False),
        sa.Column("cruise_mah", sa.Float(), nullable=False),
        sa.Column("mission_seq", sa.Integer(), nullable=True),
        sa.Column("last_lat_deg", sa.Float(), nullable=True),
        sa.Column("last_lon_deg", sa.Float(), nullable=True),
        sa.Column("last_boot_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrols.id"],
            name=op.f("fk_flights_patrol_id_patrols"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_flights_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flights")),
    )
    op.create_index("ix_flights_vehicle_armed", "flights", ["vehicle_id", "armed_at"])
    op.create_index(op.f("ix_flights_patrol_id"), "flights", ["patrol_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_flights_patrol_id"), table_name="flights")
    op.drop_index("ix_flights_vehicle_armed", table_name="flights")
    op.drop_table("flights")
