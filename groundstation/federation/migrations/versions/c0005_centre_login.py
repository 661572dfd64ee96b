"""the centre's failed logins in its store; centre users made to change a reset password

``centre_login_throttle``: the failed logins of one username or one client address (``kind``
user or address), as the station's ``login_throttle``: kept here, not in the centre's memory,
so a restart does not forget them, ``ecopatrol centre-users unlock`` (another process) can lift
a lockout, and two centre processes share them. ``centre_users.must_change_password``: the
password was set by an operator (``centre-users reset-password``): the user must choose their
own at the next sign-in (every existing user need not).

Revision ID: c0005
Revises: c0004
Create Date: 2026-12-06 11:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0005"
down_revision: str | None = "c0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = [
    """CREATE TABLE centre_login_throttle (
        kind TEXT NOT NULL CHECK (kind IN ('user', 'address')),
        key TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failure_at TIMESTAMPTZ NOT NULL,
        blocked_until TIMESTAMPTZ,
        locked_until TIMESTAMPTZ,
        PRIMARY KEY (kind, key)
    )""",
    "ALTER TABLE centre_users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false",
]


def upgrade() -> None:
    for ddl in _UP:
        op.execute(ddl)


def downgrade() -> None:
    op.execute("ALTER TABLE centre_users DROP COLUMN must_change_password")
    op.execute("DROP TABLE centre_login_throttle")
