"""Run a fleet from the command line: start it, print where it is, serve control, wait."""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal

from rich.console import Console
from rich.live import Live
from rich.table import Table

from simulator.control import serve_control
from simulator.fleet import SimConfig, SimFleet
from simulator.server import parse_url


def endpoints(fleet: SimFleet) -> list[str]:
    """One line per endpoint: where it is and which system ids answer there."""
    lines = []
    for link in fleet.links:
        url = link.url
        if url.kind in ("udpin", "tcpin") and link.endpoint is not None:
            url = url.with_port(link.endpoint.local_port)  # the port actually bound
        ids = ",".join(str(v.sysid) for v in link.vehicles)
        lines.append(f"{url}  sysid {ids}")
    return lines


def fleet_table(fleet: SimFleet) -> Table:
    """A table of the vehicles: where they are and what they do."""
    n, speedup = len(fleet.vehicles), fleet.config.speedup
    t = min((v.state.time_s for v in fleet.vehicles.values()), default=0.0)
    table = Table(title=f"ecopatrol simulator: {n} vehicles, x{speedup:g}, t = {t:.0f} s")
    for col in ("sysid", "lat", "lon", "alt m", "mode", "armed", "batt %"):
        table.add_column(col, no_wrap=True)
    for v in fleet.vehicles.values():
        s = v.state
        table.add_row(
            str(s.sysid),
            f"{s.lat_deg:.6f}",
            f"{s.lon_deg:.6f}",
            f"{s.alt_rel_m:.1f}",
            s.mode,
            "yes" if s.armed else "no",
            f"{s.battery_pct:.0f}",
        )
    return table


async def run_fleet(config: SimConfig, control: str | None, duration_s: float | None) -> None:
    console = Console()
    async with SimFleet(config) as fleet:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        def on_signal() -> None:
            # Ctrl-C stops the way SIGTERM does (not by cancelling the main task, which once
            # left the process hanging under load); a second Ctrl-C interrupts at once
            stop.set()
            loop.remove_signal_handler(signal.SIGINT)

        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_signal)
        server = None
        if control is not None:
            url = parse_url(control.replace("tcp:", "tcpin:", 1))
            server = await serve_control(fleet, url.host, url.port)
            port = server.sockets[0].getsockname()[1]
            console.print(f"control: JSON lines on tcp:{url.host}:{port}")
        for line in endpoints(fleet):
            console.print(f"endpoint: {line}")
        console.print("Ctrl-C to stop.")
        end = math.inf if duration_s is None else loop.time() + duration_s
        try:
            live = Live(fleet_table(fleet), console=console, auto_refresh=False)
            if not console.is_terminal:  # a log or a pipe: print the table once
                console.print(fleet_table(fleet))
            else:
                live.start()
            while not stop.is_set() and loop.time() < end:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), min(1.0, end - loop.time()))
                if console.is_terminal:
                    live.update(fleet_table(fleet), refresh=True)
            live.stop()
            if stop.is_set():
                console.print("stopped")
        finally:
            if server is not None:
                server.close()
