"""Shared fixtures for the geodata tests: the shipped site and the bad-input files."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.site import Site, load_site

BAD = Path(__file__).resolve().parents[2] / "data" / "geodata"


@pytest.fixture(scope="session")
def longyou() -> Site:
    """The shipped Longyou site, loaded once (tests must not mutate it)."""
    return load_site()


@pytest.fixture
def bad() -> Path:
    """The folder of hand-made bad input files."""
    return BAD
