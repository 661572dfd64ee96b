"""The store on disk: an empty or damaged database is refused in one line, and the station's
files are private to its user."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from groundstation.app import create_app
from groundstation.config import DbSettings, Settings

from .conftest import ADMIN


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which files are world-readable unless made otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundstation", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ECOPATROL_PASSWORD_HASH_PROFILE": "cheapest", **(env or {})},
        check=False,
    )


def a_station_was_here(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder with the marks of a station set up before (its token key), and its db."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "jwt-secret").write_text("k" * 64 + "\n")
    os.chmod(data / "jwt-secret", 0o600)
    return data, data / "ecopatrol.db"


def serve(data: Path, db: Path) -> subprocess.CompletedProcess[str]:
    return cli("serve", "--data-dir", str(data), "--db", f"sqlite:///{db}", "--port", "0")


def test_serve_refuses_an_empty_database_where_a_station_was(tmp_path):
    """A 0-byte database in a data folder that held a station is not started as a new, empty
    station: `serve` exits 1 with one line naming the file and what to do, and the file is
    left as it was."""
    data, db = a_station_was_here(tmp_path)
    db.touch(mode=0o600)
    r = serve(data, db)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(db) in lines[0]
    assert "empty (0 bytes)" in lines[0]
    assert "Restore it from a backup" in lines[0]
    assert db.stat().st_size == 0
    assert not db.with_name("ecopatrol.db-wal").exists()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("foreign", "is not an SQLite database"),
        ("malformed", "is damaged (database disk image is malformed)"),
    ],
)
def test_serve_refuses_a_damaged_database_in_one_line(tmp_path, settings, damage, says):
    """A file that is not SQLite, or an SQLite file with damaged pages, stops `serve` with one
    line (it used to be ~200 lines of traceback) and is not modified."""
    data, db = a_station_was_here(tmp_path)
    good = settings.model_copy(update={"data_dir": data, "db": DbSettings(url=f"sqlite:///{db}")})
    with TestClient(create_app(good)):
        pass
    raw = bytearray(db.read_bytes())
    if damage == "foreign":
        raw = bytearray(b"PK\x03\x04 a zip archive, not a database" * 100)
    else:
        raw[100 : len(raw) // 2] = b"\x5a" * (len(raw) // 2 - 100)
    db.write_bytes(bytes(raw))
    r = serve(data, db)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(db) in lines[0]
    assert says in lines[0]
    assert "Traceback" not in r.stderr + r.stdout
    assert db.read_bytes() == raw


def test_an_empty_database_is_refused_whatever_the_station_left(tmp_path):
    """Not only the token key: any file the station keeps in its data folder (a MAVLink key,
    telemetry logs) shows it was set up, and an empty database beside it is refused."""
    data = tmp_path / "data"
    (data / "tlogs").mkdir(parents=True, mode=0o700)
    db = data / "ecopatrol.db"
    db.touch(mode=0o600)
    r = serve(data, db)
    assert r.returncode == 1, r.stderr
    assert f"{data / 'tlogs'} shows this station was set up before" in r.stderr


def test_users_command_refuses_a_damaged_database_in_one_line(tmp_path):
    data, db = a_station_was_here(tmp_path)
    db.write_bytes(b"garbage" * 50)
    r = cli("users", "list", "--data-dir", str(data), "--db", f"sqlite:///{db}")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "is not an SQLite database" in r.stderr


def test_an_empty_file_with_no_station_before_is_a_new_station(tmp_path, settings):
    """An empty file in a fresh data folder (made by an installer, say) starts a new station."""
    assert settings.db.url is not None
    Path(settings.db.url.partition(":///")[2]).touch()
    with TestClient(create_app(settings)) as client:
        body = {"username": ADMIN[0], "password": ADMIN[1]}
        assert client.post("/api/auth/login", json=body).status_code == 200


def test_station_files_are_private(tmp_path, open_umask):
    """Under umask 022 the data folder is made 0700 and the database, its WAL and shared memory
    and the token key 0600."""
    data = tmp_path / "data"
    settings = Settings(data_dir=data, admin_username=ADMIN[0], admin_password=ADMIN[1],
                        password_hash_profile="cheapest").resolved()  # fmt: skip
    with TestClient(create_app(settings)) as client:
        body = {"username": ADMIN[0], "password": ADMIN[1]}
        assert client.post("/api/auth/login", json=body).status_code == 200
        db = data / "ecopatrol.db"
        files = [db, data / "ecopatrol.db-wal", data / "ecopatrol.db-shm", data / "jwt-secret"]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(data) == 0o700


def test_open_files_from_before_are_tightened_at_start_with_a_log_line(
    tmp_path, open_umask, caplog
):
    """A station whose files were left world-readable (0644 in 0755) is fixed at the next
    start, each file named in a warning; its data is kept."""
    data = tmp_path / "data"
    settings = Settings(data_dir=data, admin_username=ADMIN[0], admin_password=ADMIN[1],
                        password_hash_profile="cheapest").resolved()  # fmt: skip
    with TestClient(create_app(settings)):
        pass
    db, secret = data / "ecopatrol.db", data / "jwt-secret"
    for path, loose in ((data, 0o755), (db, 0o644), (secret, 0o644)):
        os.chmod(path, loose)
    with caplog.at_level(logging.WARNING), TestClient(create_app(settings)) as client:
        body = {"username": ADMIN[0], "password": ADMIN[1]}
        assert client.post("/api/auth/login", json=body).status_code == 200
    assert (mode(data), mode(db), mode(secret)) == (0o700, 0o600, 0o600)
    warned = " ".join(r.getMessage() for r in caplog.records)
    for path in (data, db, secret):
        assert f"{path} was readable by other users" in warned
