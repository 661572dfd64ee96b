"""Domain errors map to HTTP statuses in one place, with their message and fields."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from groundstation import errors
from groundstation.api.error_handlers import status_for
from groundstation.app import create_app
from groundstation.centre_app import create_centre_app
from routes import errors as planning
from routes.errors import PlanningError


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.NotFound("vehicle", 3), 404),
        (errors.Conflict("busy"), 409),
        (errors.PayloadTooLarge("big"), 413),
        (errors.UnsupportedMediaType("pdf"), 415),
        (errors.InvalidRequest("bad", field="x"), 422),
        (errors.UnknownVehicle(7), 404),
        (errors.CommandDenied(1, 400, "ARM", [1.0], 2, "DENIED"), 409),
        (errors.CommandTimeout(1, 400, "ARM", [1.0], None, "TIMEOUT"), 504),
        (errors.MissionUploadError(1, "mission", "refused"), 409),
        (errors.MissionTimeout(1, "mission", "silent"), 504),
        (planning.InvalidAreaError("not a polygon"), 422),
        (planning.SwathTooWideError("too wide", width_m=500), 422),
        (errors.ConfigError("bad url"), 500),
    ],
)
def test_status_for_domain_errors(exc, status):
    """Each kind of domain error has its HTTP status; timeouts are 504 even when also commands."""
    assert status_for(exc) == status


def test_error_body_carries_message_type_and_fields(station, officer):
    """A refused request answers with the error's message, class name and structured fields."""
    r = station.client.patch("/api/incidents/12345", json={"status": "resolved"}, headers=officer)
    assert r.status_code == 404
    assert r.json() == {
        "detail": "no incident 12345",
        "error": "NotFound",
        "fields": {"kind": "incident", "key": 12345},
    }


def test_unauthenticated_answer_asks_for_a_bearer_token(station):
    """A 401 carries WWW-Authenticate: Bearer."""
    r = station.client.get("/api/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_cors_allows_only_configured_origins(settings):
    """With an origin configured, that origin is allowed and any other is not."""
    open_to = settings.model_copy(update={"cors_origins": ["https://map.station.example"]})
    with TestClient(create_app(open_to)) as client:
        ok = client.options(
            "/api/me",
            headers={
                "Origin": "https://map.station.example",
                "Access-Control-Request-Method": "GET",
            },
        )
        bad = client.options(
            "/api/me",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
    assert ok.headers["access-control-allow-origin"] == "https://map.station.example"
    assert "access-control-allow-origin" not in bad.headers


def test_openapi_documents_the_error_bodies_really_sent(station, pilot):
    """Domain errors (string ``detail``) and FastAPI's (list ``detail``) are both in the
    document, with every status the station sends for an authenticated operation."""
    spec = station.client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"
    op = spec["paths"]["/api/vehicles/{vehicle_id}"]["patch"]
    assert {"401", "403", "404", "409", "413", "422"} <= set(op["responses"])
    unprocessable = op["responses"]["422"]["content"]["application/json"]["schema"]["anyOf"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in unprocessable} == {"HTTPValidationError", "Error"}
    upload = spec["paths"]["/api/incidents/{incident_id}/attachments"]["post"]
    assert "415" in upload["responses"]
    # and a domain 422 really has the Error shape
    r = station.client.post(
        "/api/incidents",
        json={"type": "theft", "lat_deg": 29.0, "lon_deg": 119.0, "vehicle_id": 999},
        headers=pilot,
    )
    assert r.status_code in (404, 422), r.text
    assert isinstance(r.json()["detail"], str)


def test_the_centre_answers_errors_as_the_station_does(settings):
    """The centre's app maps domain errors and invalid requests with the station's handlers
    (api.error_handlers), so its error bodies are the station's to the byte."""
    station = create_app(settings)
    centre = create_centre_app(settings, "postgresql://unused/centre", None)  # not started
    for exc in (errors.GroundStationError, PlanningError, RequestValidationError):
        assert centre.exception_handlers[exc] is station.exception_handlers[exc], exc
