"""Property-based fuzzing of every API operation with schemathesis, as a pilot and as an admin.

Schemathesis reads the station's own OpenAPI document and, for each operation, generates
requests that fit it and requests that do not (negative mode), runs them in-process over ASGI
against a station with a real SQLite store, and checks every answer: never a 500, a status the
document lists for that operation, and a body that matches the documented schema for it.

Bounded for ``make test`` on 2 cores: derandomised (the same examples every run, no example
database), at most :data:`MAX_EXAMPLES` per operation and role, no shrinking.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from groundstation.app import create_app
from groundstation.config import DbSettings, LoginSettings, Settings
from tests.api.conftest import ADMIN, PASSWORD

MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Login throttling has its own tests; here fuzzed logins must not lock out the test's users.
NO_THROTTLE = LoginSettings(
    free_failures=10**6, user_lockout_after=10**6, address_lockout_after=10**6
)


def station_settings(folder: Path) -> Settings:
    return Settings(
        data_dir=folder / "data",
        db=DbSettings(url=f"sqlite:///{folder / 'station.db'}"),
        admin_username=ADMIN[0],
        admin_password=ADMIN[1],
        password_hash_profile="cheapest",
        login=NO_THROTTLE,
    )


class Station:
    """Users to call as, and something to find (a vehicle, an incident)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.user_ids: set[int] = set()
        self.headers: dict[str, dict[str, str]] = {}
        with TestClient(self.app) as client:
            admin = self._login(client, *ADMIN)
            r = client.post(
                "/api/users",
                json={"username": "pilot1", "password": PASSWORD, "role": "pilot"},
                headers=admin,
            )
            assert r.status_code == 201, r.text
            # something to find: a vehicle and an incident
            r = client.post("/api/vehicles", json={"sysid": 2, "name": "egret-2"}, headers=admin)
            assert r.status_code == 201, r.text
            incident = {"type": "theft", "lat_deg": 29.05, "lon_deg": 119.17}
            assert client.post("/api/incidents", json=incident, headers=admin).status_code == 201
            self.relogin(client)

    def _login(self, client, username: str, password: str) -> dict[str, str]:
        r = client.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.user_ids.add(r.json()["user"]["id"])
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def relogin(self, client) -> None:
        self.headers = {
            "admin": self._login(client, *ADMIN),
            "pilot": self._login(client, "pilot1", PASSWORD),
        }


# A WHEP offer (POST /api/video/{sysid}/whep) is SDP text: sent as text, as text/plain is.
schemathesis.serializer.alias("application/sdp", "text/plain")

# The schema is read at collection (schemathesis' lazy fixture loader does not run under
# pytest 9), from an app that does nothing until its first request starts its lifespan.
_STATION_DIR = Path(tempfile.mkdtemp(prefix="ecopatrol-fuzz-"))
_APP = create_app(station_settings(_STATION_DIR))
schema = schemathesis.openapi.from_dict(_APP.openapi())
schema.app = _APP


@pytest.fixture(scope="module")
def station() -> Iterator[Station]:
    yield Station(_APP)
    shutil.rmtree(_STATION_DIR, ignore_errors=True)


bounded = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def call_as(role: str, case, station: Station) -> None:
    own_user = case.path_parameters and case.path_parameters.get("user_id") in station.user_ids
    changes_user = (case.method, case.path) in {
        ("PATCH", "/api/users/{user_id}"),
        ("POST", "/api/users/{user_id}/password"),
    }
    if changes_user and own_user:
        # a generated password or role change for the test's own users would log them out
        case.path_parameters["user_id"] = 10**9
    headers = dict(case.headers or {})
    headers.update(station.headers[role])
    case.call_and_validate(headers=headers, checks=CHECKS)
    if case.path == "/api/auth/logout":
        with TestClient(station.app) as client:
            station.relogin(client)


@schema.parametrize()
@bounded
def test_api_as_pilot_never_500s_and_answers_as_documented(case, station):
    """Every operation, fuzzed with a pilot's token: no 500, no undocumented status, no body
    off its schema."""
    call_as("pilot", case, station)


@schema.parametrize()
@bounded
def test_api_as_admin_never_500s_and_answers_as_documented(case, station):
    """The same with an admin's token (admins pass every role check: the most code runs)."""
    call_as("admin", case, station)
