"""The station's services with federation on: the link is one of its background tasks, the
live hub's events reach the centre, and the centre's commands land in the station's chain."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pydantic import SecretStr
from shapely.geometry import shape
from sqlalchemy import select

from groundstation.api import live
from groundstation.api.site_deps import freshness_service
from groundstation.config import DbSettings, FederationSettings, Settings
from groundstation.db.models import AuditEntry
from groundstation.federation.protocol import Command
from groundstation.federation.spatial import merged_freshness
from groundstation.federation.store import CentreStore
from groundstation.freshness.geojson import freshness_geojson
from groundstation.services import build_services
from groundstation.telemetry.events import alert
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import running_centre, wait_for


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
    async with running_centre(broker, store) as centre:
        sources = live.default_snapshot_sources()
        async with build_services(settings, snapshot_sources=sources) as services:
            assert services.federation is not None
            link = services.federation.link
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
    record = await store.command(command.id)
    assert record is not None
    assert (record.result, record.reason) == ("refused", "the station has no fleet")
    assert [(e.username, e.vehicle_sysid, e.result) for e in entries] == [
        ("centre:officer-c", 9, "refused: the station has no fleet")
    ]
    assert entries[0].params["command_id"] == command.id
    stored_alert = next(e for e in await store.events("river-a") if e.kind == "alert")
    assert stored_alert.data["text"] == "battery low"


async def test_station_freshness_reaches_the_centre_merged_map(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """The station's freshness classes go to the centre as a ``freshness`` event (the grid
    built by the publisher itself: nobody has looked at the layer), again only when they
    change, and the centre's merged map of one station is that station's map."""
    settings = station_settings(broker, tmp_path)
    fed = settings.federation.model_copy(update={"freshness_every_s": 0.2})
    settings = settings.model_copy(update={"federation": fed})
    async with (
        running_centre(broker, store) as centre,
        build_services(settings, snapshot_sources={}) as services,
    ):
        assert "federation freshness" in set(services.tasks.names())
        assert services.federation is not None
        await asyncio.wait_for(services.federation.link.connected.wait(), 20)
        await asyncio.wait_for(centre.connected.wait(), 20)

        async def sent() -> bool:
            return any(e.kind == "freshness" for e in await store.events("river-a"))

        await wait_for(sent)
        async with services.sessions() as session:  # the grid the publisher built
            service = await freshness_service(services, session)
        frame = services.freshness.frame
        assert frame is not None
        station_fc = freshness_geojson(service.grid, frame, now_s=time.time())
        await asyncio.sleep(1.0)  # five more rounds: nothing changed, nothing sent
    assert [e.kind for e in await store.events("river-a")].count("freshness") == 1
    merged = await merged_freshness(store.engine)
    assert [f["properties"]["class"] for f in merged["features"]] == ["never"]  # no flights
    at_station = shape(station_fc["features"][0]["geometry"])
    at_centre = shape(merged["features"][0]["geometry"])
    # the centre answers with 7 decimals (1 cm) along the zone's long outline
    assert at_station.symmetric_difference(at_centre).area < 1e-5 * at_station.area
