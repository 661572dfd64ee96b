"""the centre's merged store: every station's events, latest vehicle positions, commands

The tables the centre used to make itself (``CentreStore.setup`` before this chain), made
``IF NOT EXISTS`` so a store made that way joins the chain as it is. PostGIS is required: a
vehicle's latest position is a ``geography(Point)`` with a GiST index.

Revision ID: c0001
Revises:
Create Date: 2026-12-06 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = [
    "CREATE EXTENSION IF NOT EXISTS postgis",
    """CREATE TABLE IF NOT EXISTS fed_events (
        id TEXT PRIMARY KEY,
        station TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        arrival BIGSERIAL,
        data JSONB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fed_events_station_seq ON fed_events (station, seq)",
    """CREATE TABLE IF NOT EXISTS fed_vehicles (
        station TEXT NOT NULL,
        sysid INTEGER NOT NULL,
        name TEXT,
        lat_deg DOUBLE PRECISION,
        lon_deg DOUBLE PRECISION,
        armed BOOLEAN,
        battery_pct DOUBLE PRECISION,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (station, sysid)
    )""",
    "ALTER TABLE fed_vehicles ADD COLUMN IF NOT EXISTS position geography(Point, 4326)",
    "CREATE INDEX IF NOT EXISTS fed_vehicles_position ON fed_vehicles USING gist (position)",
    """CREATE TABLE IF NOT EXISTS fed_commands (
        id TEXT PRIMARY KEY,
        station TEXT NOT NULL,
        kind TEXT NOT NULL,
        sysid INTEGER NOT NULL,
        issued_by TEXT NOT NULL,
        sent_at TIMESTAMPTZ NOT NULL,
        result TEXT,
        reason TEXT,
        acked_at TIMESTAMPTZ
    )""",
    # a command's parameters, and the station's reason code and references (a dispatch's
    # incident at the station)
    "ALTER TABLE fed_commands ADD COLUMN IF NOT EXISTS params JSONB NOT NULL DEFAULT '{}'",
    "ALTER TABLE fed_commands ADD COLUMN IF NOT EXISTS code TEXT",
    "ALTER TABLE fed_commands ADD COLUMN IF NOT EXISTS refs JSONB NOT NULL DEFAULT '{}'",
    "CREATE INDEX IF NOT EXISTS fed_commands_sent ON fed_commands (sent_at)",
]


def upgrade() -> None:
    for ddl in _UP:
        op.execute(ddl)


def downgrade() -> None:
    for table in ("fed_commands", "fed_vehicles", "fed_events"):
        op.execute(f"DROP TABLE {table}")
    # the postgis extension stays: other schemas of the database may use it
