"""Run the ``ecopatrol`` CLI as a user does: a subprocess of this tree, output captured."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass

from tests.sitl import FACTOR


@dataclass
class Result:
    code: int
    out: str
    err: str


async def ecopatrol(*args: str, timeout_s: float = 120) -> Result:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "groundstation", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        async with asyncio.timeout(timeout_s * FACTOR):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        return Result(-9, out.decode(errors="replace"), err.decode(errors="replace") + "TIMEOUT")
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
