"""Report tests run on both stores: the SQLite and PostgreSQL `db` fixtures of the store tests."""

from tests.integration.db.conftest import db, pg_cluster  # noqa: F401 (fixtures shared, not redefined)
