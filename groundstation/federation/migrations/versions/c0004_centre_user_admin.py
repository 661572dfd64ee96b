"""centre users can be disabled, and what is done to them is recorded

``centre_users.active``: a disabled user cannot sign in and their tokens stop working (every
existing user stays active). ``centre_user_events``: one row per change an operator makes to a
centre user from the CLI (disable, enable, password reset), with who did it; the centre's
commands to stations keep their own record in ``fed_commands``.

Revision ID: c0004
Revises: c0003
Create Date: 2026-12-06 10:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0004"
down_revision: str | None = "c0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = [
    "ALTER TABLE centre_users ADD COLUMN active BOOLEAN NOT NULL DEFAULT true",
    """CREATE TABLE centre_user_events (
        id SERIAL PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL DEFAULT now(),
        actor TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        params JSONB NOT NULL DEFAULT '{}'::jsonb
    )""",
    "CREATE INDEX centre_user_events_username ON centre_user_events (username, at)",
]


def upgrade() -> None:
    for ddl in _UP:
        op.execute(ddl)


def downgrade() -> None:
    op.execute("DROP TABLE centre_user_events")
    op.execute("ALTER TABLE centre_users DROP COLUMN active")
