"""Federation fixtures: a real Mosquitto (TLS, logins, ACL) on loopback, PostgreSQL with an
empty centre store on it, and two station services with a centre (``two_stations``).

Without the ``mosquitto`` binary (Debian package ``mosquitto``, installed by
scripts/install-system-deps.sh) these tests are skipped, except in CI (``CI=true``), where that
is a failure, as for PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.config import DbSettings
from groundstation.federation.store import CentreStore
from simulator.base import LONGYOU_STATION
from tests.integration.db.conftest import (
    PgCluster,
    pg_cluster,  # noqa: F401  # the shared cluster fixture
)
from tests.integration.federation.broker import Mosquitto, mosquitto_binary
from tests.integration.federation.helpers import (
    RIVER_B_HOME,
    TwoStations,
    running_centre,
    station_service,
    wait_for,
)

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


@pytest.fixture
async def two_stations(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> AsyncIterator[TwoStations]:
    """The centre on `store` and ``river-a`` and ``river-b`` joined to it through `broker`,
    once the centre's store holds all four drones free."""
    async with (
        running_centre(broker, store) as centre,
        station_service(broker, "river-a", tmp_path / "a", home=LONGYOU_STATION, duty=True) as a,
        station_service(broker, "river-b", tmp_path / "b", home=RIVER_B_HOME, duty=False) as b,
    ):

        async def four_free() -> bool:
            return len(await store.nearest_free(*RIVER_B_HOME[:2], limit=10)) == 4

        await wait_for(four_free, timeout_s=60)
        yield TwoStations(centre, a, b)
