"""Check a sealed evidence packet offline, with nothing but the station's public key.

Only the standard library and ``cryptography`` are used: the packet's zip is read, never
unpacked to disk. :func:`verify_packet` reports, in this order: a manifest that is missing or
whose signature does not match (``manifest.json`` altered, or signed by another key); each
listed file that is missing (removed), or whose bytes differ from the manifest's SHA-256 or size
(altered); and each entry the manifest does not list (added), including a second entry under a
listed name.

>>> from io import BytesIO
>>> verify_packet(BytesIO(b"not a zip"), None).problems
['not a zip file: File is not a zip file']
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from groundstation.evidence.keys import fingerprint, load_public_pem, verify

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
UNLISTED = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})
_CHUNK = 1 << 20
#: a manifest of 100,000 files is a few tens of MB; more is not one (a zip bomb, say)
MAX_MANIFEST_BYTES = 64 << 20


@dataclass(slots=True)
class PacketReport:
    """What the check found; `problems` empty means every file is as it was sealed."""

    key_fingerprint: str = ""
    #: True when the key came from inside the packet (no key on file was given)
    key_from_packet: bool = False
    files_checked: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with zf.open(info) as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def verify_packet(
    packet: str | Path | IO[bytes], public_key: Ed25519PublicKey | None
) -> PacketReport:
    """Check `packet` against `public_key` (None: the key inside the packet, which proves only
    that the packet is self-consistent; compare its fingerprint with the one on file)."""
    report = PacketReport()
    try:
        zf = zipfile.ZipFile(packet)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"not a zip file: {exc}")
        return report
    with zf:
        entries = zf.infolist()
        names = [i.filename for i in entries]
        if MANIFEST not in names or SIGNATURE not in names:
            missing = [n for n in (MANIFEST, SIGNATURE) if n not in names]
            report.problems.append(f"removed: {', '.join(missing)} (the packet cannot be checked)")
            return report
        if public_key is None:
            if PUBLIC_KEY not in names:
                report.problems.append(f"no public key given and no {PUBLIC_KEY} in the packet")
                return report
            public_key = load_public_pem(zf.read(PUBLIC_KEY))
            report.key_from_packet = True
        report.key_fingerprint = fingerprint(public_key)
        for name in (MANIFEST, SIGNATURE):
            if zf.getinfo(name).file_size > MAX_MANIFEST_BYTES:
                report.problems.append(f"altered: {name} is far too large to be a manifest")
                return report
        body = zf.read(MANIFEST)
        signature = zf.read(SIGNATURE).decode("ascii", "replace").strip()
        if not verify(public_key, body, signature):
            report.problems.append(
                "altered: manifest.json (its signature does not match the station key"
                f" {report.key_fingerprint})"
            )
            return report
        report.manifest = json.loads(body)
        listed = {str(f["path"]): f for f in report.manifest.get("files", [])}
        seen: set[str] = set()
        for info in entries:
            name = info.filename
            if name in seen:
                report.problems.append(f"added: a second entry named {name}")
                continue
            seen.add(name)
            if name in UNLISTED:
                continue
            entry = listed.get(name)
            if entry is None:
                report.problems.append(f"added: {name} (not in the manifest)")
                continue
            digest, size = _sha256(zf, info)
            report.files_checked += 1
            if digest != entry["sha256"] or size != entry["size_bytes"]:
                report.problems.append(
                    f"altered: {name} (sha256 {digest}, {size} bytes; the manifest says"
                    f" {entry['sha256']}, {entry['size_bytes']} bytes)"
                )
        for name in listed:
            if name not in seen:
                report.problems.append(f"removed: {name} (listed in the manifest)")
    return report
