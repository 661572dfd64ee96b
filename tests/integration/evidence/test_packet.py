"""Sealed packets checked offline: any altered, added or removed file is named."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.evidence.export import export_incident
from groundstation.evidence.keys import public_pem
from groundstation.evidence.testing import seed_incident
from groundstation.evidence.verify import verify_packet

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
REPO = Path(__file__).resolve().parents[3]


async def _export(db: DbSettings, out: Path) -> None:
    upgrade_to_head(db)
    engine = make_async_engine(db)
    try:
        async with make_sessionmaker(engine)() as session:
            seeded = await seed_incident(session, photos=2, track_s=60)
            await export_incident(session, KEY, seeded.incident_id, out, user=None, actor="o1")
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("packet")
    out = root / "incident.zip"
    asyncio.run(_export(DbSettings(url=f"sqlite:///{root / 's.db'}"), out))
    return out


@pytest.fixture(scope="module")
def public_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("key") / "station.pub.pem"
    path.write_bytes(public_pem(KEY.public_key()))
    return path


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes]) -> Path:
    """A copy of the zip `src` with entries replaced (bytes), dropped (None) or added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change.get(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _entry(packet: Path, prefix: str) -> tuple[str, bytes]:
    with zipfile.ZipFile(packet) as zf:
        name = next(n for n in zf.namelist() if n.startswith(prefix))
        return name, zf.read(name)


def test_an_intact_packet_verifies(packet):
    """Every listed file is present and as sealed, under the station's key."""
    report = verify_packet(packet, KEY.public_key())
    assert report.ok, report.problems
    assert report.files_checked >= 7


def test_a_flipped_byte_in_a_photo_is_named(packet, tmp_path):
    """One bit of one photo changed: that photo is named as altered, and only it."""
    name, data = _entry(packet, "attachments/")
    bad = _rewrite(packet, tmp_path / "bad.zip", {name: _flip(data, len(data) // 2)}, {})
    report = verify_packet(bad, KEY.public_key())
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"altered: {name} (sha256 ")


def test_a_flipped_byte_in_the_manifest_is_named(packet, tmp_path):
    """Changing the manifest (say, a hash to match a swapped photo) breaks its signature."""
    _, manifest = _entry(packet, "manifest.json")
    bad = _rewrite(packet, tmp_path / "bad.zip", {"manifest.json": _flip(manifest, 200)}, {})
    report = verify_packet(bad, KEY.public_key())
    assert report.problems[0].startswith("altered: manifest.json (its signature does not match")


def test_removed_and_added_files_are_named(packet, tmp_path):
    """A file taken out and one slipped in are both reported, by name."""
    bad = _rewrite(packet, tmp_path / "bad.zip", {"track.csv": None}, {"extra/note.txt": b"hi"})
    report = verify_packet(bad, KEY.public_key())
    assert sorted(report.problems) == [
        "added: extra/note.txt (not in the manifest)",
        "removed: track.csv (listed in the manifest)",
    ]


def test_a_second_entry_under_a_listed_name_is_named(packet, tmp_path):
    """Zips may hold two entries with one name: the second is reported as added."""
    name, data = _entry(packet, "attachments/")
    with pytest.warns(UserWarning, match="Duplicate name"):
        bad = _rewrite(packet, tmp_path / "bad.zip", {}, {name: _flip(data, 10)})
    report = verify_packet(bad, KEY.public_key())
    assert f"added: a second entry named {name}" in report.problems


def test_another_key_does_not_verify(packet):
    """A packet checked against another station's key fails at the manifest."""
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    report = verify_packet(packet, other)
    assert not report.ok
    assert "signature does not match" in report.problems[0]


def _run_verify(packet: Path, key: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOPATROL_")}
    env["PYTHONPATH"] = str(REPO)
    env["XDG_DATA_HOME"] = str(cwd / "nothing-here")
    cmd = [sys.executable, "-m", "groundstation", "evidence", "verify", str(packet),
           "--public-key", str(key)]  # fmt: skip
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_a_fresh_process_verifies_with_only_the_public_key(packet, public_key_file, tmp_path):
    """`ecopatrol evidence verify` in a new process, no store, no data dir: OK, then FAILED."""
    done = _run_verify(packet, public_key_file, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: incident" in done.stdout
    assert not (tmp_path / "nothing-here").exists()  # it made no key, no store
    name, data = _entry(packet, "attachments/")
    bad = _rewrite(packet, tmp_path / "bad.zip", {name: _flip(data, 300)}, {})
    done = _run_verify(bad, public_key_file, tmp_path)
    assert done.returncode == 1
    assert f"TAMPERED: altered: {name}" in done.stdout
