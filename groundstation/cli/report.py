"""``ecopatrol report PATROL_ID``: a patrol's report from the store, written to a file."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from groundstation.cli._common import fail, load_settings
from groundstation.config import Settings

FORMAT_HELP = "html, pdf, geojson, kml, csv (track points), png (map) or json"


async def _build(settings: Settings, patrol_id: int, fmt: str, with_site: bool) -> bytes:
    from groundstation.db.migrate import upgrade_to_head
    from groundstation.db.session import make_async_engine, make_sessionmaker
    from groundstation.reports.builder import build_report

    site = None
    if with_site:
        from geodata.errors import GeodataError
        from geodata.site import load_site

        try:
            site = await asyncio.to_thread(load_site, settings.site)
        except GeodataError as exc:
            typer.secho(f"note: map without site layers ({exc})", err=True)
    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    try:
        async with make_sessionmaker(engine)() as session:
            hfov_deg = settings.freshness.hfov_deg
            return (await build_report(session, patrol_id, fmt, site, hfov_deg=hfov_deg)).body
    finally:
        await engine.dispose()


def report(
    patrol_id: Annotated[int, typer.Argument(help="the patrol's id")],
    format: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "html",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write; '-' or none: stdout")
    ] = None,
    db: Annotated[str | None, typer.Option(help="database URL (default: from settings)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="the station's data folder")] = None,
) -> None:
    """Write a patrol's report (from the station's store) as HTML, PDF, GeoJSON, KML or CSV."""
    from groundstation.errors import GroundStationError
    from groundstation.reports.builder import check_format

    settings = load_settings(db=db, data_dir=data_dir)
    try:
        fmt = check_format(format)
        body = asyncio.run(_build(settings, patrol_id, fmt, fmt in ("html", "pdf", "png")))
    except GroundStationError as exc:
        fail(str(exc))
    if output is None or str(output) == "-":
        if fmt in ("pdf", "png") and sys.stdout.isatty():
            fail(f"a {fmt} report is binary: give -o FILE")
        sys.stdout.buffer.write(body)
        return
    if output.parent and not output.parent.exists():
        fail(f"-o {output}: folder {output.parent} does not exist")
    output.write_bytes(body)
    typer.echo(f"wrote {output} ({len(body)} bytes, {fmt})")
