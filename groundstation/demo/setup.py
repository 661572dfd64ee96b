"""What the demo prepares before anything runs: its folder, its users and the station settings.

The demo folder is marked (``.ecopatrol-demo``) the first time it is used. A marked folder is
reset at each start (a fresh database, no old reports); a folder that holds anything else is
refused, so pointing ``--data-dir`` at a real station's folder never wipes its store; and the
marker is locked while a demo runs, so a second demo on the same folder is refused too.

>>> creds = demo_credentials()
>>> [c.username for c in creds], [c.role for c in creds]
(['pilot', 'officer', 'admin'], ['pilot', 'officer', 'admin'])
>>> len({c.password for c in creds}) == 3 and all(len(c.password) >= 12 for c in creds)
True
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from groundstation.config import DbSettings, LinkSettings, Settings
from groundstation.files import private_dir

MARKER = ".ecopatrol-demo"
DB_NAME = "ecopatrol.db"
REPORTS_DIR = "reports"
LOG_NAME = "demo.log"
#: What a reset removes (the token secret stays: it is the folder's, not the run's).
RESET = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", REPORTS_DIR, LOG_NAME)


class DemoFolderError(ValueError):
    """The demo folder cannot be used (holds something that is not an earlier demo)."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A demo user; the password is generated per run and printed on the console only."""

    username: str
    password: str
    role: str
    full_name: str


def demo_credentials() -> list[Credential]:
    """Fresh passwords for the demo's pilot, officer and admin."""
    return [
        Credential("pilot", secrets.token_urlsafe(9), "pilot", "Demo pilot"),
        Credential("officer", secrets.token_urlsafe(9), "officer", "Demo officer"),
        Credential("admin", secrets.token_urlsafe(9), "admin", "Demo admin"),
    ]


@contextlib.contextmanager
def demo_folder(data_dir: Path) -> Iterator[Path]:
    """Claim, create or reset the demo folder and hold it while the demo runs.

    Yields its absolute path. Raises :class:`DemoFolderError` if `data_dir` is a file, a folder
    with content that is not an earlier demo's, or the folder of a demo still running (the
    marker is locked while a demo holds it, so a second ``make demo`` never wipes a live one).
    """
    folder = data_dir.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise DemoFolderError(f"--data-dir {data_dir}: is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise DemoFolderError(
            f"--data-dir {data_dir}: the folder holds files that are not an ecopatrol demo's "
            f"(no {MARKER} marker); the demo resets its folder at each start, so give an empty "
            "or new folder"
        )
    private_dir(folder)  # it holds the demo's database and token key, like a station's
    with (folder / MARKER).open("a+", encoding="utf-8") as marker:
        try:
            fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DemoFolderError(
                f"--data-dir {data_dir}: another ecopatrol demo is running on this folder; "
                "stop it first or give another folder"
            ) from None
        marker.truncate(0)
        marker.write("ecopatrol demo folder: reset at each `ecopatrol demo`\n")
        marker.flush()
        _reset(folder)
        yield folder


def _reset(folder: Path) -> None:
    for name in RESET:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (folder / REPORTS_DIR).mkdir(mode=0o700)


def demo_settings(
    base: Settings, folder: Path, port: int, sim_port: int, admin: Credential
) -> Settings:
    """The station's settings for the demo: SQLite in `folder`, loopback, link to the simulator.

    Everything else (password hashing cost, map tiles, ...) comes from `base`, i.e. from the
    ``ECOPATROL_*`` environment.
    """
    link = LinkSettings.model_validate(
        {**base.link.model_dump(), "mavlink": [f"udpout://127.0.0.1:{sim_port}"]}
    )
    return base.model_copy(
        update={
            "data_dir": folder,
            "host": "127.0.0.1",
            "port": port,
            "site": base.site,
            "db": DbSettings(url=f"sqlite:///{folder / DB_NAME}"),
            "link": link,
            "admin_username": admin.username,
            "admin_password": SecretStr(admin.password),
        }
    )
