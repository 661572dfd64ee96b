"""The audit log as CSV for a spreadsheet: UTF-8 with a byte-order mark (so that Excel reads
Chinese right), local ISO times with their offset, and the hash-chain columns, so that the
file can be checked against the chain (see :mod:`groundstation.evidence.chain`).

>>> header_line().startswith("\\ufeffseq,id,time,")
True
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

BOM = "\ufeff"
COLUMNS = (
    "seq",
    "id",
    "time",
    "username",
    "vehicle_id",
    "vehicle_sysid",
    "command",
    "result",
    "params",
    "prev_hash",
    "row_hash",
)


class AuditRow(Protocol):
    """What a row of the export is made from (an ``AuditEntry``)."""

    seq: int
    id: int
    at: datetime
    username: str
    vehicle_id: int | None
    vehicle_sysid: int | None
    command: str
    result: str
    params: dict[str, object]
    prev_hash: str
    row_hash: str


def _line(values: Sequence[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def header_line() -> str:
    """The first line: the byte-order mark and the column names."""
    return BOM + _line(COLUMNS)


def row_line(row: AuditRow, zone: ZoneInfo) -> str:
    """One entry as a CSV line, its time in `zone` (ISO 8601 with the offset)."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=ZoneInfo("UTC"))
    params = json.dumps(row.params, ensure_ascii=False, sort_keys=True)
    return _line(
        [
            row.seq,
            row.id,
            at.astimezone(zone).isoformat(timespec="seconds"),
            row.username,
            "" if row.vehicle_id is None else row.vehicle_id,
            "" if row.vehicle_sysid is None else row.vehicle_sysid,
            row.command,
            row.result,
            params,
            row.prev_hash,
            row.row_hash,
        ]
    )
