"""the centre's live picture and its users: incidents, patrols, freshness, station scopes

Each vehicle, incident and patrol gets a centre-wide ``key`` (the page keys drones by number
and incidents by id, and two stations both have a drone 1 and an incident 1); the vehicle's
latest frame is kept whole (``frame``) with the station's and the centre's times, for the live
page's snapshot. Incidents keep their latest state and a ``geography(Point)`` (incidents in
an area); each station's latest freshness classes are PostGIS multipolygons (the merged
freshness map). ``centre_users``: the centre's own logins, each scoped to one station or
(``station`` NULL) to all.

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-06 07:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0002"
down_revision: str | None = "c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = [
    "ALTER TABLE fed_vehicles ADD COLUMN key SERIAL UNIQUE",
    "ALTER TABLE fed_vehicles ADD COLUMN frame JSONB",
    "ALTER TABLE fed_vehicles ADD COLUMN received_at TIMESTAMPTZ",
    """CREATE TABLE fed_incidents (
        key SERIAL UNIQUE,
        station TEXT NOT NULL,
        incident_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        position geography(Point, 4326) NOT NULL,
        data JSONB NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (station, incident_id)
    )""",
    "CREATE INDEX fed_incidents_position ON fed_incidents USING gist (position)",
    """CREATE TABLE fed_patrols (
        key SERIAL UNIQUE,
        station TEXT NOT NULL,
        patrol_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        data JSONB NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (station, patrol_id)
    )""",
    """CREATE TABLE fed_freshness (
        station TEXT NOT NULL,
        class TEXT NOT NULL CHECK (class IN ('fresh', 'stale', 'never')),
        geom geometry(MultiPolygon, 4326) NOT NULL,
        max_age_h DOUBLE PRECISION NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (station, class)
    )""",
    "CREATE INDEX fed_freshness_geom ON fed_freshness USING gist (geom)",
    """CREATE TABLE centre_users (
        id SERIAL PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        full_name TEXT NOT NULL DEFAULT '',
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('officer', 'admin')),
        station TEXT,
        token_version INTEGER NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
]


def upgrade() -> None:
    for ddl in _UP:
        op.execute(ddl)


def downgrade() -> None:
    for table in ("centre_users", "fed_freshness", "fed_patrols", "fed_incidents"):
        op.execute(f"DROP TABLE {table}")
    for column in ("received_at", "frame", "key"):
        op.execute(f"ALTER TABLE fed_vehicles DROP COLUMN {column}")
