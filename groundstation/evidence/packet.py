"""Sealed evidence packets: a zip of an incident's files, a signed manifest, a cover sheet.

The zip holds the files under their manifest paths, plus three entries the manifest does not
list: ``manifest.json`` (every file's path, SHA-256, size, media type, source, collection time,
integrity at collection and handling history, and the packet's own facts), ``manifest.sig``
(the station's Ed25519 signature over the exact bytes of ``manifest.json``, base64) and
``public-key.pem`` (for convenience only: a verifier must trust the key on file, not this one).
``cover.html``, the bilingual cover sheet, is itself a listed file.

Photos are stored as they are (already compressed); text files are deflated. The writer never
changes a byte of a file: what is hashed is what is stored.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from groundstation.evidence.canonical import iso_utc, sha256_hex
from groundstation.evidence.cover import cover_html
from groundstation.evidence.keys import fingerprint, public_pem, sign

FORMAT = "ecopatrol-evidence-packet"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
COVER = "cover.html"
#: entries of the zip that are not listed in the manifest
UNLISTED = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})
_STORED_TYPES = ("image/", "video/", "application/pdf", "application/zip")


@dataclass(frozen=True, slots=True)
class PacketFile:
    """One file of a packet and what the manifest says about it.

    `source` names where it came from (drone, camera, user, table and row); `collected_at` is
    when the station first recorded it; `recorded_sha256` the hash stored at that time, if one
    was (the writer refuses a file whose bytes no longer match it); `history` the audit rows
    that touched it, oldest first.
    """

    path: str
    data: bytes
    media_type: str
    source: dict[str, Any]
    collected_at: datetime | None
    description: str = ""
    recorded_sha256: str | None = None
    history: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class PacketFacts:
    """What the packet is: the incident, who exported it and when, from which station."""

    incident_id: int
    exported_at: datetime
    exported_by: str
    station: str
    incident: dict[str, Any]
    notes: Sequence[str] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def file_entry(f: PacketFile) -> dict[str, Any]:
    """The manifest's entry for `f`."""
    digest = sha256_hex(f.data)
    if f.recorded_sha256 is None:
        integrity = "hashed at export (no hash was recorded at collection)"
    else:
        integrity = "matches the hash recorded at collection"
    return {
        "path": f.path,
        "sha256": digest,
        "size_bytes": len(f.data),
        "media_type": f.media_type,
        "description": f.description,
        "source": f.source,
        "collected_at": iso_utc(f.collected_at) if f.collected_at else None,
        "recorded_sha256": f.recorded_sha256,
        "integrity": integrity,
        "history": list(f.history),
    }


def manifest(facts: PacketFacts, entries: list[dict[str, Any]], key_fp: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "incident_id": facts.incident_id,
        "exported_at": iso_utc(facts.exported_at),
        "exported_by": facts.exported_by,
        "station": facts.station,
        "key_fingerprint": key_fp,
        "hash": "sha256",
        "signature": "ed25519 over the bytes of manifest.json, base64, in manifest.sig",
        "notes": list(facts.notes),
        **facts.extra,
        "files": entries,
    }


def _check_paths(files: Sequence[PacketFile]) -> None:
    seen: set[str] = set()
    for f in files:
        parts = f.path.split("/")
        if f.path in UNLISTED or f.path == COVER or f.path in seen:
            raise ValueError(f"packet path {f.path!r} is reserved or repeated")
        if f.path.startswith("/") or ".." in parts or "" in parts or "\\" in f.path:
            raise ValueError(f"packet path {f.path!r} is not a plain relative path")
        seen.add(f.path)
    for f in files:
        if f.recorded_sha256 is not None and sha256_hex(f.data) != f.recorded_sha256:
            raise ValueError(f"{f.path}: the bytes no longer match the hash recorded at collection")


def write_packet(
    out: str | Path | IO[bytes],
    facts: PacketFacts,
    files: Sequence[PacketFile],
    key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Write the sealed packet to `out` (a path or a binary file); the manifest written.

    ``ValueError`` for a file whose bytes do not match the hash recorded at collection, or a
    path that is not a plain relative one: nothing is written then.
    """
    import json

    _check_paths(files)
    fp = fingerprint(key.public_key())
    entries = [file_entry(f) for f in files]
    cover = PacketFile(
        path=COVER,
        data=cover_html(facts, entries, fp).encode("utf-8"),
        media_type="text/html",
        source={"kind": "cover sheet", "made_by": "station"},
        collected_at=facts.exported_at,
        description="cover sheet (中文 / English)",
    )
    entries.insert(0, file_entry(cover))
    body = json.dumps(
        manifest(facts, entries, fp), ensure_ascii=False, indent=1, sort_keys=False
    ).encode("utf-8")
    with zipfile.ZipFile(out, "w") as zf:
        _put(zf, MANIFEST, body, "application/json")
        _put(zf, SIGNATURE, (sign(key, body) + "\n").encode("ascii"), "text/plain")
        _put(zf, PUBLIC_KEY, public_pem(key.public_key()), "text/plain")
        for f in (cover, *files):
            _put(zf, f.path, f.data, f.media_type)
    result: dict[str, Any] = json.loads(body)
    return result


def _put(zf: zipfile.ZipFile, path: str, data: bytes, media_type: str) -> None:
    stored = media_type.startswith(_STORED_TYPES)
    info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
