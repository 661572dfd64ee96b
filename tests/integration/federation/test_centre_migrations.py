"""The centre's own Alembic chain on a real PostgreSQL + PostGIS: up, down, and up again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from groundstation.config import DbSettings
from groundstation.federation.migrate import downgrade_centre, upgrade_centre

CENTRE_TABLES = {
    "fed_events", "fed_vehicles", "fed_commands", "fed_incidents", "fed_patrols",
    "fed_freshness", "centre_users", "fed_handovers", "fed_control", "centre_user_events",
    "centre_login_throttle",
}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _version(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version: str | None = conn.scalar(
                text("SELECT version_num FROM centre_alembic_version")
            )
            return version
    finally:
        engine.dispose()


def test_centre_migrations_up_down_up(pg_cluster) -> None:
    """Head makes every centre table under its own version table (not the station's
    ``alembic_version``); base removes them all; head again makes them again."""
    db = DbSettings(url=pg_cluster.create_database())
    upgrade_centre(db)
    assert _tables(db.sync_url) >= CENTRE_TABLES
    assert "alembic_version" not in _tables(db.sync_url)
    assert _version(db.sync_url) == "c0005"
    downgrade_centre(db, "c0004")
    assert "centre_login_throttle" not in _tables(db.sync_url)
    downgrade_centre(db, "c0003")
    assert "centre_user_events" not in _tables(db.sync_url)
    downgrade_centre(db, "c0001")
    assert {"fed_events", "fed_vehicles", "fed_commands"} <= _tables(db.sync_url)
    assert not {"fed_incidents", "centre_users"} & _tables(db.sync_url)
    downgrade_centre(db)
    assert not CENTRE_TABLES & _tables(db.sync_url)
    upgrade_centre(db)
    assert _tables(db.sync_url) >= CENTRE_TABLES


def test_a_store_the_centre_made_itself_joins_the_chain(pg_cluster) -> None:
    """A store made by the centre before this chain existed (its three tables, an event in
    them) is brought to head with its event kept."""
    db = DbSettings(url=pg_cluster.create_database())
    engine = create_engine(db.sync_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE fed_events (id TEXT PRIMARY KEY, station TEXT NOT NULL, "
                    "seq BIGINT NOT NULL, kind TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, "
                    "received_at TIMESTAMPTZ NOT NULL, arrival BIGSERIAL, data JSONB NOT NULL)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fed_events (id, station, seq, kind, at, received_at, data) "
                    "VALUES ('e1e1e1e1', 'river-a', 1, 'alert', now(), now(), '{}')"
                )
            )
        upgrade_centre(db)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT id FROM fed_events")) == "e1e1e1e1"
    finally:
        engine.dispose()
    assert _version(db.sync_url) == "c0005"
