"""Alembic migrations: upgrade from empty, idempotence, and no drift from the models."""

from __future__ import annotations

import json

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


def test_plans_stored_before_0007_get_their_sortie_summaries(db):
    """A plan stored before plans.sortie_summaries existed gets them from its mission items."""
    from alembic import command
    from sqlalchemy import text

    from groundstation.db.migrate import alembic_config

    command.upgrade(alembic_config(db), "0006")
    sorties = [
        {"drone": 1, "length_m": 1200.5, "duration_s": 300.0, "items": [{}] * 7, "fence": [{}] * 5},
        {"drone": 0, "length_m": 80.0, "duration_s": 20.0, "items": [{}] * 3},
    ]
    engine = make_sync_engine(db)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO plans (name, kind, params, route, mission_items, stats,"
                    " created_at) VALUES ('old', 'coverage', '{}', '{}', :items, '{}',"
                    " '2026-01-01')"
                ),
                {"items": json.dumps(sorties)},
            )
        upgrade_to_head(db)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT sortie_summaries FROM plans")).scalar_one()
        rows = stored if isinstance(stored, list) else json.loads(stored)
        assert rows == [
            {"drone": 1, "length_m": 1200.5, "duration_s": 300.0, "mission_items": 7,
             "fence_items": 5},
            {"drone": 0, "length_m": 80.0, "duration_s": 20.0, "mission_items": 3,
             "fence_items": 0},
        ]  # fmt: skip
    finally:
        engine.dispose()


def test_infinite_endurance_stored_before_0008_becomes_unknown(db):
    """``endurance_s: Infinity`` accepted by the API before 0008 is made NULL; finite ones stay."""
    from alembic import command
    from sqlalchemy import text

    from groundstation.db.migrate import alembic_config

    command.upgrade(alembic_config(db), "0007")
    engine = make_sync_engine(db)
    try:
        with engine.begin() as conn:
            for sysid, name, endurance in ((1, "inf", float("inf")), (2, "ok", 1500.0)):
                conn.execute(
                    text(
                        "INSERT INTO vehicles (sysid, name, airframe, battery_model, endurance_s,"
                        " capabilities, notes, created_at) VALUES (:sysid, :name, 'quad', '',"
                        " :endurance, '[]', '', '2026-01-01')"
                    ),
                    {"sysid": sysid, "name": name, "endurance": endurance},
                )
        upgrade_to_head(db)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, endurance_s FROM vehicles ORDER BY sysid"))
            assert [tuple(r) for r in rows] == [("inf", None), ("ok", 1500.0)]
    finally:
        engine.dispose()
