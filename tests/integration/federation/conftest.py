"""Federation fixtures: a real Mosquitto (TLS, logins, ACL) on loopback, and PostgreSQL with
an empty centre store on it.

Without the ``mosquitto`` binary (Debian package ``mosquitto``, installed by
scripts/install-system-deps.sh) these tests are skipped, except in CI (``CI=true``), where that
is a failure, as for PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.config import DbSettings
from groundstation.federation.store import CentreStore
from tests.integration.db.conftest import (
    PgCluster,
    pg_cluster,  # noqa: F401  # the shared cluster fixture
)
from tests.integration.federation.broker import Mosquitto, mosquitto_binary

STATIONS = ("river-a", "river-b")


@pytest.fixture
def broker() -> Iterator[Mosquitto]:
    """A running broker with logins for ``river-a``, ``river-b`` and ``centre``."""
    binary = mosquitto_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mosquitto missing in CI")
        pytest.skip("mosquitto not installed")
    logins = {name: secrets.token_urlsafe(12) for name in (*STATIONS, "centre")}
    mosq = Mosquitto(binary, logins)
    mosq.start()
    try:
        yield mosq
    finally:
        mosq.close()


@pytest.fixture
async def store(pg_cluster: PgCluster) -> AsyncIterator[CentreStore]:  # noqa: F811  # fixture arg
    """An empty centre store on the test PostgreSQL (PostGIS when installed)."""
    engine = create_async_engine(DbSettings(url=pg_cluster.create_database()).async_url)
    store = CentreStore(engine)
    await store.setup()
    try:
        yield store
    finally:
        await engine.dispose()
