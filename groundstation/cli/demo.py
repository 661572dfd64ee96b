"""``ecopatrol demo``: a simulated station at Longyou, flying scheduled patrols, in one command.

Everything runs in this one process (see :mod:`groundstation.demo.orchestrate`). Exit codes:
0 when stopped with Ctrl-C or when ``--until-reports`` reports are written; 1 when the demo
fails (a patrol failed, a run was skipped, a timeout); 2 for bad options or a taken port.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from groundstation.cli._common import fail, load_settings

if TYPE_CHECKING:
    from groundstation.config import Settings
    from groundstation.demo.orchestrate import DemoOptions

DEMO_PATROLS = 3


def demo(
    speedup: Annotated[
        float, typer.Option(min=0.1, max=200.0, help="simulated seconds per real second")
    ] = 1.0,
    headless: Annotated[
        bool, typer.Option(help="plain log lines instead of the live view (CI, scripts)")
    ] = False,
    until_reports: Annotated[
        int | None,
        typer.Option(min=1, max=DEMO_PATROLS, help="exit 0 once this many reports are written"),
    ] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="HTTP port (0: any free)")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="demo folder: database, reports, log (reset at each start)")
    ] = Path("demo-data"),
    drones: Annotated[int, typer.Option(min=1, max=20, help="simulated drones")] = 3,
    timeout: Annotated[
        float, typer.Option(min=1.0, help="with --until-reports: give up after this many seconds")
    ] = 900.0,
    stations: Annotated[
        int,
        typer.Option(
            min=1,
            max=4,
            help="2 or more: that many stations (each its own demo) and a command centre,"
            " joined by a local Mosquitto, the centre on a local PostgreSQL; --port is the"
            " centre's, the stations' follow it",
        ),
    ] = 1,
) -> None:
    """Run the simulator, the station and its live map with demo users and scheduled patrols."""
    import contextlib

    from groundstation.demo.orchestrate import DemoOptions
    from groundstation.demo.setup import DemoFolderError, demo_folder

    base = load_settings()
    with contextlib.ExitStack() as stack:
        try:
            folder = stack.enter_context(demo_folder(data_dir))
        except DemoFolderError as exc:
            fail(str(exc))
        if stations > 1:
            code = _run_federated(folder, stations, port, drones, speedup, until_reports, timeout)
            if code:
                raise typer.Exit(code)
            return
        options = DemoOptions(
            folder=folder,
            port=port,
            drones=drones,
            speedup=speedup,
            until_reports=until_reports,
            timeout_s=timeout,
        )
        code = _run(options, base, headless)
    if code:
        raise typer.Exit(code)


def _run(options: DemoOptions, base: Settings, headless: bool) -> int:
    """Run the demo in its claimed folder with the live view or change lines; the exit code."""
    import asyncio

    from rich.console import Console
    from rich.live import Live

    from groundstation.demo import logs
    from groundstation.demo.client import DemoError
    from groundstation.demo.console import ChangeLog, DemoStatus, intro_lines, render
    from groundstation.demo.orchestrate import Demo
    from groundstation.demo.server import PortTaken
    from groundstation.demo.setup import (
        DB_NAME,
        LOG_NAME,
        REPORTS_DIR,
        Credential,
        demo_credentials,
    )

    folder = options.folder
    console = Console(highlight=False)
    logs.configure(folder / LOG_NAME, headless=headless, console=console)
    changes = ChangeLog()
    live: Live | None = None

    def show(status: DemoStatus) -> None:
        if live is not None:
            live.update(render(status))
            return
        for line in changes.lines(status):
            console.print(line, soft_wrap=True)

    def announce(status: DemoStatus, users: list[Credential]) -> None:
        for line in intro_lines(status, [(u.username, u.password, u.role) for u in users]):
            console.print(line, soft_wrap=True)

    demo_run = Demo(options, base, demo_credentials(), show, announce)
    code = 0
    try:
        if headless or not console.is_terminal:  # piped: change lines, not a redrawn view
            asyncio.run(demo_run.run())
        else:
            with Live(render(demo_run.status), console=console, refresh_per_second=4) as live:
                asyncio.run(demo_run.run())
    except PortTaken as exc:
        console.print(f"[bold red]demo not started:[/] {exc}", soft_wrap=True)
        code = 2
    except DemoError as exc:
        console.print(f"[bold red]demo failed:[/] {exc}", soft_wrap=True)
        code = 1
    except KeyboardInterrupt:
        console.print("interrupted", soft_wrap=True)
        code = 130
    finally:
        logs.close()
    console.print(
        f"Database: {folder / DB_NAME}\nReports:  {folder / REPORTS_DIR} "
        f"({len(demo_run.written)} written)\nLog:      {folder / LOG_NAME}",
        soft_wrap=True,
    )
    return code


def _run_federated(
    folder: Path,
    stations: int,
    port: int,
    drones: int,
    speedup: float,
    until_reports: int | None,
    timeout_s: float,
) -> int:
    """Several stations and a centre (:mod:`groundstation.demo.federated`); the exit code."""
    import asyncio

    from groundstation.demo.client import DemoError
    from groundstation.demo.federated import FederatedDemo, FederatedOptions

    options = FederatedOptions(
        folder=folder, stations=stations, port=port, drones=drones, speedup=speedup,
        until_reports=until_reports, timeout_s=timeout_s,
    )  # fmt: skip
    try:
        return asyncio.run(FederatedDemo(options, lambda line: typer.echo(line)).run())
    except DemoError as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        return 1
