"""Alembic migrations: upgrade from empty, idempotence, and no drift from the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from groundstation.db.migrate import head_revision, upgrade_to_head
from groundstation.db.models import Base
from groundstation.db.session import make_sync_engine


def test_upgrade_from_empty_creates_every_table(db):
    """An empty database upgraded to head has every model's table and the head revision."""
    upgrade_to_head(db)
    engine = make_sync_engine(db)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(db):
    """Running the upgrade on an up-to-date database changes nothing and does not fail."""
    upgrade_to_head(db)
    upgrade_to_head(db)
    engine = make_sync_engine(db)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    finally:
        engine.dispose()


def test_models_match_migrations(db):
    """Autogenerate finds no difference between the migrated schema and the models."""
    upgrade_to_head(db)
    engine = make_sync_engine(db)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
