"""Export one incident as a sealed packet: audit the export, sign the chain, gather, write.

What goes in: the incident record (``incident.json``), every photo in its original bytes (each
checked against the SHA-256 recorded at upload: a damaged one stops the export with
:class:`StoredFileDamaged`, audited), the drone's track ``track_margin_s`` either side of the
incident time (GeoJSON and CSV), its camera's stills and the video segments recorded in that
window (each file checked against the hash stored with it; a file gone from disk is named in the
notes), the slice of its MAVLink telemetry log (``.tlog``) when the station records one, the
patrol's report (its stored facts, and the PDF) if one was filed, and the audit rows that touch
them (``audit.json``, with their chain fields and the newest signed checkpoint, so each row can
be checked against the station's chain).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.audit import audit, write_checkpoint
from groundstation.db.evidence import (
    audit_rows_touching,
    camera_photos_between,
    latest_checkpoint,
    patrol_by_id,
    report_row,
    user_names,
    vehicle_by_id,
    video_segments_between,
)
from groundstation.db.incidents import get_incident, incident_attachments
from groundstation.db.models import AuditEntry, Incident, User, Vehicle
from groundstation.db.track import load_track, track_geojson
from groundstation.db.types import utcnow
from groundstation.errors import AuditChainBroken, GroundStationError, StoredFileDamaged
from groundstation.evidence.canonical import iso_utc, sha256_hex
from groundstation.evidence.integrity import read_intact
from groundstation.evidence.packet import PacketFacts, PacketFile, write_packet
from groundstation.evidence.tlog_slice import tlog_slice

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, limit: int = 80) -> str:
    """A file name safe in any zip tool: ASCII letters, digits, ``._-``; never empty.

    >>> safe_name("../江边 photo (1).jpg")
    '.._photo_1_.jpg'
    """
    cleaned = _UNSAFE.sub("_", name).strip("_") or "file"
    return cleaned[-limit:]


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")


def _history(rows: list[AuditEntry]) -> list[dict[str, Any]]:
    return [
        {
            "seq": r.seq,
            "at": iso_utc(r.at),
            "user": r.username,
            "action": r.command,
            "result": r.result,
        }
        for r in rows
    ]


def _audit_record(r: AuditEntry) -> dict[str, Any]:
    return {
        "id": r.id,
        "seq": r.seq,
        "at": iso_utc(r.at),
        "username": r.username,
        "vehicle_sysid": r.vehicle_sysid,
        "command": r.command,
        "params": r.params,
        "result": r.result,
        "prev_hash": r.prev_hash,
        "row_hash": r.row_hash,
    }


def _incident_record(incident: Incident, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": incident.id,
        "type": incident.type.value,
        "status": incident.status.value,
        "lat_deg": incident.lat_deg,
        "lon_deg": incident.lon_deg,
        "description": incident.description,
        "reported_by": names.get(incident.reported_by or 0),
        "assigned_to": names.get(incident.assigned_to or 0),
        "patrol_id": incident.patrol_id,
        "vehicle_id": incident.vehicle_id,
        "created_at": iso_utc(incident.created_at),
        "updated_at": iso_utc(incident.updated_at),
        "resolved_at": iso_utc(incident.resolved_at) if incident.resolved_at else None,
    }


async def export_incident(
    session: AsyncSession,
    key: Ed25519PrivateKey,
    incident_id: int,
    out: str | Path | IO[bytes],
    *,
    user: User | None,
    actor: str | None = None,
    station: str = "",
    track_margin_s: float = 600.0,
    tlog_dir: Path | None = None,
    journal: Path | None = None,
) -> dict[str, Any]:
    """Write incident `incident_id`'s sealed packet to `out`; its manifest.

    The export is audited first (``evidence.export``), so the packet's own handling history
    names it; the audit chain is then signed, so the rows in the packet are under a checkpoint.
    """
    incident = await get_incident(session, incident_id)
    exporter = actor or (user.username if user else "station")
    await audit(
        session, user, None, "evidence.export", "started", {"incident_id": incident_id}, actor=actor
    )
    notes: list[str] = []
    try:
        await write_checkpoint(session, key, journal)
    except AuditChainBroken as exc:
        notes.append(f"the station's audit chain is broken, not signed at export: {exc}")
    facts, files = await gather_files(session, incident, track_margin_s, notes, tlog_dir)
    checkpoint = await latest_checkpoint(session)
    extra: dict[str, Any] = {}
    if checkpoint is not None:
        extra["audit_checkpoint"] = {
            "seq": checkpoint.seq,
            "head_hash": checkpoint.head_hash,
            "at": iso_utc(checkpoint.at),
            "key_fingerprint": checkpoint.key_fingerprint,
            "signature": checkpoint.signature,
        }
    packet = PacketFacts(
        incident_id=incident.id,
        exported_at=utcnow(),
        exported_by=exporter,
        station=station or socket.gethostname(),
        incident=facts,
        notes=notes,
        extra=extra,
    )
    return await asyncio.to_thread(write_packet, out, packet, files, key)


async def gather_files(
    session: AsyncSession,
    incident: Incident,
    track_margin_s: float,
    notes: list[str],
    tlog_dir: Path | None = None,
) -> tuple[dict[str, Any], list[PacketFile]]:
    """The incident record and the packet's files (every photo checked against its hash)."""
    attachments = await incident_attachments(session, incident.id)
    patrol = await patrol_by_id(session, incident.patrol_id)
    vehicle = await vehicle_by_id(
        session, incident.vehicle_id or (patrol.vehicle_id if patrol else None)
    )
    names = await user_names(
        session,
        [incident.reported_by, incident.assigned_to, *(a.uploaded_by for a in attachments)],
    )
    since = incident.created_at - timedelta(seconds=track_margin_s)
    until = incident.created_at + timedelta(seconds=track_margin_s)
    rows = list(
        await audit_rows_touching(
            session,
            incident_id=incident.id,
            attachment_ids=[a.id for a in attachments],
            patrol_id=incident.patrol_id,
            vehicle_sysid=vehicle.sysid if vehicle else None,
            since=since,
            until=until,
        )
    )
    record = _incident_record(incident, names)
    files = [
        PacketFile(
            path="incident.json",
            data=_json_bytes(record),
            media_type="application/json",
            source={"table": "incidents", "row": incident.id, "reported_by": record["reported_by"]},
            collected_at=incident.created_at,
            description="the incident record as stored",
            history=_history(
                [
                    r
                    for r in rows
                    if r.params.get("incident_id") == incident.id
                    and "attachment_id" not in r.params
                ]
            ),
        )
    ]
    for a in attachments:
        data = await read_intact(session, a, user=None)
        files.append(
            PacketFile(
                path=f"attachments/{a.id:05d}-{safe_name(a.filename)}",
                data=data,
                media_type=a.content_type,
                source={
                    "table": "attachments",
                    "row": a.id,
                    "filename": a.filename,
                    "uploaded_by": names.get(a.uploaded_by or 0),
                    "lat_deg": a.lat_deg,
                    "lon_deg": a.lon_deg,
                },
                collected_at=a.created_at,
                description="photo, original bytes as uploaded",
                recorded_sha256=a.sha256,
                history=_history([r for r in rows if r.params.get("attachment_id") == a.id]),
            )
        )
    files += await _track_files(session, vehicle, since, until, notes)
    if vehicle is not None:
        files += await _camera_files(session, incident.id, vehicle, since, until, notes)
        files += await _tlog_files(tlog_dir, vehicle, since, until, notes)
    if patrol is not None:
        files += await _report_files(session, patrol.id, notes)
    files.append(
        PacketFile(
            path="audit.json",
            data=_json_bytes([_audit_record(r) for r in rows]),
            media_type="application/json",
            source={"table": "audit_log", "rows": len(rows)},
            collected_at=None,
            description="audit rows touching this incident, its photos, patrol and drone,"
            " with their hash-chain fields",
        )
    )
    return record, files


async def _camera_files(
    session: AsyncSession,
    incident_id: int,
    vehicle: Vehicle,
    since: datetime,
    until: datetime,
    notes: list[str],
) -> list[PacketFile]:
    """The drone camera's stills and video segments around the incident time, each file's
    bytes checked against the hash recorded when it was stored."""
    files: list[PacketFile] = []
    photos = await camera_photos_between(session, vehicle.sysid, since, until)
    segments = await video_segments_between(session, vehicle.sysid, since, until)
    camera = {"vehicle": vehicle.name, "sysid": vehicle.sysid}
    stored: list[tuple[str, int, str, str, datetime, str, str]] = [
        ("camera_photos", p.id, p.path, p.sha256, p.taken_at,
         f"camera/{p.id:05d}-{p.sha256[:12]}.jpg", "image/jpeg")
        for p in photos
    ] + [
        ("video_segments", v.id, v.path, v.sha256, v.started_at,
         f"video/{v.id:05d}-{v.sha256[:12]}.mp4", "video/mp4")
        for v in segments
    ]  # fmt: skip
    for kind, row_id, path, recorded, at, name, media in stored:
        try:
            data = await asyncio.to_thread(Path(path).read_bytes)
        except OSError as exc:
            notes.append(f"{kind} row {row_id}: its file cannot be read ({exc}): not included")
            continue
        if sha256_hex(data) != recorded:
            params = {"incident_id": incident_id, kind: row_id, "recorded_sha256": recorded,
                      "sha256": sha256_hex(data)}  # fmt: skip
            await audit(session, None, vehicle, "media.integrity", "mismatch", params)
            raise StoredFileDamaged(
                f"{kind} row {row_id} ({path}) no longer matches the hash recorded when it was"
                " stored: not exported",
                **params,
            )
        source = {**camera, "table": kind, "row": row_id, "file": Path(path).name}
        description = "camera still" if kind == "camera_photos" else "video segment"
        files.append(PacketFile(name, data, media, source, at, description, recorded))
    if not photos and not segments:
        notes.append(f"drone {vehicle.name}'s camera has no stills or video around the incident")
    return files


async def _tlog_files(
    tlog_dir: Path | None, vehicle: Vehicle, since: datetime, until: datetime, notes: list[str]
) -> list[PacketFile]:
    """The drone's telemetry log records in the window, as one ``.tlog``."""
    if tlog_dir is None:
        notes.append("the station records no telemetry log (.tlog): none included")
        return []
    data, problems = await asyncio.to_thread(tlog_slice, tlog_dir, vehicle.sysid, since, until)
    notes += [f"telemetry log: {p}" for p in problems]
    if not data:
        notes.append(f"drone {vehicle.name}'s telemetry log has nothing around the incident")
        return []
    source = {"vehicle": vehicle.name, "sysid": vehicle.sysid, "from": iso_utc(since),
              "to": iso_utc(until), "recorded_by": "station, MAVLink in and out"}  # fmt: skip
    name = f"tlog/sys{vehicle.sysid}-{since.strftime('%Y%m%dT%H%M%SZ')}.tlog"
    description = "the drone's MAVLink telemetry log around the incident time (.tlog)"
    return [PacketFile(name, data, "application/octet-stream", source, until, description)]


async def _track_files(
    session: AsyncSession,
    vehicle: Vehicle | None,
    since: datetime,
    until: datetime,
    notes: list[str],
) -> list[PacketFile]:
    from groundstation.reports.exports import track_csv

    if vehicle is None:
        notes.append("no drone is linked to the incident: no track")
        return []
    track = await load_track(session, vehicle_id=vehicle.id, since=since, until=until)
    if not len(track.points):
        notes.append(f"drone {vehicle.name} recorded no track around the incident time")
        return []
    end = datetime.fromtimestamp(float(track.points["time_s"][-1]), UTC)
    source = {
        "vehicle": vehicle.name,
        "sysid": vehicle.sysid,
        "from": iso_utc(since),
        "to": iso_utc(until),
        "points": len(track.points),
    }
    geojson = track_geojson(track, {"vehicle": vehicle.name, "sysid": vehicle.sysid})
    return [
        PacketFile(
            "track.geojson",
            _json_bytes(geojson),
            "application/geo+json",
            source,
            end,
            "the drone's track around the incident time (WGS84)",
        ),
        PacketFile(
            "track.csv",
            track_csv(track).encode("utf-8"),
            "text/csv",
            source,
            end,
            "the same track, one point a line",
        ),
    ]


async def _report_files(
    session: AsyncSession, patrol_id: int, notes: list[str]
) -> list[PacketFile]:
    from groundstation.reports.builder import build_report

    report = await report_row(session, patrol_id)
    if report is None:
        notes.append(f"patrol {patrol_id} has no filed report")
        return []
    source = {"table": "reports", "row": report.id, "patrol_id": patrol_id}
    files = [
        PacketFile(
            "report/report.json",
            _json_bytes(report.facts),
            "application/json",
            source,
            report.created_at,
            "the patrol report's stored facts",
        ),
    ]
    try:
        pdf = await build_report(session, patrol_id, "pdf")
    except GroundStationError as exc:
        notes.append(f"the patrol report PDF could not be made: {exc}")
    else:
        files.append(
            PacketFile(
                "report/report.pdf",
                pdf.body,
                "application/pdf",
                source,
                report.created_at,
                "the patrol report, rendered at export",
            )
        )
    return files
