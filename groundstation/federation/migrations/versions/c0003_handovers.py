"""handovers of drones between stations, and who commands each handed-over drone

``fed_handovers``: one row per handover (its id), how far it went (offered, accepted,
refused, kept, released, taken; ``rank`` orders the states so a row only moves forward,
whatever order the two stations' messages arrive in). ``fed_control``: the station a drone was
last handed to (docs/federation.md, Handover).

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-06 07:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0003"
down_revision: str | None = "c0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = [
    """CREATE TABLE fed_handovers (
        id TEXT PRIMARY KEY,
        sysid INTEGER NOT NULL,
        giver TEXT NOT NULL,
        taker TEXT NOT NULL,
        state TEXT NOT NULL,
        rank INTEGER NOT NULL,
        reason TEXT,
        code TEXT,
        offered_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    "CREATE INDEX fed_handovers_sysid ON fed_handovers (sysid, updated_at)",
    """CREATE TABLE fed_control (
        sysid INTEGER PRIMARY KEY,
        station TEXT NOT NULL,
        handover_id TEXT NOT NULL,
        since TIMESTAMPTZ NOT NULL
    )""",
]


def upgrade() -> None:
    for ddl in _UP:
        op.execute(ddl)


def downgrade() -> None:
    for table in ("fed_control", "fed_handovers"):
        op.execute(f"DROP TABLE {table}")
