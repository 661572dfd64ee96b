"""Fixtures of the conformance suite: each scenario runs on ``sim`` and on ``sitl``."""

from __future__ import annotations

import pytest

from tests.conformance.backends import BACKENDS
from tests.sitl import SitlFactory, sitl_factory

__all__ = ["autopilot", "sitl_factory"]


@pytest.fixture(params=BACKENDS)
def autopilot(request: pytest.FixtureRequest) -> tuple[str, SitlFactory | None]:
    """``("sim", None)`` or ``("sitl", factory)``; the SITL half skips (fails in CI) without it."""
    if request.param == "sitl":
        return "sitl", request.getfixturevalue("sitl_factory")
    return "sim", None
