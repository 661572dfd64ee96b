"""The station's services object: built once per lifespan, hooks on it, settings groups read."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.app import create_app, services_of
from groundstation.config import PatrolSettings, ReportsSettings, ScheduleSettings, Settings
from groundstation.services import Services
from groundstation.telemetry.messages import HeardVehicle

from .conftest import ADMIN, Station

HEARD = HeardVehicle(
    sysid=42,
    compid=1,
    link_url="udpin://0.0.0.0:14550",
    address="192.0.2.42:14550",
    first_heard_unix=1.0,
    last_heard_unix=2.0,
    heartbeats=3,
    mav_type=2,
    autopilot=3,
    signed=False,
)


def test_a_hook_adds_a_snapshot_source_for_the_lifespan(settings: Settings) -> None:
    """A hook gets the services after they start, can add a live snapshot part, and is left
    before they stop."""
    seen: list[tuple[str, list[str]]] = []

    async def heard(session: AsyncSession) -> list[HeardVehicle]:
        return [HEARD]

    @contextlib.asynccontextmanager
    async def hook(services: Services) -> AsyncIterator[None]:
        seen.append(("enter", services.tasks.names()))
        services.live_sources["unknown_vehicles"] = heard
        yield
        seen.append(("leave", services.tasks.names()))

    with TestClient(create_app(settings, hooks=[hook])) as client:
        token = Station(client, settings).login(*ADMIN)["Authorization"].split()[1]
        with client.websocket_connect(f"/ws/live?token={token}") as ws:
            snapshot = json.loads(ws.receive_text())
    assert snapshot["data"]["unknown_vehicles"] == [HEARD.model_dump(mode="json")]
    assert [step for step, _ in seen] == ["enter", "leave"]
    for _, running in seen:  # the hook runs while the background tasks do
        assert {"report filer", "freshness refresh", "audit checkpoints"} <= set(running)


def test_settings_groups_reach_the_services(settings: Settings) -> None:
    """The patrol, schedule and reports groups of the one Settings configure their services."""
    tuned = settings.model_copy(
        update={
            "patrol": PatrolSettings(wind_m_s=3.5, learn_min_flights=1),
            "schedule": ScheduleSettings(check_daylight=False, min_battery_pct=70),
            "reports": ReportsSettings(poll_s=0.5),
        }
    )
    app = create_app(tuned)
    with TestClient(app):
        services = services_of(app)
        assert (services.patrols.config.wind_m_s, services.patrols.config.learn_min_flights) == (
            3.5,
            1,
        )
        assert services.schedules.config.check_daylight is False
        assert services.schedules.config.min_battery_pct == 70
        assert services.schedules.wind_m_s == 3.5
        assert services.reports.poll_s == 0.5
        assert services.fleet is None
        assert services.bridge is None
        running = services.tasks.names()
        assert {"report filer", "freshness refresh", "audit checkpoints"} <= set(running)
        assert "fleet bridge" not in running
    assert services.tasks.names() == []  # stopped with the lifespan
