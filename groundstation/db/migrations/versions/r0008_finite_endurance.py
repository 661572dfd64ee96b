"""vehicles.endurance_s: an infinite (or NaN) endurance stored before the API refused it is unknown

The API accepted ``endurance_s: Infinity`` (issue 14); SQLite kept it, the API read it back as
null, and preflight and planning took it as an endless battery. Such a value says nothing about
the drone: it becomes NULL (the configured default endurance applies, as for any drone without
one).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    vehicles = sa.table("vehicles", sa.column("id", sa.Integer), sa.column("endurance_s", sa.Float))
    conn = op.get_bind()
    rows = conn.execute(sa.select(vehicles.c.id, vehicles.c.endurance_s)).all()
    for vehicle_id, endurance in rows:
        if endurance is not None and not math.isfinite(endurance):
            conn.execute(
                vehicles.update().where(vehicles.c.id == vehicle_id).values(endurance_s=None)
            )


def downgrade() -> None:
    """Nothing to undo: the infinite values carried no information."""
