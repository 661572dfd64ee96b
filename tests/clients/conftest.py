from __future__ import annotations

import os
import shutil
import socket
import sys

import pytest

TIMEOUT_FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
"""Scale every wall-clock wait in these tests on a slow machine, as websockets' tests do."""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def mavproxy_bin() -> str:
    path = shutil.which("mavproxy.py") or os.path.join(
        os.path.dirname(sys.executable), "mavproxy.py"
    )
    if not os.path.exists(path):
        # MAVProxy is in the test extra: in CI a missing one is a broken install, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("MAVProxy (mavproxy.py) missing in CI: the test extra did not install")
        pytest.skip("MAVProxy is not installed")
    return path
