"""Federation fixtures: a real Mosquitto (TLS, logins, ACL) on loopback, and PostgreSQL.

Without the ``mosquitto`` binary (Debian package ``mosquitto``, installed by
scripts/install-system-deps.sh) these tests are skipped, except in CI (``CI=true``), where that
is a failure, as for PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from tests.integration.db.conftest import pg_cluster  # noqa: F401  # the shared cluster fixture
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
