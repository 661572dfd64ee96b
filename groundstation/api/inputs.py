"""What the API accepts, in one place: bounded types, a strict JSON decoder, error bodies.

Input that the schemas let through used to reach SQLite or ``json.dumps`` and end in a 500
(issue 14): integers of 2^63 or more (SQLite's INTEGER is 64-bit), lone UTF-16 surrogates
(``"\\ud800"`` cannot be encoded as UTF-8), ``NaN`` / ``Infinity`` (not JSON, RFC 8259 §6) and
JSON nested deeply enough to exhaust Python's recursion limit. Here:

- :data:`Id`, :data:`Offset`, :data:`StoredInt`: integers bounded to what the store holds, shared
  by every path, query and body field that names a row or counts rows; :data:`Day` and
  :data:`Instant`: dates and times from 1970 to 9999-12-30, so that a day later or a time zone
  away is still a date Python can hold;
- :class:`InputModel`: the base of every request body (no NaN or infinity in any float);
- :func:`loads` and :class:`StrictJsonBodies`: every JSON request body is decoded strictly
  before any route sees it (the websocket's messages too), answering 422 like FastAPI does;
- :func:`json_safe`: what the 422 handler runs its error list through, since the offending
  input is echoed back and must itself be JSON.

>>> loads('{"a": [1, 2.5, "x"]}')
{'a': [1, 2.5, 'x']}
>>> for bad in ('NaN', '1e999', '{"n": 9223372036854775808}', '"\\\\ud800"', '[' * 100 + ']' * 100):
...     try:
...         loads(bad)
...     except InvalidJson as exc:
...         print(exc.msg)
NaN is not JSON (RFC 8259 allows finite numbers only)
number 1e999 is out of range (not a finite double)
integer 9223372036854775808 is out of range (-2^63 .. 2^63-1)
lone UTF-16 surrogate in a string (not valid Unicode)
nested deeper than 32 levels
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AwareDatetime, BaseModel, ConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
MAX_DEPTH = 32

#: A row id: 1 .. 2^63-1 (a larger number cannot name a row; SQLite would overflow).
Id = Annotated[int, Ge(1), Le(INT64_MAX)]
#: Rows to skip in a list.
Offset = Annotated[int, Ge(0), Le(INT64_MAX)]
#: Any integer the store can hold.
StoredInt = Annotated[int, Ge(INT64_MIN), Le(INT64_MAX)]
#: A calendar day the station can do arithmetic on (a day later, a UTC offset away).
Day = Annotated[date, Ge(date(1970, 1, 1)), Le(date(9999, 12, 30))]
#: An instant with its UTC offset, in the same range.
Instant = Annotated[
    AwareDatetime, Ge(datetime(1970, 1, 1, tzinfo=UTC)), Le(datetime(9999, 12, 30, tzinfo=UTC))
]


class InputModel(BaseModel):
    """Base of every request body: ``NaN`` and ``±inf`` are refused in every float field."""

    model_config = ConfigDict(allow_inf_nan=False)


class InvalidJson(json.JSONDecodeError):
    """A body or message that is not strict JSON (FastAPI answers it with 422 json_invalid)."""

    def __init__(self, msg: str, doc: str = "", pos: int = 0) -> None:
        super().__init__(msg, doc, pos)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not JSON (RFC 8259 allows finite numbers only)")


def _int(text: str) -> int:
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidJson(f"integer {text} is out of range (-2^63 .. 2^63-1)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJson(f"number {text} is out of range (not a finite double)")
    return value


def _check(value: Any, depth: int) -> None:
    """`depth`: how many arrays and objects hold `value`."""
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        raise InvalidJson(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidJson("lone UTF-16 surrogate in a string (not valid Unicode)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def loads(text: str | bytes) -> Any:
    """Decode strict JSON, or raise :class:`InvalidJson` saying what is wrong."""
    try:
        value = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except RecursionError:
        raise InvalidJson(f"nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"not UTF-8: {exc.reason}") from None
    _check(value, 0)
    return value


def json_safe(value: Any) -> Any:
    """`value` with NaN/inf as strings and surrogates escaped, so strict JSON can carry it.

    >>> json_safe({"input": [math.nan, "\\ud800", 1.5]})
    {'input': ['nan', '\\\\ud800', 1.5]}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


class StrictJsonBodies:
    """Pure ASGI middleware: a JSON request body that is not strict JSON gets a 422 (the
    shape of FastAPI's own ``json_invalid`` error) before any route or model sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                loads(body)
            except json.JSONDecodeError as exc:  # InvalidJson, or not JSON at all
                await _refuse(send, exc)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, exc: json.JSONDecodeError) -> None:
    error = {
        "type": "json_invalid",
        "loc": ["body", exc.pos],
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": exc.msg},
    }
    body = json.dumps({"detail": [error]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
