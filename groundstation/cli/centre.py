"""``ecopatrol centre``: the command centre's role: every station's events into PostgreSQL.

The broker comes from the ``ECOPATROL_FEDERATION__*`` settings (host, port, password, CA file);
the centre logs in as ``--username``. Only the subscriber and the merged store run here yet:
the centre's page and API are not written (docs/federation.md, "Not done yet").
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from groundstation.cli._common import fail


def centre(
    db: Annotated[str, typer.Option(help="the merged store: postgresql://user@host/db")],
    username: Annotated[str, typer.Option(help="the centre's broker login")] = "centre",
) -> None:
    """Run the command centre's subscriber: store every station's events once, in order."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from groundstation.config import DbSettings, Settings
    from groundstation.federation.centre import Centre
    from groundstation.federation.store import CentreStore

    if not db.startswith("postgresql"):
        fail("--db: the centre's store is PostgreSQL (postgresql://...)")
    fed = Settings().federation
    if fed.password is None:
        fail("ECOPATROL_FEDERATION__PASSWORD: the centre's broker password is not set")
    password = fed.password.get_secret_value()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        engine = create_async_engine(DbSettings(url=db).async_url)
        try:
            store = CentreStore(engine)
            await store.setup()
            typer.echo(f"ecopatrol centre: {db} (PostGIS: yes, schema at head)")
            await Centre(
                store,
                host=fed.broker_host,
                port=fed.broker_port,
                password=password,
                ca_file=fed.ca_file,
                username=username,
            ).run()
        finally:
            await engine.dispose()

    asyncio.run(run())
