"""The station's services with federation on: the link is one of its background tasks, the
live hub's events reach the centre, and the centre's commands land in the station's chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from groundstation.api import live
from groundstation.config import DbSettings, FederationSettings, Settings
from groundstation.db.models import AuditEntry
from groundstation.federation.centre import Centre
from groundstation.federation.protocol import Command
from groundstation.federation.store import CentreStore
from groundstation.services import build_services
from groundstation.telemetry.events import alert
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import wait_for


def station_settings(broker: Mosquitto, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        db=DbSettings(url=f"sqlite:///{tmp_path / 'station.db'}"),
        password_hash_profile="cheapest",
        federation=FederationSettings(
            enabled=True,
            station_id="river-a",
            broker_port=broker.port,
            password=SecretStr(broker.logins["river-a"]),
            ca_file=broker.ca,
            reconnect_max_s=0.5,
        ),
    ).resolved()


async def test_station_services_forward_events_and_audit_centre_commands(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """With federation on, a hub alert reaches the centre's store, and a centre RTL for a
    vehicle the station does not have is refused, in the station's chain and at the centre."""
    settings = station_settings(broker, tmp_path)
    centre = Centre(
        store, host="127.0.0.1", port=broker.port, password=broker.logins["centre"],
        ca_file=broker.ca,
    )  # fmt: skip
    centre_task = asyncio.create_task(centre.run())
    try:
        sources = live.default_snapshot_sources()
        async with build_services(settings, snapshot_sources=sources) as services:
            link = services.federation
            assert link is not None
            assert {"federation link", "federation forwarder"} <= set(services.tasks.names())
            await asyncio.wait_for(link.connected.wait(), 20)
            await asyncio.wait_for(centre.connected.wait(), 20)
            await asyncio.sleep(0.2)  # the forwarder subscribes to the hub
            services.hub.publish(alert("warning", "battery low", kind="battery", sysid=3))

            async def alert_stored() -> bool:
                return any(e.kind == "alert" for e in await store.events("river-a"))

            await wait_for(alert_stored)
            command = Command(kind="rtl", sysid=9, issued_by="officer-c")
            await centre.send("river-a", command)

            async def answered() -> bool:
                record = await store.command(command.id)
                return record is not None and record.result is not None

            await wait_for(answered)
            async with services.sessions() as session:
                entries = (
                    await session.scalars(
                        select(AuditEntry).where(AuditEntry.command == "federation.rtl")
                    )
                ).all()
    finally:
        centre_task.cancel()
        await asyncio.gather(centre_task, return_exceptions=True)
    record = await store.command(command.id)
    assert record is not None
    assert (record.result, record.reason) == ("refused", "the station has no fleet")
    assert [(e.username, e.vehicle_sysid, e.result) for e in entries] == [
        ("centre:officer-c", 9, "refused: the station has no fleet")
    ]
    assert entries[0].params["command_id"] == command.id
    stored_alert = next(e for e in await store.events("river-a") if e.kind == "alert")
    assert stored_alert.data["text"] == "battery low"
