"""A fresh station per test: create_app(settings) on a temporary SQLite file, with users."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from groundstation.app import create_app
from groundstation.config import DbSettings, Settings


def image_bytes(fmt: str = "JPEG", width: int = 4, height: int = 3) -> bytes:
    """A real (tiny) photo in `fmt`, made with Pillow."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 60)).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims `width` x `height` pixels (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


ADMIN = ("root", "admin-password")
PASSWORD = "reed-kingfisher-42"


@dataclass
class Station:
    client: TestClient
    settings: Settings

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        r = self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def token(self, headers: dict[str, str]) -> str:
        return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        db=DbSettings(url=f"sqlite:///{tmp_path / 'station.db'}"),
        admin_username=ADMIN[0],
        admin_password=ADMIN[1],
        password_hash_profile="cheapest",
        live_auth_timeout_s=2.0,
    )


@pytest.fixture
def station(settings) -> Iterator[Station]:
    with TestClient(create_app(settings)) as client:
        yield Station(client, settings)


@pytest.fixture
def admin(station: Station) -> dict[str, str]:
    return station.login(*ADMIN)


def _user(station: Station, admin: dict[str, str], username: str, role: str) -> dict[str, str]:
    r = station.client.post(
        "/api/users",
        json={"username": username, "password": PASSWORD, "role": role, "full_name": username},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return station.login(username)


@pytest.fixture
def pilot(station, admin) -> dict[str, str]:
    return _user(station, admin, "pilot1", "pilot")


@pytest.fixture
def officer(station, admin) -> dict[str, str]:
    return _user(station, admin, "officer1", "officer")


@pytest.fixture
def officer2(station, admin) -> dict[str, str]:
    return _user(station, admin, "officer2", "officer")
