"""The OpenAPI document describes the error bodies the station really sends.

FastAPI documents only 422 with its own ``HTTPValidationError`` (``detail`` a list). The station
also answers with its domain errors (``api.error_handlers``): ``{"detail": "<text>", "error":
"<class>", "fields": {...}}``, with 401, 403, 404, 409, 413, 415, 422, 429 and 504. This adds
them to every operation that can send them, so a client generated from the document (or
schemathesis) knows each status and the shape of its body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "A refused request: the reason as text, the error's class name and, for "
    "some errors, structured fields (what was not found, which field is wrong ...).",
    "required": ["detail", "error"],
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "error": {"type": "string", "title": "Error", "examples": ["NotFound", "Conflict"]},
        "fields": {"type": "object", "additionalProperties": True, "title": "Fields"},
    },
}

_REASONS = {
    400: "A body that cannot be parsed (a broken multipart form)",
    401: "Not authenticated: no token, or a bad, expired or revoked one",
    403: "The user's role may not do this, or (`error` PasswordChangeRequired) the user must "
    "first change the password an admin set: POST /api/auth/password",
    404: "No such object",
    409: "Conflicts with what is stored or with the vehicle's state",
    413: "Request body too large",
    415: "Unsupported media type (uploads)",
    429: "Too many failed logins: wait `Retry-After` seconds (or an admin lifts the lockout)",
    422: "Invalid request: `detail` is a list for a malformed request (FastAPI's validation), "
    "a string for a well-formed one the station cannot accept",
    504: "The vehicle did not answer in time (or, enrolling, not signed with its new key)",
}


def _error(code: int) -> dict[str, Any]:
    ref: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    schema = ref
    if code == 400:  # FastAPI's own, for a body it cannot parse (a broken multipart form)
        schema = {"type": "object", "required": ["detail"], "properties": {"detail": {}}}
    if code == 422:
        schema = {"anyOf": [{"$ref": "#/components/schemas/HTTPValidationError"}, ref]}
    return {"description": _REASONS[code], "content": {"application/json": {"schema": schema}}}


def _codes(path: str, method: str, op: dict[str, Any]) -> list[int]:
    codes = [413, 422]  # any request may be too large or malformed
    if op.get("security") or path.startswith("/api/auth/"):  # login answers 401 too
        codes += [401, 403, 404, 409]  # 404: ids in bodies name rows too
    if "{" in path:
        codes.append(404)
    if "multipart/form-data" in op.get("requestBody", {}).get("content", {}):
        codes += [400, 415]
    if path == "/api/auth/login":
        codes.append(429)
    if method == "post" and ("/commands/" in path or path.endswith("/dispatch")):
        codes.append(504)
    if method == "post" and ("/signing/" in path or path.endswith("/accept")):
        codes.append(504)  # SETUP_SIGNING sent, no frame signed with the new key came back
    return sorted(set(codes))


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the station's error responses to every operation of `schema` (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components.setdefault(
        "HTTPValidationError",
        {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {"detail": {"type": "array", "items": {"type": "object"}}},
        },
    )
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            for code in _codes(path, method, op):
                responses[str(code)] = _error(code)
    return schema


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with the error responses added."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
