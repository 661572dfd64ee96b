"""``ecopatrol serve``: run the station service (API, live stream, store) with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from groundstation.cli._common import fail, load_settings
from groundstation.config import Settings


def serve(
    site: Annotated[
        Path | None, typer.Option(help="site folder or file (default: packaged Longyou)")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="database URL: sqlite:///path or postgresql://user@host/db"),
    ] = None,
    mavlink: Annotated[
        list[str] | None,
        typer.Option(help="MAVLink endpoint, e.g. udpin://0.0.0.0:14550 (repeatable)"),
    ] = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="database, secret and files")] = None,
) -> None:
    """Run the station service. Settings also come from ECOPATROL_* environment variables."""
    import uvicorn

    from groundstation.app import create_app

    settings = load_settings(db=db, data_dir=data_dir, site=site, host=host, port=port)
    if mavlink:
        link = settings.link.model_copy(update={"mavlink": list(mavlink)})
        settings = settings.model_copy(update={"link": link})
    if settings.site is not None and not settings.site.exists():
        fail(f"--site {settings.site}: no such file or folder")
    _open_store(settings)
    typer.echo(
        f"ecopatrol: serving on http://{settings.host}:{settings.port} (db {settings.db.url})"
    )
    from groundstation.api.live import keepalive_s

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",  # the websockets library's sans-I/O core: cheaper per send
        ws_ping_interval=keepalive_s(settings),
        ws_ping_timeout=keepalive_s(settings),
        log_level="info",
        proxy_headers=False,
    )


def _open_store(settings: Settings) -> None:
    """Check and migrate the store before uvicorn starts: a bad one is one line, not a trace."""
    import logging

    from groundstation.db.migrate import upgrade_to_head
    from groundstation.errors import StoreError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:  %(message)s")
    try:
        upgrade_to_head(settings.db, settings.data_dir)
    except StoreError as exc:
        fail(f"ecopatrol serve: {exc}", code=1)
