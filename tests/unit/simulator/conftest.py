from __future__ import annotations

import pytest

from simulator.autopilot import Autopilot
from tests.unit.simulator.gcs import HOME, Gcs


@pytest.fixture
def ap() -> Autopilot:
    vehicle = Autopilot(1, HOME, seed=1)
    vehicle.update(2.0)
    vehicle.drain()
    return vehicle


@pytest.fixture
def gcs(ap: Autopilot) -> Gcs:
    return Gcs(ap)
