"""Run a fleet from the command line: start it, print where it is, serve control, wait."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.table import Table

from simulator.control import serve_control
from simulator.fleet import SimConfig, SimFleet
from simulator.server import parse_url


def fleet_table(fleet: SimFleet) -> Table:
    """A table of the vehicles, where they are and how to reach them."""
    table = Table(
        title=f"ecopatrol simulator: {len(fleet.vehicles)} vehicles, x{fleet.config.speedup:g}"
    )
    for col in ("sysid", "lat", "lon", "alt MSL m", "mode", "battery %", "endpoints"):
        table.add_column(col)
    for v in fleet.vehicles.values():
        s = v.state
        eps = ", ".join(
            str(link.url.with_port(link.endpoint.local_port if link.endpoint else link.url.port))
            for link in v.links
        )
        table.add_row(
            str(s.sysid),
            f"{s.lat_deg:.6f}",
            f"{s.lon_deg:.6f}",
            f"{s.alt_msl_m:.1f}",
            s.mode,
            f"{s.battery_pct:.0f}",
            eps,
        )
    return table


async def run_fleet(config: SimConfig, control: str | None, duration_s: float | None) -> None:
    console = Console()
    async with SimFleet(config) as fleet:
        server = None
        if control is not None:
            url = parse_url(control.replace("tcp:", "tcpin:", 1))
            server = await serve_control(fleet, url.host, url.port)
            port = server.sockets[0].getsockname()[1]
            console.print(f"control: JSON lines on tcp:{url.host}:{port}")
        console.print(fleet_table(fleet))
        console.print("Ctrl-C to stop.")
        try:
            if duration_s is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(duration_s)
        finally:
            if server is not None:
                server.close()
