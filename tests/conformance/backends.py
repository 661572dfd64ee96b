"""The two autopilots every conformance scenario runs against: ours and ArduPilot's.

``sim``: the in-package simulator (``simulator.SimFleet``), one TCP port per vehicle.
``sitl``: ArduPilot's ArduCopter SITL (``tests/sitl.py``), one process per vehicle.

Both are offered to the station as ``tcp:127.0.0.1:PORT``, one URL per vehicle, and both can
lose messages, take a parameter and be power-cycled. Where the two differ the simulator is wrong:
a scenario is written for ArduCopter and the simulator must pass it too.

Loss: ArduPilot's ``SIM_UART_LOSS`` drops that percentage of the *bytes* the vehicle sends
(nothing the station sends is lost); at 1 % about 13 % of 14-byte MISSION_REQUESTs and a third
of 40-byte telemetry messages arrive damaged. The simulator's fault drops whole messages both
ways; 10 % is a comparable load for a mission transfer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from simulator.fleet import SimConfig, SimFleet
from tests.sitl import SPEEDUP, Sitl, SitlFactory

BACKENDS = ("sim", "sitl")
SIM_LOSS_PCT = 10.0
SITL_UART_LOSS_PCT = 1.0


class Vehicles:
    """What a scenario may do to the vehicles, whichever autopilot runs them."""

    kind: str
    urls: list[str]
    sysids: list[int]

    async def set_param(self, sysid: int, name: str, value: float) -> None:
        raise NotImplementedError

    async def set_loss(self, on: bool) -> None:
        raise NotImplementedError

    async def power_cycle(self, sysid: int) -> None:
        """Cut the vehicle's power and boot it again: its port closes, then listens again."""
        raise NotImplementedError

    async def wait_ready_to_arm(self, sysid: int) -> None:
        """Until the vehicle could arm (after a power cycle: its estimators settled again)."""


class SimVehicles(Vehicles):
    kind = "sim"

    def __init__(self, sysids: list[int], speedup: float) -> None:
        self.sysids = sysids
        self.speedup = speedup
        self.fleets: dict[int, SimFleet] = {}
        self.urls = []

    async def _boot(self, sysid: int, port: int) -> SimFleet:
        config = SimConfig(drones=1, first_sysid=sysid, listen=f"tcpin:127.0.0.1:{port}",
                           speedup=self.speedup, seed=sysid)  # fmt: skip
        fleet = SimFleet(config)
        await fleet.__aenter__()
        self.fleets[sysid] = fleet
        return fleet

    async def start(self) -> None:
        for sysid in self.sysids:
            fleet = await self._boot(sysid, 0)
            self.urls.append(f"tcp:127.0.0.1:{fleet.ports[0]}")

    async def stop(self) -> None:
        for fleet in self.fleets.values():
            await fleet.__aexit__(None, None, None)
        self.fleets.clear()

    async def set_param(self, sysid: int, name: str, value: float) -> None:
        self.fleets[sysid].vehicles[sysid].autopilot.params.set(name, value)

    async def set_loss(self, on: bool) -> None:
        for fleet in self.fleets.values():
            fleet.faults.set(packet_loss_pct=SIM_LOSS_PCT if on else 0.0)

    async def power_cycle(self, sysid: int) -> None:
        old = self.fleets.pop(sysid)
        port = old.ports[0]
        await old.__aexit__(None, None, None)
        await self._boot(sysid, port)


class SitlVehicles(Vehicles):
    kind = "sitl"

    def __init__(self, sitls: list[Sitl]) -> None:
        self.sitls = {s.sysid: s for s in sitls}
        self.sysids = [s.sysid for s in sitls]
        self.urls = [s.url for s in sitls]

    async def set_param(self, sysid: int, name: str, value: float) -> None:
        await asyncio.to_thread(self.sitls[sysid].set_params, {name: value})

    async def set_loss(self, on: bool) -> None:
        loss = SITL_UART_LOSS_PCT if on else 0.0
        for sitl in self.sitls.values():
            await asyncio.to_thread(sitl.set_params, {"SIM_UART_LOSS": loss})

    async def power_cycle(self, sysid: int) -> None:
        await asyncio.to_thread(self.sitls[sysid].restart)

    async def wait_ready_to_arm(self, sysid: int) -> None:
        await asyncio.to_thread(self.sitls[sysid].wait_ready_to_arm, 60.0, 2)


@contextlib.asynccontextmanager
async def vehicles(
    kind: str,
    sitl_factory: SitlFactory | None,
    sysids: list[int],
    speedup: float = SPEEDUP,
) -> AsyncIterator[Vehicles]:
    """``sysids`` vehicles on `kind` (``sim`` or ``sitl``), each on its own TCP port."""
    if kind == "sim":
        sim = SimVehicles(sysids, speedup)
        try:
            await sim.start()
            yield sim
        finally:
            await sim.stop()
        return
    assert sitl_factory is not None
    sitls = await asyncio.to_thread(sitl_factory.many, sysids, speedup=speedup)
    try:
        yield SitlVehicles(sitls)
    finally:
        for sitl in sitls:
            sitl.stop()


def workdir(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path
