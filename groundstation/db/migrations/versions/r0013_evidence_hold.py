"""incidents under legal hold; incidents with photos, and photos, are never deleted

An admin may put an incident under hold (``held``, who, when, why) and release it. Whatever the
hold, the database itself refuses to delete an incident that has photos or is held, and refuses
to delete a photo: a trigger on each table, so no clean-up, quota or hand-typed SQL statement
removes evidence by accident (dropping the table or the trigger is another matter).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE = [
    """CREATE TRIGGER incidents_keep_evidence BEFORE DELETE ON incidents
    WHEN OLD.held OR EXISTS (SELECT 1 FROM attachments WHERE incident_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, 'incident holds evidence: it is never deleted'); END""",
    """CREATE TRIGGER attachments_keep_evidence BEFORE DELETE ON attachments
    BEGIN SELECT RAISE(ABORT, 'a photo is evidence: it is never deleted'); END""",
]
_POSTGRES = [
    """CREATE FUNCTION ecopatrol_keep_incident() RETURNS trigger AS $$
    BEGIN
      IF OLD.held OR EXISTS (SELECT 1 FROM attachments WHERE incident_id = OLD.id) THEN
        RAISE EXCEPTION 'incident % holds evidence: it is never deleted', OLD.id;
      END IF;
      RETURN OLD;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER incidents_keep_evidence BEFORE DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION ecopatrol_keep_incident()""",
    """CREATE FUNCTION ecopatrol_keep_attachment() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'photo % is evidence: it is never deleted', OLD.id;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER attachments_keep_evidence BEFORE DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION ecopatrol_keep_attachment()""",
]


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("held_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hold_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            batch_op.f("fk_incidents_held_by_users"), "users", ["held_by"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    for statement in _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER attachments_keep_evidence ON attachments")
        op.execute("DROP TRIGGER incidents_keep_evidence ON incidents")
        op.execute("DROP FUNCTION ecopatrol_keep_attachment()")
        op.execute("DROP FUNCTION ecopatrol_keep_incident()")
    else:
        op.execute("DROP TRIGGER attachments_keep_evidence")
        op.execute("DROP TRIGGER incidents_keep_evidence")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_incidents_held_by_users"), type_="foreignkey")
        batch_op.drop_column("hold_reason")
        batch_op.drop_column("held_at")
        batch_op.drop_column("held_by")
        batch_op.drop_column("held")
