"""Unit tests run in this process only: they start no other process and no PostgreSQL.

That keeps them fast enough for `make check` (the feedback loop beside `make test`). A test that
needs a subprocess, a worker process or a database server belongs in ``tests/integration/``
(or ``tests/e2e/``); the fixture below fails any unit test that starts one, naming that rule.
Sockets on loopback inside this process (a link and its fake vehicles) are allowed.
"""

from __future__ import annotations

import multiprocessing.util
import os
import subprocess
from typing import NoReturn

import pytest

MOVE = (
    "unit tests start no process: move this test to tests/integration/ (see tests/unit/conftest.py)"
)


def _refuse(*_args: object, **_kwargs: object) -> NoReturn:
    raise AssertionError(MOVE)


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way to start a process (subprocess, asyncio's, multiprocessing, fork) refuses."""
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse)
    monkeypatch.setattr(os, "fork", _refuse)
    monkeypatch.setattr(os, "posix_spawn", _refuse)
    monkeypatch.setattr(os, "posix_spawnp", _refuse)
    monkeypatch.setattr(multiprocessing.util, "spawnv_passfds", _refuse)
