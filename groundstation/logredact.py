"""Keep bearer tokens out of every log line.

The live websocket takes its token in the query (``/ws/live?token=…``: browsers cannot set an
``Authorization`` header on a websocket), and uvicorn logs the path with its query, in the access
log and in its ``"WebSocket /ws/live?token=…" [accepted]`` line. A token in a log is a login for
whoever reads the log, for up to 12 h.

:func:`install` wraps the process's log-record factory, so every record, whichever library
made it and whichever handler prints it, has its tokens replaced before anything formats it. The
arguments are redacted one by one (uvicorn's access formatter unpacks them by position).

>>> redact("GET /ws/live?token=eyJhbGciOi.eyJzdWIi.sig&x=1 HTTP/1.1")
'GET /ws/live?token=[redacted]&x=1 HTTP/1.1'
>>> redact("Authorization: Bearer abc.def.ghi")
'Authorization: Bearer [redacted]'

Keys of internet base maps (``tk=`` for Tianditu, ``key=``) in the tile URLs the station fetches
are redacted too: httpx logs each request's URL (an ``httpx.URL``, redacted through its text).

>>> redact("GET https://t0.tianditu.gov.cn/vec_w/wmts?LAYER=vec&tk=0123abcd HTTP/1.1")
'GET https://t0.tianditu.gov.cn/vec_w/wmts?LAYER=vec&tk=[redacted] HTTP/1.1'
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

REDACTED = "[redacted]"
_PATTERNS = (
    # token=…, access_token=…, in a query string or a form body (percent-encoded or not)
    re.compile(r"(?i)(\b(?:access_)?token=)[^&\s\"']+"),
    # a tile server's key in a base map URL (Tianditu's tk=, key=, api_key=)
    re.compile(r"(?i)(\b(?:tk|key|api_?key)=)[^&\s\"']+"),
    # an Authorization header or a JSON field printed whole
    re.compile(r"(?i)(\bbearer\s+)[\w.~+/=-]+"),
    re.compile(r"(?i)(\"(?:access_)?token\"\s*:\s*\")[^\"]+"),
)
_installed = False


def redact(text: str) -> str:
    """`text` with every token it carries replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, httpx.URL):  # httpx logs every request's URL as this object
        return redact(str(value))
    return value


def install() -> None:
    """Redact tokens in every log record made from now on, in this process (idempotent)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
