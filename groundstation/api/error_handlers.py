"""Domain errors and malformed requests as HTTP answers, for the station and the centre alike.

:func:`add_error_handlers` wires the one mapping into an app: a domain error
(``errors.GroundStationError`` or ``routes.errors.PlanningError``) answers
``{"detail": "<text>", "error": "<class>", "fields": {...}}`` with the status of
:func:`status_for` (``api.openapi`` documents that body); a request FastAPI cannot validate
answers its usual 422, made safe to serialise.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from groundstation import errors
from groundstation.api.inputs import json_safe
from routes.errors import PlanningError

log = logging.getLogger(__name__)


def add_error_handlers(app: FastAPI) -> None:
    """Answer `app`'s domain errors and invalid requests with the station's error bodies."""
    app.add_exception_handler(errors.GroundStationError, _domain_error)
    app.add_exception_handler(PlanningError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)


def status_for(exc: errors.GroundStationError | PlanningError) -> int:
    """The HTTP status a domain error maps to (a plan that cannot be made: 422)."""
    if isinstance(exc, PlanningError):
        return 422
    if isinstance(exc, errors.ServiceError):
        return exc.status
    if isinstance(exc, errors.UnknownVehicle):
        return 404
    if isinstance(exc, errors.LinkTimeout):
        return 504
    if isinstance(exc, errors.CommandError | errors.MissionError | errors.VehicleHeld):
        return 409
    if isinstance(exc, errors.UnknownMode | errors.InvalidLinkUrl):
        return 422
    return 500


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.GroundStationError | PlanningError)
    status = status_for(exc)
    body: dict[str, object] = {"detail": str(exc), "error": type(exc).__name__}
    fields = exc.fields if isinstance(exc, errors.ServiceError) else {}
    if isinstance(exc, PlanningError):
        fields = exc.details
    if fields:
        body["fields"] = {k: v for k, v in fields.items() if _jsonable(v)}
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if isinstance(exc, errors.TooManyRequests) and "retry_after_s" in exc.fields:
        headers["Retry-After"] = str(exc.fields["retry_after_s"])
    return JSONResponse(json_safe(body), status_code=status, headers=headers or None)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, but safe to serialise: the input it echoes may hold NaN or surrogates."""
    assert isinstance(exc, RequestValidationError)
    detail = json_safe(jsonable_encoder(json_safe(exc.errors())))
    return JSONResponse({"detail": detail}, status_code=422)


def _jsonable(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list)
