"""``ecopatrol centre`` as a process: a station's events reach its PostgreSQL store, and the
centre serves its page."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from groundstation.config import DbSettings
from groundstation.federation.store import CentreStore
from tests.integration.federation.broker import Mosquitto, free_port
from tests.integration.federation.helpers import station, wait_for


async def test_centre_command_stores_a_station_event(
    broker: Mosquitto, pg_cluster, tmp_path: Path
) -> None:
    """The centre process, given the broker by ECOPATROL_FEDERATION__*, stores what a
    station sends, and reports PostGIS in use."""
    url = pg_cluster.create_database()
    env = dict(os.environ)
    env.update(
        ECOPATROL_FEDERATION__BROKER_PORT=str(broker.port),
        ECOPATROL_FEDERATION__PASSWORD=broker.logins["centre"],
        ECOPATROL_FEDERATION__CA_FILE=str(broker.ca),
        ECOPATROL_DATA_DIR=str(tmp_path / "centre-data"),
    )
    log = tmp_path / "centre.log"
    port = free_port()
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "groundstation", "centre", "--db", url,
            "--host", "127.0.0.1", "--port", str(port),
            stdout=out, stderr=out, env=env,
        )  # fmt: skip
    engine = create_async_engine(DbSettings(url=url).async_url)
    link, _ = station(broker, "river-a", tmp_path)
    task = asyncio.create_task(link.run())
    try:
        # the broker keeps messages for the centre only once its session exists
        await wait_for(lambda: "Received SUBSCRIBE from centre" in broker.log(), timeout_s=30)
        sent = link.emit("alert", {"level": "info", "text": "from river-a"})
        store = CentreStore(engine)

        async def stored() -> bool:
            try:
                return sent.id in {e.id for e in await store.events()}
            except Exception:  # the centre has not made its tables yet
                return False

        await wait_for(stored, timeout_s=30)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            config = (await client.get("/web/config.json")).json()
            page = await client.get("/")
        assert config["role"] == "centre"
        assert page.status_code == 200
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        proc.terminate()
        await proc.wait()
        await engine.dispose()
    assert "PostGIS: yes" in log.read_text()
